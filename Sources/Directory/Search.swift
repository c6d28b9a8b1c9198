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
        if let state = try await index?.current() { return try state.search(query, viewer: viewer, page: page) }
        return try await sqlSearch(query, viewer: viewer, page: page)
    }

    /// `search` from the index, for a caller that cannot wait (see `membersIfIndexed`).
    public func searchIfIndexed(_ query: PeopleQuery, viewer: Viewer, page: PageRequest,
                                budget: Int? = nil) throws -> Page<PersonView>? {
        guard let state = index?.currentIfCaughtUp() else { return nil }
        do { return try state.search(query, viewer: viewer, page: page, budget: IndexBudget(budget)) } catch is IndexBudget.Exceeded { return nil }
    }

    /// `search` in SQL: the reference the in-memory index must agree with.
    public func sqlSearch(_ query: PeopleQuery, viewer: Viewer, page: PageRequest) async throws -> Page<PersonView> {
        var filters: [SQLQueryString] = []
        var driver: SQLQueryString? = nil
        // A filter narrow enough to start from: an org, or a region at county level or below. Searching
        // within it starts from its positions instead of walking a name index across the province. (A
        // county is about 1 % of a province. Walking the name index in order and checking the region was
        // tried and measured slower at province size: `q=王` in a county at 0.15× slapd's throughput,
        // against 0.33× from the positions; see docs/benchmarks.md.)
        var narrow: SQLQueryString? = nil
        if let code = query.region?.trimmed(.whitespaces), !code.isEmpty {
            let r = try await region(code)
            filters.append(PrivacySQL.under("vx.region_code", [r.prefix]))
            driver = "p.id IN (SELECT dx.person_id FROM positions dx WHERE " + PrivacySQL.under("dx.region_code", [r.prefix]) + ")"
            if r.level >= .county { narrow = PrivacySQL.under("dx.region_code", [r.prefix]) }
        }
        if let id = query.org?.trimmed(.whitespaces), !id.isEmpty {
            let o = try await org(id, viewer: viewer)
            filters.append(PrivacySQL.under("vx.org_path", [o.path]))
            driver = "p.id IN (SELECT dx.person_id FROM positions dx WHERE " + PrivacySQL.under("dx.org_path", [o.path]) + ")"
            narrow = PrivacySQL.under("dx.org_path", [o.path])
        }
        if let line = query.line?.trimmed(.whitespaces), !line.isEmpty {
            filters.append("vx.lines LIKE \(bind: "%|" + Rows.likeEscaped(line) + "|%") ESCAPE '\\'")
        }
        if let role = query.role?.trimmed(.whitespaces), !role.isEmpty {
            filters.append("vx.roles LIKE \(bind: "%|" + Rows.likeEscaped(role) + "|%") ESCAPE '\\'")
        }
        var common: [SQLQueryString] = [PrivacySQL.personVisible("p", viewer, positionFilter: filters.isEmpty ? nil : filters.joined(separator: " AND "))]
        if let rank = query.rank?.trimmed(.whitespaces), !rank.isEmpty {
            common.append("p.rank = \(bind: rank)")
        }
        let q = (query.q ?? "").trimmed(.whitespacesAndNewlines)
        guard q.count <= 100 else { throw DomainError(.badRequest, "invalid_q", "q is longer than 100 characters") }

        let needed = page.offset + page.fetchLimit
        let columns = Rows.personColumns.split(separator: ",").map { "p." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        let people = try await database.read { db in
            var sources = Self.sources(q, viewer: viewer, driver: driver)
            if let narrow, !q.isEmpty {
                // One source over the filter's positions with every kind of match, sorted afterwards.
                let any = sources.map(\.match).joined(separator: " OR ")
                sources = [Source(from: "positions dx JOIN people p ON p.id = dx.person_id", condition: narrow + " AND (" + any + ")",
                                  order: "p.pinyin_compact, p.id", distinct: true)]
            }
            if let titles = try await Self.titleSource(db, q, viewer: viewer) { sources.append(titles) }
            // Concatenate the sources in order, each in its own index order, a person once: every page
            // is a stable slice because each source's list only grows at its end as more is fetched.
            var seen = Set<String>()
            var found: [Person] = []
            for source in sources {
                // A source joined through positions meets a person once per position: count people, not rows.
                let sql: SQLQueryString = "SELECT \(unsafeRaw: source.distinct ? "DISTINCT " : "")\(unsafeRaw: columns) FROM " + source.from + " WHERE "
                    + ([source.condition] + common).joined(separator: " AND ") + " ORDER BY " + source.order + " LIMIT \(bind: needed)"
                for row in try await db.raw(sql).all() {
                    let p = try Rows.person(row)
                    if seen.insert(p.id).inserted { found.append(p) }
                }
                if found.count >= needed { break }
            }
            return found
        }
        let pageOfPeople = page.page(Array(people.dropFirst(page.offset).prefix(page.fetchLimit)))
        let views = try await database.read { db in try await DirectoryQueries.views(db, people: pageOfPeople.items, viewer: viewer) }
        return Page(items: views, nextCursor: pageOfPeople.nextCursor)
    }

    struct Source {
        var from: SQLQueryString
        var condition: SQLQueryString
        var order: SQLQueryString
        /// The match alone, over `p`, without the index it walks (for a search that starts elsewhere).
        var match: SQLQueryString
        var distinct = false

        init(from: SQLQueryString, condition: SQLQueryString, order: SQLQueryString, match: SQLQueryString? = nil, distinct: Bool = false) {
            self.from = from
            self.condition = condition
            self.order = order
            self.match = match ?? condition
            self.distinct = distinct
        }
    }

    /// The sources for `q`, chosen by what `q` looks like so each walks an index in its own order.
    static func sources(_ q: String, viewer: Viewer, driver: SQLQueryString?) -> [Source] {
        let byPinyin: SQLQueryString = "p.pinyin_compact, p.id"
        guard !q.isEmpty else {
            return [Source(from: "people p", condition: driver ?? "1=1", order: byPinyin)]
        }
        let compact = Pinyin.normaliseQuery(q)
        if !compact.isEmpty, compact.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) }) {
            return [
                Source(from: "people p", condition: PrivacySQL.under("p.pinyin_compact", [compact]), order: byPinyin),
                Source(from: "people p", condition: PrivacySQL.under("p.initials", [compact]), order: "p.initials, p.pinyin_compact, p.id"),
            ]
        }
        if !compact.isEmpty, compact.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
            return [Source(from: "people p", condition: "(" + PrivacySQL.under("p.mobile", [compact]) + " AND "
                + PrivacySQL.mobileVisible("p", viewer) + ")", order: "p.mobile")]
        }
        var sources = [Source(from: "people p", condition: "p.name = \(bind: q)", order: byPinyin)]
        if let gram = NameGrams.lookup(q) {
            let like = "%" + Rows.likeEscaped(q.lowercased()) + "%"
            sources.append(Source(from: "person_grams g JOIN people p ON p.id = g.person_id",
                                  condition: "g.gram = \(bind: gram) AND p.name LIKE \(bind: like) ESCAPE '\\'",
                                  order: "g.pinyin_compact, g.person_id", match: "p.name LIKE \(bind: like) ESCAPE '\\'"))
        }
        return sources
    }

    /// People holding a visible position whose title contains `q`, in (title, person) order. The title
    /// catalog is small, so finding which titles match is cheap; then the positions index does the rest.
    static func titleSource(_ db: any SQLDatabase, _ q: String, viewer: Viewer) async throws -> Source? {
        let compact = Pinyin.normaliseQuery(q)
        guard !q.isEmpty, !compact.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) }) else { return nil }
        let like = "%" + Rows.likeEscaped(q) + "%"
        let titles = try await db.raw("SELECT title FROM titles WHERE title LIKE \(bind: like) ESCAPE '\\' LIMIT 200").all()
            .map { try $0.decode(column: "title", as: String.self) }
        guard !titles.isEmpty else { return nil }
        return Source(from: "positions tx JOIN people p ON p.id = tx.person_id",
                      condition: "tx.title IN (\(binds: titles)) AND " + PrivacySQL.positionVisible("tx", viewer) + " AND "
                        + PrivacySQL.withinRestriction("tx", viewer),
                      order: "tx.title, tx.person_id")  // a person with two matching titles is deduplicated after the fetch
    }
}
