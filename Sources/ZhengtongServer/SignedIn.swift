import Accounts
import Directory
import ZhengtongCore

/// Who is behind a session token, kept for a moment between requests instead of checked with one query
/// (the session) and loaded with four more (the viewer's positions and admin scope) on every request.
///
/// In this process a change is seen by the very next request: a session revoked or signed out, a
/// disabled person, a new grant or a moved position moves the store's `Generation`, which empties both
/// caches. A change made on another node is seen within
/// the caches' lifetime (one second for sessions, two for viewers); open streams are re-checked by
/// `StreamService` on their own schedule. A cached session is never used past its expiry.
struct SignedIn: Sendable {
    let sessions = RecentCache<Authenticated>(lifetime: .seconds(1))
    let viewers = RecentCache<Viewer>(lifetime: .seconds(2))

    func resolve(token: String, services: AppServices) async throws -> (Authenticated, Viewer)? {
        // No token is this long; refused before it is hashed or becomes a cache key.
        guard token.utf8.count <= 200 else { return nil }
        let generation = services.database.generation.value
        guard let auth = try await sessions.value(AccountService.tokenHash(token), generation: generation,
                                                  load: { try await services.accounts.authenticate(token: token) }),
              auth.expiresAt > services.clock.now().millis,
              let viewer = try await viewers.value(auth.personId, generation: generation,
                                                   load: { try await services.directory.viewer(personId: auth.personId) })
        else { return nil }
        return (auth, viewer)
    }

    /// `resolve` from the caches alone: nil when either entry is missing or stale, and the caller must
    /// take the path that can load them.
    func cached(tokenHash: String, services: AppServices) -> (Authenticated, Viewer)? {
        let generation = services.database.generation.value
        guard let auth = sessions.cached(tokenHash, generation: generation),
              auth.expiresAt > services.clock.now().millis,
              let viewer = viewers.cached(auth.personId, generation: generation)
        else { return nil }
        return (auth, viewer)
    }
}
