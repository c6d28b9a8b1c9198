import Accounts
import DemoData
import Directory
import Foundation
import Logging
import SQLKit
import Storage
import Testing
import ZhengtongCore

/// The in-memory directory index answers every search and member listing exactly as the SQL does: the
/// same people, in the same order, on the same pages, with the same privacy applied and the same
/// errors, for viewers of every kind, on the county demo, and again after each kind of directory write.
@Suite struct DirectoryIndexTests {
    @Test(arguments: Backend.available)
    func agreesWithSQLBeforeAndAfterWrites(_ backend: Backend) async throws {
        let url = try await backend.freshDatabaseURL()
        try await Databases.with(try DatabaseLocation(url: url), logger: Logger(label: "test")) { db in
            try await Migrations.migrate(db)
            let hasher = PasswordHasher(logN: 10)
            _ = try await Bootstrap.ensureRootAdmin(database: db, hasher: hasher, clock: SystemClock(), password: "root-password-1")
            _ = try await DemoLoader.load(database: db, size: .county, hasher: hasher, clock: SystemClock(), logger: Logger(label: "demo"),
                                      progress: false)
            let index = DirectoryIndex(database: db)
            try await index.build()
            #expect(index.status == .ready)
            let dir = DirectoryService(database: db, clock: SystemClock(), index: index)
            let w = try await World.load(dir, db)
            let checks = Checks(dir: dir, world: w)

            // Not a vacuous comparison: common queries find people.
            let staff = w.viewers["staff"]!
            #expect(try await dir.search(PeopleQuery(q: "王"), viewer: staff, page: try PageRequest(limit: 20, cursor: nil)).items.count == 20)
            #expect(try await dir.members(w.orgs["dept"]!, recursive: false, viewer: staff,
                                          page: try PageRequest(limit: 50, cursor: nil)).items.count > 0)
            try await checks.all()

            let root = w.viewers["admin"]!
            let dept = w.orgs["dept"]!, hidden = w.orgs["hidden"]!
            // A new person, found by name, pinyin, initials, mobile and title.
            let created = try await dir.createPerson(
                NewPerson(name: "王测试", username: "index-test-1", mobile: "13999990001", rank: "一级科员",
                          positions: [NewPosition(orgId: dept, title: "索引测试员", roles: ["测试"])]),
                hasher: hasher, by: root, from: nil)
            let pid = created.person.id
            #expect(try await dir.search(PeopleQuery(q: "索引测试"), viewer: staff, page: try PageRequest(limit: 20, cursor: nil))
                .items.map(\.person.id) == [pid])
            try await checks.queries(["王测试", "wangce", "wcs", "1399999", "索引测试", "王"], extraViewers: [pid])
            // Renamed, mobile hidden, senior mode.
            _ = try await dir.updatePerson(pid, PersonPatch(name: "李测试", seniorMode: true, hideMobile: true), hasher: hasher, by: root, from: nil)
            try await checks.queries(["王测试", "李测试", "lice", "1399999", "李", "王"], extraViewers: [pid])
            // A second position in a hidden department, then the first one deleted.
            let second = try await dir.createPosition(personId: pid, NewPosition(orgId: hidden, title: "暗处测试员", main: true), by: root, from: nil)
            try await checks.queries(["李测试", "暗处测试员", "索引测试员"], extraViewers: [pid])
            try await checks.members()
            try await dir.deletePosition(created.positions[0].id, by: root, from: nil)
            #expect(try await dir.search(PeopleQuery(q: "李测试"), viewer: staff, page: try PageRequest(limit: 20, cursor: nil)).items.isEmpty)
            try await checks.queries(["李测试", "索引测试员", "暗处测试员"], extraViewers: [pid])
            _ = second
            // Someone disabled.
            let someone = try #require(try await dir.sqlSearch(PeopleQuery(org: dept), viewer: root, page: try PageRequest(limit: 20, cursor: nil))
                .items.first { $0.person.id != staff.personId })
            try await dir.disablePerson(someone.person.id, by: root, from: nil)
            try await checks.queries(["王", someone.person.name, ""])
            try await checks.members()
            // A department hidden, another made self-only, a unit's lines changed: privacy follows at once.
            _ = try await dir.updateOrg(dept, OrgPatch(hidden: true), by: root, from: nil)
            _ = try await dir.updateOrg(w.orgs["other"]!, OrgPatch(visibility: "self_only"), by: root, from: nil)
            _ = try await dir.updateOrg(w.orgs["unit"]!, OrgPatch(lines: ["索引条线"]), by: root, from: nil)
            try await checks.all()
            // A new department with a person in it.
            let newDept = try await dir.createOrg(NewOrg(name: "索引新科", kind: "department", parentId: w.orgs["unit"]!), by: root, from: nil)
            _ = try await dir.createPerson(NewPerson(name: "赵新科", username: "index-test-2", positions: [NewPosition(orgId: newDept.id)]),
                                           hasher: hasher, by: root, from: nil)
            try await checks.queries(["赵新科", "zhaoxinke", "赵"], orgs: [newDept.id, w.orgs["unit"]!])
            #expect(index.status == .ready)

            // Moving an org re-sorts the org lists: SQL answers until the index is rebuilt, then the index again.
            _ = try await dir.updateOrg(newDept.id, OrgPatch(parentId: w.orgs["other"]!), by: root, from: nil)
            _ = try await dir.search(PeopleQuery(q: "赵新科"), viewer: staff, page: try PageRequest(limit: 20, cursor: nil))
            #expect(index.status == .rebuilding)
            try await index.build()
            #expect(index.status == .ready)
            try await checks.queries(["赵新科", "赵", ""], orgs: [newDept.id, w.orgs["other"]!])
            try await checks.members()
        }
    }
}

/// The demo county's well-known viewers, orgs and filter values.
private struct World {
    var viewers: [String: Viewer] = [:]
    var orgs: [String: String] = [:]
    var regions: [String] = []
    var line = "", rank = "", role = ""

    static func load(_ dir: DirectoryService, _ db: any Database) async throws -> World {
        var w = World()
        for name in ["admin", "leader", "staff", "countyadmin", "deptadmin", "gridworker"] {
            let id = try #require(try await dir.personId(username: name))
            w.viewers[name] = try await viewer(dir, id)
        }
        let rows = try await db.read { conn -> [String: String] in
            func one(_ sql: SQLQueryString, _ column: String) async throws -> String {
                guard let row = try await conn.raw(sql).first() else { throw TestSetupError.fixture("no row for \(column)") }
                return try row.decode(column: column, as: String.self)
            }
            return [
                "hidden": try await one("SELECT id FROM orgs WHERE hidden = 1 ORDER BY id LIMIT 1", "id"),
                "selfonly": try await one("SELECT id FROM orgs WHERE visibility = 'self_only' ORDER BY id LIMIT 1", "id"),
                "hiddenMember": try await one("SELECT x.person_id FROM positions x JOIN orgs o ON o.id = x.org_id WHERE o.hidden = 1 ORDER BY x.id LIMIT 1", "person_id"),
                "selfMember": try await one("SELECT x.person_id FROM positions x JOIN orgs o ON o.id = x.org_id WHERE o.visibility = 'self_only' ORDER BY x.id LIMIT 1", "person_id"),
                "staffDept": try await one("SELECT x.org_id FROM positions x JOIN people p ON p.id = x.person_id WHERE p.username = 'staff' LIMIT 1", "org_id"),
                "township": try await one("SELECT code FROM regions WHERE level = 'township' ORDER BY code LIMIT 1", "code"),
                "village": try await one("SELECT code FROM regions WHERE level = 'village' ORDER BY code LIMIT 1", "code"),
                "line": try await one("SELECT lines FROM orgs WHERE lines <> '' ORDER BY id LIMIT 1", "lines"),
                "rank": try await one("SELECT rank FROM people WHERE rank IS NOT NULL ORDER BY id LIMIT 1", "rank"),
                "role": try await one("SELECT roles FROM positions WHERE roles <> '' ORDER BY id LIMIT 1", "roles"),
            ]
        }
        for key in ["hiddenMember", "selfMember"] {
            w.viewers[key] = try await viewer(dir, rows[key]!)
        }
        let staffDept = try await dir.org(rows["staffDept"]!, viewer: w.viewers["admin"]!)
        let unitId = String(staffDept.path.split(separator: "/")[0])
        w.orgs = ["dept": staffDept.id, "unit": unitId, "hidden": rows["hidden"]!, "selfonly": rows["selfonly"]!]
        let siblings = try await dir.orgChildren(unitId, viewer: w.viewers["admin"]!, page: try PageRequest(limit: 50, cursor: nil)).items
        w.orgs["other"] = siblings.first { $0.id != staffDept.id && !$0.hidden }?.id ?? staffDept.id
        w.regions = ["330110000000", "330100000000", rows["township"]!, rows["village"]!]
        w.line = rows["line"]!.split(separator: "|").first.map(String.init) ?? ""
        w.rank = rows["rank"]!
        w.role = rows["role"]!.split(separator: "|").first.map(String.init) ?? ""
        return w
    }
}

private func viewer(_ dir: DirectoryService, _ id: String) async throws -> Viewer {
    guard let v = try await dir.viewer(personId: id) else { throw TestSetupError.fixture("no viewer \(id)") }
    return v
}

/// Runs the same reads through the index and through SQL and expects identical answers.
private struct Checks {
    let dir: DirectoryService
    let world: World

    func all() async throws {
        let base = ["", "王", "陈", "张伟", "晓明", "zhang", "zhang wei", "zw", "w", "wangf", "138", "1", "科员", "局长", "主任",
                    "办公室", "不存在的人", "%", "_"]
        try await queries(base)
        try await narrowed(["王", "张伟", "zhang", "zw", "w"])
        try await members()
    }

    /// Names, pinyin and initials within a region or an org subtree, where the index reads the
    /// name's own lists and intersects them with the subtree's people instead of walking the subtree.
    func narrowed(_ qs: [String]) async throws {
        let filters = world.regions.map { PeopleQuery(region: $0) } + [world.orgs["unit"]!, world.orgs["dept"]!].map { PeopleQuery(org: $0) }
        for viewer in [world.viewers["staff"]!, world.viewers["admin"]!] {
            for q in qs {
                for var f in filters {
                    f.q = q
                    try await pages(viewer, f)
                }
            }
        }
    }

    func queries(_ qs: [String], orgs extraOrgs: [String] = [], extraViewers: [String] = []) async throws {
        var filters: [PeopleQuery] = [PeopleQuery()]
        for r in world.regions { filters.append(PeopleQuery(region: r)) }
        for o in Array(world.orgs.values) + extraOrgs { filters.append(PeopleQuery(org: o)) }
        filters += [PeopleQuery(line: world.line), PeopleQuery(rank: world.rank), PeopleQuery(role: world.role),
                    PeopleQuery(region: "330110000000", line: world.line), PeopleQuery(region: "999999999999"),
                    PeopleQuery(org: "nosuchorg0000000")]
        var viewers = Array(world.viewers.values)
        for id in extraViewers { if let v = try await dir.viewer(personId: id) { viewers.append(v) } }
        for viewer in viewers {
            for q in qs {
                for var f in filters {
                    // Every query alone, and every filter with a few of them: the grid stays small.
                    if f != PeopleQuery() && !(q.isEmpty || q == qs.first) { continue }
                    f.q = q
                    try await pages(viewer, f)
                }
            }
        }
    }

    /// Up to three pages of 7, so paging through every source boundary is compared too.
    func pages(_ viewer: Viewer, _ query: PeopleQuery) async throws {
        var cursor: String? = nil
        for _ in 0..<3 {
            let page = try PageRequest(limit: 7, cursor: cursor)
            let fast = await outcome { try await dir.search(query, viewer: viewer, page: page) }
            let slow = await outcome { try await dir.sqlSearch(query, viewer: viewer, page: page) }
            #expect(fast == slow, "search \(query) as \(viewer.name), cursor \(cursor ?? "-")")
            guard case .page(_, let next) = slow, let next else { return }
            cursor = next
        }
    }

    func members() async throws {
        for viewer in world.viewers.values {
            for org in world.orgs.values {
                for recursive in [false, true] {
                    var cursor: String? = nil
                    for _ in 0..<3 {
                        let page = try PageRequest(limit: 9, cursor: cursor)
                        let fast = await outcome { try await dir.members(org, recursive: recursive, viewer: viewer, page: page) }
                        let slow = await outcome { try await dir.sqlMembers(org, recursive: recursive, viewer: viewer, page: page) }
                        #expect(fast == slow, "members of \(org) recursive \(recursive) as \(viewer.name)")
                        guard case .page(_, let next) = slow, let next else { break }
                        cursor = next
                    }
                }
            }
        }
    }
}

private enum Outcome: Equatable {
    case page([PersonView], String?)
    case error(String)
}

private func outcome(_ body: () async throws -> Page<PersonView>) async -> Outcome {
    do {
        let p = try await body()
        return .page(p.items, p.nextCursor)
    } catch let e as DomainError {
        return .error(e.code)
    } catch {
        return .error("\(error)")
    }
}
