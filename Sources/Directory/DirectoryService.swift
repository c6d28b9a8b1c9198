import Foundation
import SQLKit
import Storage
import ZhengtongCore

/// The directory's actions and reads. Knows nothing of HTTP: callers pass a `Viewer` and get domain
/// values or a `DomainError`.
public struct DirectoryService: Sendable {
    public let database: any Database
    public let clock: any WallClock
    /// Answers searches and member listings from memory once built; without it (or until then) SQL does.
    public let index: DirectoryIndex?

    public init(database: any Database, clock: any WallClock, index: DirectoryIndex? = nil) {
        self.database = database
        self.clock = clock
        self.index = index
    }

    /// Every directory write: one transaction, and the store's generation moved on once it has committed
    /// (caches of viewers and sessions, and the index, compare it).
    func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let result = try await database.transaction(body)
        database.generation.advance()
        return result
    }

    public func viewer(personId: String) async throws -> Viewer? {
        try await database.read { db in try await DirectoryQueries.viewer(db, personId: personId) }
    }

    // MARK: Regions

    public func region(_ code: String) async throws -> Region {
        guard let r = try await database.read({ db in try await DirectoryQueries.region(db, code) }) else {
            throw DomainError.notFound("region")
        }
        return r
    }

    public func regionChildren(_ code: String, page: PageRequest) async throws -> Page<Region> {
        _ = try await region(code)
        let rows = try await database.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Rows.regionColumns) FROM regions WHERE parent_code = \(bind: code)
                ORDER BY code LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                """).all().map(Rows.region)
        }
        return page.page(rows)
    }

    /// The top of the region tree (the province, in a provincial deployment).
    public func rootRegions() async throws -> [Region] {
        try await database.read { db in
            try await db.raw("SELECT \(unsafeRaw: Rows.regionColumns) FROM regions WHERE parent_code IS NULL ORDER BY code LIMIT 100")
                .all().map(Rows.region)
        }
    }

    /// Units located in exactly this region that the viewer may see.
    public func unitsIn(region code: String, viewer: Viewer, page: PageRequest) async throws -> Page<Org> {
        _ = try await region(code)
        let rows = try await database.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs
                WHERE region_code = \(bind: code) AND kind = 'unit' AND \(Self.orgVisible(viewer))
                ORDER BY display_order, name, id LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                """).all().map { try Rows.org($0) }
        }
        return page.page(rows)
    }

    // MARK: Orgs

    /// SQL condition: the org row (unaliased) is visible to the viewer.
    static func orgVisible(_ v: Viewer) -> SQLQueryString {
        let inside = v.insidePaths
        var s: SQLQueryString = "(hidden_scope IS NULL"
        if !inside.isEmpty { s += " OR hidden_scope IN (\(binds: inside))" }
        if v.scope.global {
            s += " OR 1=1"
        } else if !v.scope.isEmpty {
            s += " OR " + PrivacySQL.under("path", v.scope.orgPaths) + " OR " + PrivacySQL.under("region_code", v.scope.regionPrefixes)
        }
        return s + ")"
    }

    /// The org if it exists and the viewer may see it; a hidden org is simply not found.
    public func org(_ id: String, viewer: Viewer) async throws -> Org {
        guard ID.isValid(id), let o = try await database.read({ db in try await DirectoryQueries.org(db, id) }),
              Privacy.canSee(org: o, viewer: viewer) else {
            throw DomainError.notFound("org")
        }
        return o
    }

    /// Every org the viewer may see in the subtree at `path` (itself included), in path order, at most
    /// `limit` of them; and each one's members (the people with a position in it, by id). Two queries
    /// for the whole subtree, for callers that list it all (SCIM Groups). When there are `limit` or more,
    /// they come back without members, for the caller to refuse. (`orgVisible` is `Privacy.canSee` in SQL.)
    public func subtreeOrgs(_ path: String, viewer: Viewer, limit: Int) async throws -> (orgs: [Org], members: [String: [String]]) {
        try await database.read { db in
            let orgs = try await db.raw("""
                SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs WHERE \(PrivacySQL.under("path", [path]))
                AND \(Self.orgVisible(viewer)) ORDER BY path LIMIT \(bind: limit)
                """).all().map { try Rows.org($0) }
            // At the limit the caller refuses anyway: say so before reading every position.
            if orgs.count >= limit { return (orgs, [:]) }
            var members: [String: [String]] = [:]
            for row in try await db.raw("""
                SELECT DISTINCT org_id, person_id FROM positions WHERE \(PrivacySQL.under("org_path", [path]))
                ORDER BY org_id, person_id
                """).all() {
                members[try row.decode(column: "org_id", as: String.self), default: []].append(try row.decode(column: "person_id", as: String.self))
            }
            return (orgs, members)
        }
    }

    public func orgChildren(_ id: String, viewer: Viewer, page: PageRequest) async throws -> Page<Org> {
        _ = try await org(id, viewer: viewer)
        let rows = try await database.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs WHERE parent_id = \(bind: id) AND \(Self.orgVisible(viewer))
                ORDER BY display_order, name, id LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                """).all().map { try Rows.org($0) }
        }
        return page.page(rows)
    }

    /// People holding a position in the org (or its subtree), as the viewer may see them.
    public func members(_ id: String, recursive: Bool, viewer: Viewer, page: PageRequest) async throws -> Page<PersonView> {
        if let state = try await index?.current() { return try state.members(id, recursive: recursive, viewer: viewer, page: page) }
        return try await sqlMembers(id, recursive: recursive, viewer: viewer, page: page)
    }

    /// `members` from the index, for a caller that cannot wait: nil when the index cannot answer at once
    /// (not built, an org moved, or this process has written since it last looked), or not within
    /// `budget` entries of the index (`IndexBudget`; nil for no limit).
    public func membersIfIndexed(_ id: String, recursive: Bool, viewer: Viewer, page: PageRequest,
                                 budget: Int? = nil) throws -> Page<PersonView>? {
        guard let state = index?.currentIfCaughtUp() else { return nil }
        do {
            return try state.members(id, recursive: recursive, viewer: viewer, page: page, budget: IndexBudget(budget))
        } catch is IndexBudget.Exceeded { return nil }
    }

    /// `members` in SQL: the reference the index must agree with.
    public func sqlMembers(_ id: String, recursive: Bool, viewer: Viewer, page: PageRequest) async throws -> Page<PersonView> {
        let o = try await org(id, viewer: viewer)
        let inOrg: SQLQueryString = recursive ? PrivacySQL.under("vx.org_path", [o.path]) : "vx.org_id = \(bind: o.id)"
        // Starting from the org's positions (indexed by org and by path) keeps this to the org's people
        // instead of testing every person in the directory.
        let candidates: SQLQueryString = recursive ? PrivacySQL.under("vy.org_path", [o.path]) : "vy.org_id = \(bind: o.id)"
        return try await database.read { db in
            let people = try await db.raw("""
                SELECT \(unsafeRaw: Rows.personColumns) FROM people p
                WHERE p.id IN (SELECT vy.person_id FROM positions vy WHERE \(candidates))
                  AND \(PrivacySQL.personVisible("p", viewer, positionFilter: inOrg))
                ORDER BY (SELECT MIN(vx.display_order) FROM positions vx WHERE vx.person_id = p.id AND \(inOrg)), p.pinyin_compact, p.id
                LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                """).all().map(Rows.person)
            let pageOfPeople = page.page(people)
            let views = try await DirectoryQueries.views(db, people: pageOfPeople.items, viewer: viewer)
            return Page(items: views, nextCursor: pageOfPeople.nextCursor)
        }
    }

    // MARK: People

    public func person(_ id: String, viewer: Viewer) async throws -> PersonView {
        try await database.read { db in
            guard ID.isValid(id), let p = try await DirectoryQueries.person(db, id) else { throw DomainError.notFound("person") }
            let positions = try await DirectoryQueries.positions(db, personIds: [id])
            guard Privacy.canSee(person: p, positions: positions, viewer: viewer) else { throw DomainError.notFound("person") }
            return try await DirectoryQueries.views(db, people: [p], viewer: viewer)[0]
        }
    }

    /// The viewer's own record with every position and grant (GET /me).
    public func me(_ viewer: Viewer) async throws -> (PersonView, [Grant]) {
        let view = try await person(viewer.personId, viewer: viewer)
        let grants = try await database.read { db in
            try await db.raw("SELECT id, person_id, role, org_id, region_code, created_at FROM grants WHERE person_id = \(bind: viewer.personId) ORDER BY id")
                .all().map(GrantRows.grant)
        }
        return (view, grants)
    }
}

extension DirectoryService {
    /// The id of the person with this username, if any (for the command line, which acts as a named person).
    public func personId(username: String) async throws -> String? {
        try await database.read { db in
            try await db.raw("SELECT id FROM people WHERE username = \(bind: username)").first()?.decode(column: "id", as: String.self)
        }
    }
}

extension DirectoryService {
    /// The people among `ids` whom the viewer may see, by id: a few queries per 500 ids instead of
    /// several per person, for checking the members of a large group at once.
    public func visiblePeople(_ ids: [String], viewer: Viewer) async throws -> [String: PersonView] {
        let valid = Array(Set(ids.filter(ID.isValid)))
        return try await database.read { db in
            var out: [String: PersonView] = [:]
            for start in stride(from: 0, to: valid.count, by: 500) {
                let chunk = Array(valid[start..<min(start + 500, valid.count)])
                let people = try await db.raw("SELECT \(unsafeRaw: Rows.personColumns) FROM people WHERE id IN (\(binds: chunk))")
                    .all().map(Rows.person)
                let positions = Dictionary(grouping: try await DirectoryQueries.positions(db, personIds: people.map(\.id)), by: \.personId)
                let visible = people.filter { Privacy.canSee(person: $0, positions: positions[$0.id] ?? [], viewer: viewer) }
                for v in try await DirectoryQueries.views(db, people: visible, viewer: viewer) { out[v.person.id] = v }
            }
            return out
        }
    }
}
