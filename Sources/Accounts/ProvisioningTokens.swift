import Audit
import Directory
import Foundation
import SQLKit
import Storage
import ZhengtongCore

/// A token for a provisioning client (a SCIM client): it may touch only the subtree of its org, and it
/// acts in the name of the administrator who issued it.
public struct ProvisioningToken: Sendable, Equatable {
    public var id: String
    public var name: String
    public var orgId: String
    public var createdBy: String
    public var createdAt: Date
    public var revokedAt: Date?
}

extension AccountService {
    /// Issues a token over an org the issuing administrator covers; the token itself is returned once.
    public func issueProvisioningToken(name: String, orgId: String, directory: DirectoryService, by viewer: Viewer,
                                       from address: String?) async throws -> (ProvisioningToken, token: String) {
        let name = try Validate.name(name, max: 100)
        let org = try await directory.org(orgId, viewer: viewer)
        guard viewer.scope.covers(org) else { throw DomainError.forbidden }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        let token = "ztp_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let now = clock.now()
        let record = ProvisioningToken(id: ID.make(at: now), name: name, orgId: org.id, createdBy: viewer.personId, createdAt: now, revokedAt: nil)
        try await database.transaction { db in
            try await db.raw("""
                INSERT INTO provisioning_tokens (id, name, token_hash, org_id, created_by, created_at)
                VALUES (\(bind: record.id), \(bind: name), \(bind: Self.tokenHash(token)), \(bind: org.id), \(bind: viewer.personId), \(bind: now.millis))
                """).run()
            try await AuditLog.append(db, actor: viewer.acting.from(address), action: "provisioning_token.issue", targetType: "provisioning_token",
                                      targetId: record.id, detail: ["name": name, "org_id": org.id], at: now)
        }
        return (record, token)
    }

    public func provisioningTokens(by viewer: Viewer) async throws -> [ProvisioningToken] {
        try await database.read { db in
            let rows = try await db.raw("""
                SELECT id, name, org_id, created_by, created_at, revoked_at FROM provisioning_tokens WHERE revoked_at IS NULL ORDER BY created_at
                """).all().map(Self.provisioningToken)
            // Each administrator sees the tokens of their own; the root administrator sees all.
            return rows.filter { viewer.scope.global || $0.createdBy == viewer.personId }
        }
    }

    public func revokeProvisioningToken(_ id: String, by viewer: Viewer, from address: String?) async throws {
        try await database.transaction { db in
            guard let t = try await db.raw("""
                SELECT id, name, org_id, created_by, created_at, revoked_at FROM provisioning_tokens WHERE id = \(bind: id) AND revoked_at IS NULL
                """).first().map(Self.provisioningToken), viewer.scope.global || t.createdBy == viewer.personId else {
                throw DomainError.notFound("provisioning token")
            }
            try await db.raw("UPDATE provisioning_tokens SET revoked_at = \(bind: clock.now().millis) WHERE id = \(bind: id)").run()
            try await AuditLog.append(db, actor: viewer.acting.from(address), action: "provisioning_token.revoke", targetType: "provisioning_token",
                                      targetId: id, at: clock.now())
        }
    }

    /// The token and the viewer it acts as: the issuer's name marked as provisioning, with a scope of
    /// the token's org subtree only (never more than the issuer still covers). Nil for an unknown or
    /// revoked token, or when the issuer has lost the org.
    public func authenticateProvisioning(token: String, directory: DirectoryService) async throws -> (ProvisioningToken, Viewer)? {
        guard token.hasPrefix("ztp_"), token.count < 200 else { return nil }
        guard let t = try await database.read({ db in
            try await db.raw("""
                SELECT id, name, org_id, created_by, created_at, revoked_at FROM provisioning_tokens
                WHERE token_hash = \(bind: Self.tokenHash(token)) AND revoked_at IS NULL
                """).first().map(Self.provisioningToken)
        }) else { return nil }
        guard let issuer = try await directory.viewer(personId: t.createdBy),
              let org = try? await directory.org(t.orgId, viewer: issuer), issuer.scope.covers(org) else { return nil }
        let viewer = Viewer(personId: issuer.personId, name: "SCIM: \(t.name)", seniorMode: false, positions: [],
                            scope: AdminScope(orgPaths: [org.path]))
        return (t, viewer)
    }

    static func provisioningToken(_ r: any SQLRow) throws -> ProvisioningToken {
        ProvisioningToken(id: try r.decode(column: "id", as: String.self), name: try r.decode(column: "name", as: String.self),
                          orgId: try r.decode(column: "org_id", as: String.self), createdBy: try r.decode(column: "created_by", as: String.self),
                          createdAt: Date(millis: try r.decode(column: "created_at", as: Int64.self)),
                          revokedAt: try r.decode(column: "revoked_at", as: Int64?.self).map { Date(millis: $0) })
    }
}
