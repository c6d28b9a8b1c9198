import Foundation
import SQLKit
import ZhengtongCore

public struct PeopleQuery: Sendable, Equatable {
    public var q: String?
    public var region: String?
    public var org: String?
    public var line: String?
    public var rank: String?
    public var role: String?

    public init(q: String? = nil, region: String? = nil, org: String? = nil, line: String? = nil, rank: String? = nil, role: String? = nil) {
        self.q = q
        self.region = region
        self.org = org
        self.line = line
        self.rank = rank
        self.role = role
    }
}

extension DirectoryService {
    /// Finds people by name (substring), full pinyin or its prefix ("zhangsan", "zhang san", "zhangs"),
    /// initials ("zs"), a visible mobile's prefix, or a title; exact name matches first. Every privacy
    /// rule is part of the query, so hidden people, positions and mobiles never match.
    public func search(_ query: PeopleQuery, viewer: Viewer, page: PageRequest) async throws -> Page<PersonView> {
        var filters: [SQLQueryString] = []
        if let code = query.region?.trimmingCharacters(in: .whitespaces), !code.isEmpty {
            let r = try await region(code)
            filters.append(PrivacySQL.under("vx.region_code", [r.prefix]))
        }
        if let id = query.org?.trimmingCharacters(in: .whitespaces), !id.isEmpty {
            let o = try await org(id, viewer: viewer)
            filters.append(PrivacySQL.under("vx.org_path", [o.path]))
        }
        if let line = query.line?.trimmingCharacters(in: .whitespaces), !line.isEmpty {
            filters.append("vx.lines LIKE \(bind: "%|" + Rows.likeEscaped(line) + "|%") ESCAPE '\\'")
        }
        if let role = query.role?.trimmingCharacters(in: .whitespaces), !role.isEmpty {
            filters.append("vx.roles LIKE \(bind: "%|" + Rows.likeEscaped(role) + "|%") ESCAPE '\\'")
        }
        var conditions: [SQLQueryString] = []
        conditions.append(PrivacySQL.personVisible("p", viewer, positionFilter: filters.isEmpty ? nil : filters.joined(separator: " AND ")))
        if let rank = query.rank?.trimmingCharacters(in: .whitespaces), !rank.isEmpty {
            conditions.append("p.rank = \(bind: rank)")
        }
        let q = (query.q ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var order: SQLQueryString = "p.pinyin_compact, p.id"
        if !q.isEmpty {
            guard q.count <= 100 else { throw DomainError(.badRequest, "invalid_q", "q is longer than 100 characters") }
            conditions.append(Self.matches(q, viewer: viewer))
            order = "CASE WHEN p.name = \(bind: q) THEN 0 ELSE 1 END, p.pinyin_compact, p.id"
        }
        let whereClause = conditions.joined(separator: " AND ")
        return try await database.read { db in
            let people = try await db.raw("""
                SELECT \(unsafeRaw: Rows.personColumns) FROM people p WHERE \(whereClause)
                ORDER BY \(order) LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                """).all().map(Rows.person)
            let pageOfPeople = page.page(people)
            let views = try await DirectoryQueries.views(db, people: pageOfPeople.items, viewer: viewer)
            return Page(items: views, nextCursor: pageOfPeople.nextCursor)
        }
    }

    static func matches(_ q: String, viewer: Viewer) -> SQLQueryString {
        var alternatives: [SQLQueryString] = []
        let like = "%" + Rows.likeEscaped(q.lowercased()) + "%"
        alternatives.append("p.name LIKE \(bind: like) ESCAPE '\\'")
        let compact = Pinyin.normaliseQuery(q)
        if !compact.isEmpty, compact.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) }) {
            alternatives.append(PrivacySQL.under("p.pinyin_compact", [compact]))
            alternatives.append(PrivacySQL.under("p.initials", [compact]))
        }
        if !compact.isEmpty, compact.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
            alternatives.append("(" + PrivacySQL.under("p.mobile", [compact]) + " AND " + PrivacySQL.mobileVisible("p", viewer) + ")")
        }
        // A title matches only on a position the viewer may see.
        alternatives.append("EXISTS (SELECT 1 FROM positions tx WHERE tx.person_id = p.id AND tx.title LIKE \(bind: like) ESCAPE '\\' AND "
            + PrivacySQL.positionVisible("tx", viewer) + " AND " + PrivacySQL.withinRestriction("tx", viewer) + ")")
        return "(" + alternatives.joined(separator: " OR ") + ")"
    }
}
