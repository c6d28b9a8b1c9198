import Accounts
import Directory
import Hummingbird
import ZhengtongCore

/// Requires a live session and loads the viewer (positions and admin scope) for the privacy rules.
/// The session comes from a bearer token, or from the browser's session cookie; with the cookie, every
/// state change must also carry the CSRF token (see `WebSecurity`).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let services: AppServices
    /// Browsers cannot set headers on a WebSocket, so the stream also takes `?token=`.
    var allowQueryToken = false

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        let (auth, viewer) = try await Self.authenticate(request, services: services, allowQueryToken: allowQueryToken)
        var ctx = context
        ctx.session = auth
        ctx.viewer = viewer
        return try await next(request, ctx)
    }

    /// The session and viewer behind a request, or the error that refuses it. The stream's upgrade
    /// calls this too, before any HTTP routing.
    static func authenticate(_ request: Request, services: AppServices, allowQueryToken: Bool) async throws -> (Authenticated, Viewer) {
        guard let signedIn = try await services.signedIn.resolve(token: try token(request, allowQueryToken: allowQueryToken), services: services) else {
            throw DomainError(.unauthorized, "invalid_token", "the token is unknown, expired or revoked")
        }
        return signedIn
    }

    /// The credentials of an `Authorization: Bearer …` header (the scheme in any case), trimmed.
    static func bearer(_ header: String) -> String? {
        let scheme = "bearer ".utf8
        guard header.utf8.count > scheme.count,
              zip(header.utf8, scheme).allSatisfy({ sent, expected in
                  sent == expected || (expected != UInt8(ascii: " ") && sent | 0x20 == expected)
              }) else { return nil }
        return String(header.dropFirst(scheme.count)).trimmed(.whitespaces)
    }

    /// The session token a request carries, once the rules for how it may carry it are met.
    static func token(_ request: Request, allowQueryToken: Bool) throws -> String {
        let token: String
        if let header = request.headers[.authorization], let bearer = Self.bearer(header) {
            token = bearer
        } else if allowQueryToken, let t = request.uri.queryParameters["token"] {
            token = String(t)
        } else if let cookie = request.cookies[WebSecurity.sessionCookie]?.value, !cookie.isEmpty {
            // A WebSocket upgrade is a GET, so the origin check is what keeps another site's page from
            // opening the stream with this cookie.
            guard WebSecurity.sameOrigin(request) else { throw WebSecurity.csrfFailed }
            if !WebSecurity.isSafe(request.method) { try WebSecurity.checkCSRF(request, form: [:]) }
            token = cookie
        } else {
            throw DomainError.unauthenticated
        }
        return token
    }
}
