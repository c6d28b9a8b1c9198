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
    public func exportPeople(orgId: String?, regionCode: String?, by viewer: Viewer) async throws -> Data {
        let inside = try await exportScope(orgId: orgId, regionCode: regionCode, viewer: viewer).positions
        return try await database.read { db in
            let positions = try await db.raw("""
                SELECT \(unsafeRaw: Rows.positionColumns) FROM positions x JOIN orgs o ON o.id = x.org_id WHERE \(inside)
                """).all().map(Rows.position)
            var people: [String: Person] = [:]
            let personIds = Array(Set(positions.map(\.personId)))
            for chunk in stride(from: 0, to: personIds.count, by: 500).map({ Array(personIds[$0..<min($0 + 500, personIds.count)]) }) {
                for r in try await db.raw("SELECT \(unsafeRaw: Rows.personColumns) FROM people WHERE id IN (\(binds: chunk))").all() {
                    let p = try Rows.person(r)
                    people[p.id] = p
                }
            }
            var names: [String: String] = [:]
            let orgIds = Array(Set(positions.flatMap { $0.orgPath.split(separator: "/").map(String.init) }))
            for chunk in stride(from: 0, to: orgIds.count, by: 500).map({ Array(orgIds[$0..<min($0 + 500, orgIds.count)]) }) {
                for r in try await db.raw("SELECT id, name FROM orgs WHERE id IN (\(binds: chunk))").all() {
                    names[try r.decode(column: "id", as: String.self)] = try r.decode(column: "name", as: String.self)
                }
            }
            let rows = positions.compactMap { x -> (Person, PositionView)? in people[x.personId].map { ($0, x) } }
                .sorted { a, b in
                    (a.0.username, a.1.main ? 0 : 1, a.1.order, a.1.id) < (b.0.username, b.1.main ? 0 : 1, b.1.order, b.1.id)
                }
            func flag(_ b: Bool) -> String { b ? "是" : "否" }
            var out = "\u{FEFF}" + CSV.line(PeopleCSV.columns)
            for (p, x) in rows {
                let path = x.orgPath.split(separator: "/").map { names[String($0)] ?? String($0) }.joined(separator: "/")
                out += CSV.line([p.username, p.name, p.mobile ?? "", p.email ?? "", p.rank ?? "", x.regionCode, path, x.title ?? "",
                                 flag(x.leader), x.roles.joined(separator: ";"), flag(p.seniorMode), flag(p.hideMobile), p.status.rawValue])
            }
            return Data(out.utf8)
        }
    }
}
