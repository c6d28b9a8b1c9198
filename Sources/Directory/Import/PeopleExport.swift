import Foundation
import SQLKit
import Storage
import ZhengtongCore

/// What an export covers, as SQL conditions on positions (`x`) and on orgs (unaliased).
struct ExportScope {
    var positions: SQLQueryString
    var orgs: SQLQueryString
}

extension DirectoryService {
    /// An org subtree or a region subtree the viewer administers, or, for the root administrator only,
    /// everything.
    func exportScope(orgId: String?, regionCode: String?, viewer: Viewer) async throws -> ExportScope {
        if let orgId {
            let org = try await org(orgId, viewer: viewer)
            guard viewer.scope.covers(org) else { throw DomainError.forbidden }
            return ExportScope(positions: PrivacySQL.under("x.org_path", [org.path]), orgs: PrivacySQL.under("path", [org.path]))
        }
        if let regionCode {
            let region = try await region(regionCode)
            guard viewer.scope.covers(regionCode: region.code) else { throw DomainError.forbidden }
            return ExportScope(positions: PrivacySQL.under("x.region_code", [region.prefix]),
                               orgs: PrivacySQL.under("region_code", [region.prefix]))
        }
        guard viewer.scope.global else { throw DomainError.invalid("org", "name an org or a region to export") }
        return ExportScope(positions: "1 = 1", orgs: "1 = 1")
    }

    /// The people of an org subtree or a region subtree (all of them for the root administrator with
    /// neither) as a people file: one row per position inside the subtree, orgs as paths of names from
    /// the unit down, so that importing it elsewhere rebuilds the same orgs and people, and importing it
    /// again here changes nothing. Starts with a UTF-8 BOM so that Excel reads the Chinese correctly.
    /// Written to `sink` in pieces, a thousand people at a time in username order.
    public func exportPeople(orgId: String?, regionCode: String?, by viewer: Viewer,
                             into sink: @escaping (String) async throws -> Void) async throws {
        let inside = try await exportScope(orgId: orgId, regionCode: regionCode, viewer: viewer).positions
        try await database.read { db in
            var out = ExportWriter(sink)
            var names = OrgNameCache()
            func flag(_ b: Bool) -> String { b ? "是" : "否" }
            try await out.add("\u{FEFF}" + CSV.line(PeopleCSV.columns))
            try await Self.exportChunks(db, inside: inside) { people in
                let byPerson = Dictionary(grouping: try await Self.positions(db, of: people.map(\.id), inside: inside), by: \.personId)
                try await names.load(byPerson.values.joined().flatMap { $0.orgPath.split(separator: "/").map(String.init) }, from: db)
                for p in people {
                    for x in byPerson[p.id] ?? [] {
                        let path = x.orgPath.split(separator: "/").map { names[String($0)] ?? String($0) }.joined(separator: "/")
                        try await out.add(CSV.line([p.username, p.name, p.mobile ?? "", p.email ?? "", p.rank ?? "", x.regionCode, path,
                                                    x.title ?? "", flag(x.leader), x.roles.joined(separator: ";"), flag(p.seniorMode),
                                                    flag(p.hideMobile), p.status.rawValue]))
                    }
                }
            }
            try await out.finish()
        }
    }

    /// The whole people file at once, for callers that want it in memory (tests, small subtrees).
    public func exportPeople(orgId: String?, regionCode: String?, by viewer: Viewer) async throws -> Data {
        var data = Data()
        try await exportPeople(orgId: orgId, regionCode: regionCode, by: viewer) { data.append(contentsOf: $0.utf8) }
        return data
    }

    /// Below this many people an export's scope is listed whole and sorted in memory; above it, people
    /// are walked in username order and each is checked against the scope, which costs a walk of the
    /// whole table but no memory. A task local so that a test can send a small export down the other path.
    @TaskLocal public static var exportListedWhole = 50_000

    /// People per chunk of an export (a task local, like `exportListedWhole`).
    @TaskLocal public static var exportChunk = 1000

    /// Org names an export keeps at most before it starts its cache afresh (a task local too).
    @TaskLocal public static var exportNameCacheLimit = 100_000

    /// The people with a position `inside`, `exportChunk` at a time in username order.
    static func exportChunks(_ db: any SQLDatabase, inside: SQLQueryString, _ each: ([Person]) async throws -> Void) async throws {
        let chunk = exportChunk
        let listed = try await db.raw("""
            SELECT DISTINCT x.person_id FROM positions x WHERE \(inside) LIMIT \(unsafeRaw: String(exportListedWhole + 1))
            """).all().map { try $0.decode(column: "person_id", as: String.self) }
        if listed.count <= exportListedWhole {
            var people: [Person] = []
            for ids in listed.chunks(of: 500) {
                people += try await db.raw("SELECT \(unsafeRaw: Rows.personColumns) FROM people WHERE id IN (\(binds: Array(ids)))").all().map(Rows.person)
            }
            people.sort { $0.username < $1.username }
            for piece in people.chunks(of: chunk) { try await each(Array(piece)) }
            return
        }
        var after = ""
        while true {
            let people = try await db.raw("""
                SELECT \(unsafeRaw: Rows.personColumns) FROM people p WHERE p.username > \(bind: after)
                AND EXISTS (SELECT 1 FROM positions x WHERE x.person_id = p.id AND \(inside))
                ORDER BY p.username LIMIT \(unsafeRaw: String(chunk))
                """).all().map(Rows.person)
            guard let last = people.last else { return }
            try await each(people)
            after = last.username
        }
    }

    /// The positions of `people` inside the export's scope, each person's main one first, then in
    /// display order.
    static func positions(_ db: any SQLDatabase, of people: [String], inside: SQLQueryString) async throws -> [PositionView] {
        var out: [PositionView] = []
        for ids in people.chunks(of: 500) {
            out += try await db.raw("""
                SELECT \(unsafeRaw: Rows.positionColumns) FROM positions x JOIN orgs o ON o.id = x.org_id
                WHERE x.person_id IN (\(binds: Array(ids))) AND \(inside)
                ORDER BY x.person_id, x.is_main DESC, x.display_order, x.id
                """).all().map(Rows.position)
        }
        return out
    }
}
