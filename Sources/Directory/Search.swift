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
    /// initials ("zs"), a visible mobile's prefix, or a title; exact name matches first, then pinyin order.
    ///
    /// A search is the union of a few *sources*, each one index-ordered query that can stop after a
    /// page (name grams, pinyin, initials, mobile, exact name, title), merged here. Every privacy rule is
    /// part of each source's query, so hidden people, positions and mobiles never match and paging stays
    /// exact.
    public func search(_ query: PeopleQuery, viewer: Viewer, page: PageRequest) async throws -> Page<PersonView> {
        var filters: [SQLQueryString] = []
        var driver: SQLQueryString? = nil
        if let code = query.region?.trimmingCharacters(in: .whitespaces), !code.isEmpty {
            let r = try await region(code)
            filters.append(PrivacySQL.under("vx.region_code", [r.prefix]))
            driver = "p.id IN (SELECT dx.person_id FROM positions dx WHERE " + PrivacySQL.under("dx.region_code", [r.prefix]) + ")"
        }
        if let id = query.org?.trimmingCharacters(in: .whitespaces), !id.isEmpty {
            let o = try await org(id, viewer: viewer)
            filters.append(PrivacySQL.under("vx.org_path", [o.path]))
            driver = "p.id IN (SELECT dx.person_id FROM positions dx WHERE " + PrivacySQL.under("dx.org_path", [o.path]) + ")"
        }
        if let line = query.line?.trimmingCharacters(in: .whitespaces), !line.isEmpty {
            filters.append("vx.lines LIKE \(bind: "%|" + Rows.likeEscaped(line) + "|%") ESCAPE '\\'")
        }
        if let role = query.role?.trimmingCharacters(in: .whitespaces), !role.isEmpty {
            filters.append("vx.roles LIKE \(bind: "%|" + Rows.likeEscaped(role) + "|%") ESCAPE '\\'")
        }
        var common: [SQLQueryString] = [PrivacySQL.personVisible("p", viewer, positionFilter: filters.isEmpty ? nil : filters.joined(separator: " AND "))]
        if let rank = query.rank?.trimmingCharacters(in: .whitespaces), !rank.isEmpty {
            common.append("p.rank = \(bind: rank)")
        }
        let q = (query.q ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard q.count <= 100 else { throw DomainError(.badRequest, "invalid_q", "q is longer than 100 characters") }

        let needed = page.offset + page.fetchLimit
        let sources = Self.sources(q, viewer: viewer, driver: driver)
        let rows = try await database.read { db in
            var found: [(exact: Bool, person: Person)] = []
            for source in sources {
                let sql: SQLQueryString = "SELECT \(unsafeRaw: Rows.personColumns.split(separator: ",").map { "p." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")) FROM "
                    + source.from + " WHERE " + ([source.condition] + common).joined(separator: " AND ")
                    + " ORDER BY " + source.order + " LIMIT \(bind: needed)"
                for row in try await db.raw(sql).all() { found.append((source.exact, try Rows.person(row))) }
            }
            return found
        }
        // Merge: exact name matches first, then pinyin order; a person found by several sources once.
        var seen = Set<String>()
        let merged = rows.sorted { a, b in
            if a.exact != b.exact { return a.exact }
            if a.person.pinyinCompact != b.person.pinyinCompact { return a.person.pinyinCompact < b.person.pinyinCompact }
            return a.person.id < b.person.id
        }.filter { seen.insert($0.person.id).inserted }.map(\.person)
        let pageOfPeople = page.page(Array(merged.dropFirst(page.offset).prefix(page.fetchLimit)))
        let views = try await database.read { db in try await DirectoryQueries.views(db, people: pageOfPeople.items, viewer: viewer) }
        return Page(items: views, nextCursor: pageOfPeople.nextCursor)
    }

    struct Source {
        var from: SQLQueryString
        var condition: SQLQueryString
        var order: SQLQueryString
        var exact = false
    }

    /// The sources for `q`, chosen by what `q` looks like so each uses an index.
    static func sources(_ q: String, viewer: Viewer, driver: SQLQueryString?) -> [Source] {
        let byPinyin: SQLQueryString = "p.pinyin_compact, p.id"
        guard !q.isEmpty else {
            return [Source(from: "people p", condition: driver ?? "1=1", order: byPinyin)]
        }
        let compact = Pinyin.normaliseQuery(q)
        if !compact.isEmpty, compact.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) }) {
            return [
                Source(from: "people p", condition: PrivacySQL.under("p.pinyin_compact", [compact]), order: byPinyin),
                Source(from: "people p", condition: PrivacySQL.under("p.initials", [compact]), order: byPinyin),
            ]
        }
        if !compact.isEmpty, compact.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
            return [Source(from: "people p", condition: "(" + PrivacySQL.under("p.mobile", [compact]) + " AND "
                + PrivacySQL.mobileVisible("p", viewer) + ")", order: byPinyin)]
        }
        let like = "%" + Rows.likeEscaped(q.lowercased()) + "%"
        var sources = [Source(from: "people p", condition: "p.name = \(bind: q)", order: byPinyin, exact: true)]
        if let gram = NameGrams.lookup(q) {
            // Walks one gram's entries in pinyin order and stops after a page.
            sources.append(Source(from: "person_grams g JOIN people p ON p.id = g.person_id",
                                  condition: "g.gram = \(bind: gram) AND p.name LIKE \(bind: like) ESCAPE '\\'",
                                  order: "g.pinyin_compact, g.person_id"))
        }
        // A title matches only on a position the viewer may see.
        sources.append(Source(from: "people p", condition: "EXISTS (SELECT 1 FROM positions tx WHERE tx.person_id = p.id AND "
            + "tx.title LIKE \(bind: like) ESCAPE '\\' AND " + PrivacySQL.positionVisible("tx", viewer) + " AND "
            + PrivacySQL.withinRestriction("tx", viewer) + ")", order: byPinyin))
        return sources
    }
}
