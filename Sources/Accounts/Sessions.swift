import Audit
import Crypto
import Directory
import Foundation
import Synchronization
import SQLKit
import Storage
import ZhengtongCore

public struct SessionInfo: Sendable, Codable, Equatable {
    public var id: String
    public var createdAt: Date
    public var expiresAt: Date
    public var lastSeenAt: Date
    public var userAgent: String?
    public var clientAddress: String?
    public var current: Bool
}

public struct LoginResult: Sendable {
    public var token: String
    public var expiresAt: Date
    public var personId: String
    public var sessionId: String
}

/// Who a bearer token belongs to.
public struct Authenticated: Sendable {
    public var personId: String
    public var sessionId: String
    /// When the session ends (Unix milliseconds), so a cached copy is never used past it.
    public var expiresAt: Int64 = .max
}

public struct AccountsConfig: Sendable {
    public var sessionLifetime: TimeInterval = 14 * 24 * 3600
    public var maxFailures = 5
    public var lockout: TimeInterval = 15 * 60
    public init() {}
}

/// Sign-in, sessions and lockout. Only a SHA-256 of each bearer token is stored, so a stolen database
/// yields no usable tokens.
public struct AccountService: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public let hasher: PasswordHasher
    public let config: AccountsConfig

    public init(database: any Database, clock: any WallClock, hasher: PasswordHasher, config: AccountsConfig = AccountsConfig()) {
        self.database = database
        self.clock = clock
        self.hasher = hasher
        self.config = config
    }

    public static func tokenHash(_ token: String) -> String {
        Hex.string(SHA256.hash(data: Data(token.utf8)))
    }

    public func login(identifier: String, password: String, userAgent: String?, address: String?) async throws -> LoginResult {
        let ident = identifier.trimmingCharacters(in: .whitespaces)
        guard !ident.isEmpty, ident.count <= 128, !password.isEmpty, password.utf8.count <= 1024 else {
            throw DomainError(.unauthorized, "invalid_credentials", "wrong username or password")
        }
        let actor = ActingContext(personId: nil, name: ident, clientAddress: address)
        let row = try await database.read { db in
            try await db.raw("""
                SELECT id, name, status, password_hash, failed_logins, locked_until FROM people
                WHERE username = \(bind: ident.lowercased()) OR mobile = \(bind: ident) ORDER BY id LIMIT 1
                """).first().map { r in
                (id: try r.decode(column: "id", as: String.self), name: try r.decode(column: "name", as: String.self),
                 status: try r.decode(column: "status", as: String.self), hash: try r.decode(column: "password_hash", as: String?.self),
                 lockedUntil: try r.decode(column: "locked_until", as: Int64?.self))
            }
        }
        let now = clock.now()
        guard let row else {
            hasher.burn(password)
            try await database.transaction { db in
                try await AuditLog.append(db, actor: actor, action: "auth.login_failed", targetType: "person", targetId: nil,
                                          detail: ["reason": "unknown_user"], at: now)
            }
            throw DomainError(.unauthorized, "invalid_credentials", "wrong username or password")
        }
        if let locked = row.lockedUntil, locked > now.millis {
            let retry = Int((Double(locked - now.millis) / 1000).rounded(.up))
            try await database.transaction { db in
                try await AuditLog.append(db, actor: actor, action: "auth.login_refused_locked", targetType: "person", targetId: row.id, at: now)
            }
            throw DomainError(.tooManyRequests(retryAfter: retry), "account_locked",
                              "too many failed sign-ins; try again in \(retry) seconds")
        }
        let ok = row.hash.map { hasher.verify(password, against: $0) } ?? { hasher.burn(password); return false }()
        if !ok {
            let lockedNow = try await database.transaction { db -> Bool in
                let r = try await db.raw("""
                    UPDATE people SET failed_logins = failed_logins + 1 WHERE id = \(bind: row.id) RETURNING failed_logins
                    """).first()
                let failures = try r?.decode(column: "failed_logins", as: Int.self) ?? 0
                try await AuditLog.append(db, actor: actor, action: "auth.login_failed", targetType: "person", targetId: row.id,
                                          detail: ["reason": "wrong_password", "failures": String(failures)], at: now)
                if failures >= config.maxFailures {
                    let until = now.addingTimeInterval(config.lockout)
                    try await db.raw("UPDATE people SET failed_logins = 0, locked_until = \(bind: until.millis) WHERE id = \(bind: row.id)").run()
                    try await AuditLog.append(db, actor: actor, action: "auth.lockout", targetType: "person", targetId: row.id,
                                              detail: ["until": until.iso8601], at: now)
                    return true
                }
                return false
            }
            if lockedNow {
                throw DomainError(.tooManyRequests(retryAfter: Int(config.lockout)), "account_locked",
                                  "too many failed sign-ins; try again in \(Int(config.lockout)) seconds")
            }
            throw DomainError(.unauthorized, "invalid_credentials", "wrong username or password")
        }
        guard row.status == PersonStatus.active.rawValue else {
            try await database.transaction { db in
                try await AuditLog.append(db, actor: actor, action: "auth.login_refused_disabled", targetType: "person", targetId: row.id, at: now)
            }
            throw DomainError(.forbidden, "account_disabled", "this account is disabled")
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        let token = "zt_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let sessionId = ID.make(at: now)
        let expires = now.addingTimeInterval(config.sessionLifetime)
        try await database.transaction { db in
            try await db.raw("UPDATE people SET failed_logins = 0, locked_until = NULL WHERE id = \(bind: row.id)").run()
            try await db.raw("""
                INSERT INTO sessions (id, person_id, token_hash, created_at, expires_at, last_seen_at, user_agent, client_address)
                VALUES (\(bind: sessionId), \(bind: row.id), \(bind: Self.tokenHash(token)), \(bind: now.millis), \(bind: expires.millis),
                        \(bind: now.millis), \(bind: userAgent.map { String($0.prefix(300)) }), \(bind: address))
                """).run()
            try await AuditLog.append(db, actor: ActingContext(personId: row.id, name: row.name, clientAddress: address),
                                      action: "auth.login", targetType: "session", targetId: sessionId, at: now)
        }
        return LoginResult(token: token, expiresAt: expires, personId: row.id, sessionId: sessionId)
    }

    /// The session a bearer token names, if it is live and its person active.
    public func authenticate(token: String) async throws -> Authenticated? {
        guard token.count <= 200 else { return nil }
        let now = clock.now()
        let found = try await database.read { db in
            try await db.raw("""
                SELECT s.id, s.person_id, s.last_seen_at, s.expires_at FROM sessions s JOIN people p ON p.id = s.person_id
                WHERE s.token_hash = \(bind: Self.tokenHash(token)) AND s.revoked_at IS NULL AND s.expires_at > \(bind: now.millis)
                  AND p.status = 'active'
                """).first().map { r in
                (Authenticated(personId: try r.decode(column: "person_id", as: String.self), sessionId: try r.decode(column: "id", as: String.self),
                               expiresAt: try r.decode(column: "expires_at", as: Int64.self)),
                 try r.decode(column: "last_seen_at", as: Int64.self))
            }
        }
        guard let (auth, lastSeen) = found else { return nil }
        // Recording activity at most every ten minutes keeps reads from turning into writes.
        if now.millis - lastSeen > 600_000 {
            try await database.transaction { db in
                try await db.raw("UPDATE sessions SET last_seen_at = \(bind: now.millis) WHERE id = \(bind: auth.sessionId)").run()
            }
        }
        return auth
    }

    /// Which of these sessions may still be used (not revoked, not expired, their person active): one
    /// query per 500 sessions, for re-checking every open stream.
    public func liveSessions(among ids: [String]) async throws -> Set<String> {
        let now = clock.now().millis
        var live = Set<String>()
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            let rows = try await database.read { db in
                try await db.raw("""
                    SELECT s.id FROM sessions s JOIN people p ON p.id = s.person_id
                    WHERE s.id IN (\(binds: chunk)) AND s.revoked_at IS NULL AND s.expires_at > \(bind: now) AND p.status = 'active'
                    """).all()
            }
            for row in rows { live.insert(try row.decode(column: "id", as: String.self)) }
        }
        return live
    }

    public func logout(_ auth: Authenticated, actor: ActingContext) async throws {
        try await revoke(sessionId: auth.sessionId, of: auth.personId, actor: actor)
    }

    public func sessions(of auth: Authenticated) async throws -> [SessionInfo] {
        let now = clock.now()
        return try await database.read { db in
            try await db.raw("""
                SELECT id, created_at, expires_at, last_seen_at, user_agent, client_address FROM sessions
                WHERE person_id = \(bind: auth.personId) AND revoked_at IS NULL AND expires_at > \(bind: now.millis) ORDER BY id DESC LIMIT 200
                """).all().map { r in
                let id = try r.decode(column: "id", as: String.self)
                return SessionInfo(id: id, createdAt: Date(millis: try r.decode(column: "created_at", as: Int64.self)),
                                   expiresAt: Date(millis: try r.decode(column: "expires_at", as: Int64.self)),
                                   lastSeenAt: Date(millis: try r.decode(column: "last_seen_at", as: Int64.self)),
                                   userAgent: try r.decode(column: "user_agent", as: String?.self),
                                   clientAddress: try r.decode(column: "client_address", as: String?.self), current: id == auth.sessionId)
            }
        }
    }

    /// Revokes one of the person's own sessions (404 for anyone else's).
    public func revoke(sessionId: String, of personId: String, actor: ActingContext) async throws {
        try await database.transaction { db in
            let n = try await db.raw("""
                UPDATE sessions SET revoked_at = \(bind: clock.now().millis)
                WHERE id = \(bind: sessionId) AND person_id = \(bind: personId) AND revoked_at IS NULL RETURNING id
                """).all().count
            guard n == 1 else { throw DomainError.notFound("session") }
            try await AuditLog.append(db, actor: actor, action: "auth.session_revoked", targetType: "session", targetId: sessionId, at: clock.now())
        }
        // Caches of who is behind a token compare the store's generation.
        database.generation.advance()
    }
}
