import Foundation
import SQLKit

/// Plain queries over the directory tables; callers supply the connection (a read or a transaction).
enum DirectoryQueries {
    static func region(_ db: any SQLDatabase, _ code: String) async throws -> Region? {
        try await db.raw("SELECT \(unsafeRaw: Rows.regionColumns) FROM regions WHERE code = \(bind: code)").first().map(Rows.region)
    }

    static func org(_ db: any SQLDatabase, _ id: String) async throws -> Org? {
        try await db.raw("SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs WHERE id = \(bind: id)").first().map { try Rows.org($0) }
    }

    static func person(_ db: any SQLDatabase, _ id: String) async throws -> Person? {
        try await db.raw("SELECT \(unsafeRaw: Rows.personColumns) FROM people WHERE id = \(bind: id)").first().map(Rows.person)
    }

    static func positions(_ db: any SQLDatabase, personIds: [String]) async throws -> [PositionView] {
        guard !personIds.isEmpty else { return [] }
        return try await db.raw("""
            SELECT \(unsafeRaw: Rows.positionColumns) FROM positions x JOIN orgs o ON o.id = x.org_id
            WHERE x.person_id IN (\(binds: personIds)) ORDER BY x.is_main DESC, x.display_order, x.id
            """).all().map(Rows.position)
    }

    static func position(_ db: any SQLDatabase, _ id: String) async throws -> PositionView? {
        try await db.raw("""
            SELECT \(unsafeRaw: Rows.positionColumns) FROM positions x JOIN orgs o ON o.id = x.org_id WHERE x.id = \(bind: id)
            """).first().map(Rows.position)
    }

    /// Loads who is looking: their positions and the union of their admin grants.
    static func viewer(_ db: any SQLDatabase, personId: String) async throws -> Viewer? {
        guard let p = try await person(db, personId) else { return nil }
        let positions = try await db.raw("SELECT org_path, restrict_scope FROM positions WHERE person_id = \(bind: personId)")
            .all().map { ViewerPosition(orgPath: try $0.decode(column: "org_path", as: String.self),
                                        restrictScope: try $0.decode(column: "restrict_scope", as: String?.self)) }
        var scope = AdminScope()
        for g in try await db.raw("""
            SELECT g.org_id, g.region_code, o.path, r.level FROM grants g
            LEFT JOIN orgs o ON o.id = g.org_id LEFT JOIN regions r ON r.code = g.region_code
            WHERE g.person_id = \(bind: personId) AND g.role = 'directory_admin'
            """).all() {
            if let path = try g.decode(column: "path", as: String?.self) {
                scope.orgPaths.append(path)
            } else if let code = try g.decode(column: "region_code", as: String?.self),
                      let level = RegionLevel(rawValue: try g.decode(column: "level", as: String?.self) ?? "") {
                scope.regionPrefixes.append(String(code.prefix(level.significantDigits)))
            } else if try g.decode(column: "org_id", as: String?.self) == nil {
                scope.global = true
            }
        }
        return Viewer(personId: p.id, name: p.name, seniorMode: p.seniorMode, positions: positions, scope: scope)
    }

    /// Builds what `viewer` may see of each person: positions filtered, mobile masked.
    static func views(_ db: any SQLDatabase, people: [Person], viewer: Viewer) async throws -> [PersonView] {
        let all = try await positions(db, personIds: people.map(\.id))
        let byPerson = Dictionary(grouping: all, by: \.personId)
        return people.map { p in
            let ps = byPerson[p.id] ?? []
            let visible = ps.filter { Privacy.canSee(position: $0, viewer: viewer) }
            var shown = p
            let mobileVisible = Privacy.canSeeMobile(of: p, positions: ps, viewer: viewer)
            if !mobileVisible { shown.mobile = nil }
            return PersonView(person: shown, positions: visible, mobileVisible: mobileVisible)
        }
    }
}
