import Foundation
import SQLKit
import ZhengtongCore

/// A person resolved as the recipient of something the viewer sends.
public struct ResolvedRecipient: Sendable, Equatable {
    public var personId: String
    public var name: String
    public var mobile: String?
    public var seniorMode: Bool
    /// Whether the viewer administers this person (admins may reach senior-mode people).
    public var administered: Bool
}

extension DirectoryService {
    /// Active people the viewer may see among `people`, the members of `orgs` (with their subtrees) and
    /// the people of `regions` (with their subtrees). Unknown or invisible ids are returned in
    /// `missing` so the caller can say what was excluded; nothing hidden is revealed.
    public func resolveRecipients(people: [String], orgs: [String], regions: [String], viewer: Viewer) async throws
        -> (recipients: [ResolvedRecipient], missingPeople: [String], missingOrgs: [String], missingRegions: [String]) {
        var orgPaths: [String] = [], missingOrgs: [String] = []
        for id in orgs {
            if let o = try? await org(id, viewer: viewer) { orgPaths.append(o.path) } else { missingOrgs.append(id) }
        }
        var prefixes: [String] = [], missingRegions: [String] = []
        for code in regions {
            if let r = try? await region(code) { prefixes.append(r.prefix) } else { missingRegions.append(code) }
        }
        let ids = Array(Set(people.filter(ID.isValid)))
        return try await database.read { db in
            var found: [String: ResolvedRecipient] = [:]
            func collect(_ witness: SQLQueryString) async throws {
                let sql: SQLQueryString = "SELECT p.id, p.name, p.mobile, p.senior_mode, CASE WHEN " + PrivacySQL.adminCoversPerson("p", viewer)
                    + " THEN 1 ELSE 0 END AS administered FROM people p WHERE p.status = 'active' AND "
                    + PrivacySQL.personVisible("p", viewer, positionFilter: witness)
                for r in try await db.raw(sql).all() {
                    let id = try r.decode(column: "id", as: String.self)
                    found[id] = ResolvedRecipient(personId: id, name: try r.decode(column: "name", as: String.self),
                                                  mobile: try r.decode(column: "mobile", as: String?.self),
                                                  seniorMode: try r.decode(column: "senior_mode", as: Int.self) != 0,
                                                  administered: try r.decode(column: "administered", as: Int.self) != 0)
                }
            }
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                try await collect("vx.person_id IN (\(binds: chunk))")
            }
            if !orgPaths.isEmpty { try await collect(PrivacySQL.under("vx.org_path", orgPaths)) }
            if !prefixes.isEmpty { try await collect(PrivacySQL.under("vx.region_code", prefixes)) }
            let missing = ids.filter { found[$0] == nil } + people.filter { !ID.isValid($0) }
            return (found.values.sorted { $0.personId < $1.personId }, missing, missingOrgs, missingRegions)
        }
    }
}
