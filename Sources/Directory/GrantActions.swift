import Audit
import Foundation
import SQLKit
import Storage
import ZhengtongCore

enum GrantRows {
    static func grant(_ r: any SQLRow) throws -> Grant {
        Grant(id: try r.decode(column: "id", as: String.self), personId: try r.decode(column: "person_id", as: String.self),
              role: GrantRole(rawValue: try r.decode(column: "role", as: String.self)) ?? .directoryAdmin,
              orgId: try r.decode(column: "org_id", as: String?.self), regionCode: try r.decode(column: "region_code", as: String?.self),
              createdAt: Date(millis: try r.decode(column: "created_at", as: Int64.self)))
    }
}

extension DirectoryService {
    /// Grants `directory_admin` on an org or region subtree. An admin may only hand on what it holds itself.
    public func createGrant(personId: String, role: String, orgId: String?, regionCode: String?, by viewer: Viewer,
                            from address: String?) async throws -> Grant {
        guard let role = GrantRole(rawValue: role) else { throw DomainError.invalid("role", "role must be directory_admin") }
        guard (orgId == nil) != (regionCode == nil) else {
            throw DomainError.invalid("scope", "give exactly one of org_id and region_code")
        }
        guard !viewer.scope.isEmpty else { throw DomainError.forbidden }
        return try await write { db in
            guard ID.isValid(personId), let person = try await DirectoryQueries.person(db, personId) else {
                throw DomainError.invalid("person_id", "person \(personId) does not exist")
            }
            let positions = try await DirectoryQueries.positions(db, personIds: [personId])
            guard Privacy.canSee(person: person, positions: positions, viewer: viewer) else {
                throw DomainError.invalid("person_id", "person \(personId) does not exist")
            }
            var scope = AdminScope()
            if let orgId {
                let org = try await visibleOrg(db, orgId, viewer, field: "org_id")
                scope.orgPaths = [org.path]
                guard viewer.scope.covers(org) else { throw DomainError.forbidden }
            } else if let regionCode {
                guard let region = try await DirectoryQueries.region(db, regionCode) else {
                    throw DomainError.invalid("region_code", "region \(regionCode) does not exist")
                }
                scope.regionPrefixes = [region.prefix]
                guard viewer.scope.contains(scope) else { throw DomainError.forbidden }
            }
            let grant = Grant(id: ID.make(at: clock.now()), personId: personId, role: role, orgId: orgId, regionCode: regionCode,
                              createdAt: clock.now())
            try await db.raw("""
                INSERT INTO grants (id, person_id, role, org_id, region_code, created_at, created_by)
                VALUES (\(bind: grant.id), \(bind: personId), \(bind: role.rawValue), \(bind: orgId), \(bind: regionCode),
                        \(bind: grant.createdAt.millis), \(bind: viewer.personId))
                """).run()
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "grant.create", targetType: "grant",
                                      targetId: grant.id, before: Grant?.none, after: grant, at: clock.now())
            return grant
        }
    }

    /// Grants whose scope lies inside the viewer's own.
    public func grants(viewer: Viewer, page: PageRequest) async throws -> Page<Grant> {
        guard !viewer.scope.isEmpty else { throw DomainError.forbidden }
        let scope = viewer.scope
        var cond: SQLQueryString
        if scope.global {
            cond = "1=1"
        } else {
            cond = "(" + PrivacySQL.under("o.path", scope.orgPaths) + " OR " + PrivacySQL.under("o.region_code", scope.regionPrefixes)
                + " OR " + PrivacySQL.under("g.region_code", scope.regionPrefixes) + ")"
        }
        let rows = try await database.read { db in
            try await db.raw("""
                SELECT g.id, g.person_id, g.role, g.org_id, g.region_code, g.created_at FROM grants g LEFT JOIN orgs o ON o.id = g.org_id
                WHERE \(cond) ORDER BY g.id LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                """).all().map(GrantRows.grant)
        }
        return page.page(rows)
    }

    public func revokeGrant(_ id: String, by viewer: Viewer, from address: String?) async throws {
        guard !viewer.scope.isEmpty else { throw DomainError.forbidden }
        try await write { db in
            guard ID.isValid(id), let row = try await db.raw("""
                SELECT g.id, g.person_id, g.role, g.org_id, g.region_code, g.created_at, o.path, o.region_code AS org_region, r.level
                FROM grants g LEFT JOIN orgs o ON o.id = g.org_id LEFT JOIN regions r ON r.code = g.region_code WHERE g.id = \(bind: id)
                """).first() else { throw DomainError.notFound("grant") }
            let grant = try GrantRows.grant(row)
            let covered: Bool
            if let path = try row.decode(column: "path", as: String?.self) {
                covered = viewer.scope.covers(orgPath: path, regionCode: try row.decode(column: "org_region", as: String.self))
            } else if let code = grant.regionCode, let level = RegionLevel(rawValue: try row.decode(column: "level", as: String?.self) ?? "") {
                covered = viewer.scope.contains(AdminScope(regionPrefixes: [String(code.prefix(level.significantDigits))]))
            } else {
                covered = viewer.scope.global
            }
            guard covered else { throw DomainError.notFound("grant") }
            if grant.isGlobal {
                throw DomainError(.conflict, "root_grant", "the root administrator's grant cannot be revoked")
            }
            try await db.raw("DELETE FROM grants WHERE id = \(bind: id)").run()
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "grant.revoke", targetType: "grant",
                                      targetId: id, before: grant, after: Grant?.none, at: clock.now())
        }
    }
}
