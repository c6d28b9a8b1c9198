import Foundation
import SQLKit
import Storage
import ZhengtongCore

extension DirectoryService {
    /// Imports a people file within the viewer's scope: all or nothing. Every row is checked first and
    /// every bad row reported with its line; only a clean file is applied, in one transaction, through
    /// the same domain actions as the API (so scope, privacy, audit and the change log apply to each
    /// change). People are matched by username, so importing the same file again changes nothing.
    /// Missing orgs along a path are created (units in the row's region, departments below them).
    public func importPeople(_ data: Data, dryRun: Bool, by viewer: Viewer, from address: String?,
                             progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> ImportReport {
        var report = ImportReport()
        report.dryRun = dryRun
        let records = try CSV.parse(try CSV.text(data))
        guard let head = records.first else { throw DomainError(.unprocessable, "invalid_csv", "the file is empty") }
        let (index, headerIssues) = PeopleCSV.header(head.fields)
        guard headerIssues.isEmpty else {
            report.errors = headerIssues
            return report
        }
        var rows: [PeopleCSV.Row] = []
        for record in records.dropFirst() {
            let (row, issues) = PeopleCSV.row(record, index)
            report.errors += issues
            if let row { rows.append(row) }
        }
        report.rows = records.count - 1
        // Rows of one person must agree on the person's fields.
        var groups: [String: [PeopleCSV.Row]] = [:]
        var order: [String] = []
        for row in rows {
            if let first = groups[row.username]?.first {
                if first.name != row.name || first.mobile != row.mobile || first.email != row.email || first.rank != row.rank
                    || first.seniorMode != row.seniorMode || first.hideMobile != row.hideMobile || first.status != row.status {
                    report.errors.append(ImportIssue(line: row.line, column: nil, code: "conflicting_rows",
                                                     message: "the person fields differ from line \(first.line) for the same username"))
                }
            } else {
                order.append(row.username)
            }
            groups[row.username, default: []].append(row)
        }
        var mobiles: [String: Int] = [:]
        for username in order {
            guard let row = groups[username]?.first, let m = row.mobile else { continue }
            if let other = mobiles[m] {
                report.errors.append(ImportIssue(line: row.line, column: "mobile", code: "duplicate_mobile",
                                                 message: "mobile \(m) is also on line \(other)"))
            }
            mobiles[m] = row.line
        }
        report.people = order.count
        // Orgs: each reference must name an org in scope, or a path whose missing part may be created here.
        let resolver = OrgResolver(service: self, viewer: viewer)
        for row in rows { if let issue = try await resolver.check(row) { report.errors.append(issue) } }
        guard report.errors.isEmpty else {
            report.errors.sort { ($0.line, $0.column ?? "") < ($1.line, $1.column ?? "") }
            return report
        }

        let counts: ImportReport
        do {
            counts = try await write { db in
                let tx = DirectoryService(database: InTransaction(db, in: database), clock: clock)
                var r = report
                let orgs = OrgResolver(service: tx, viewer: viewer)
                for (i, username) in order.enumerated() {
                    try await tx.importPerson(groups[username]!, orgs: orgs, report: &r, db: db, viewer: viewer, address: address)
                    progress(i + 1, order.count)
                }
                r.orgsCreated = await orgs.created
                if dryRun { throw DryRun(report: r) }
                return r
            }
        } catch let d as DryRun {
            return d.report
        } catch let f as ImportFailed {
            report.errors = [f.issue]
            return report
        }
        report = counts
        report.applied = true
        return report
    }

    /// One person's rows: create or update the person, then add or update each position.
    func importPerson(_ rows: [PeopleCSV.Row], orgs: OrgResolver, report: inout ImportReport, db: any SQLDatabase,
                      viewer: Viewer, address: String?) async throws {
        let first = rows[0]
        do {
            var orgIds: [String] = []
            for row in rows { orgIds.append(try await orgs.resolve(row, create: true)) }
            let existingId = try await db.raw("SELECT id FROM people WHERE username = \(bind: first.username)").first()?
                .decode(column: "id", as: String.self)
            guard let id = existingId, let person = try await DirectoryQueries.person(db, id) else {
                let positions = zip(rows, orgIds).enumerated().map { i, pair in
                    NewPosition(orgId: pair.1, title: pair.0.title, leader: pair.0.leader, roles: pair.0.roles, main: i == 0)
                }
                let input = NewPerson(name: first.name, username: first.username, mobile: first.mobile, email: first.email,
                                      rank: first.rank, seniorMode: first.seniorMode, hideMobile: first.hideMobile, positions: positions)
                let view = try await createPerson(input, hasher: NoPasswords(), by: viewer, from: address)
                if first.status == .disabled { try await disablePerson(view.person.id, by: viewer, from: address) }
                report.created += 1
                report.positionsAdded += positions.count
                return
            }
            var patch = PersonPatch()
            var changed = false
            if person.name != first.name { patch.name = first.name; changed = true }
            if first.has("mobile"), person.mobile != first.mobile { patch.mobile = .some(first.mobile); changed = true }
            if first.has("email"), person.email != first.email { patch.email = .some(first.email); changed = true }
            if first.has("rank"), person.rank != first.rank { patch.rank = .some(first.rank); changed = true }
            if let s = first.seniorMode, s != person.seniorMode { patch.seniorMode = s; changed = true }
            if let h = first.hideMobile, h != person.hideMobile { patch.hideMobile = h; changed = true }
            if let st = first.status, st != person.status { patch.status = st.rawValue; changed = true }
            if changed { _ = try await updatePerson(id, patch, hasher: NoPasswords(), by: viewer, from: address) }
            let existing = try await DirectoryQueries.positions(db, personIds: [id])
            var positionsChanged = false
            for (row, orgId) in zip(rows, orgIds) {
                if let p = existing.first(where: { $0.orgId == orgId }) {
                    let title = row.has("title") ? row.title : p.title
                    let leader = row.has("leader") ? row.leader : p.leader
                    let roles = row.has("roles") ? row.roles : p.roles
                    if p.title != title || p.leader != leader || p.roles != roles {
                        _ = try await updatePosition(p.id, title: .some(title), leader: leader, roles: roles, main: nil, order: nil,
                                                     by: viewer, from: address)
                        report.positionsUpdated += 1
                        positionsChanged = true
                    }
                } else {
                    _ = try await createPosition(personId: id, NewPosition(orgId: orgId, title: row.title, leader: row.leader, roles: row.roles),
                                                 by: viewer, from: address)
                    report.positionsAdded += 1
                    positionsChanged = true
                }
            }
            if changed || positionsChanged { report.updated += 1 } else { report.unchanged += 1 }
        } catch let e as DomainError {
            // A row that passed the checks but that the domain refuses: the whole import is rolled back.
            throw ImportFailed(issue: ImportIssue(line: first.line, column: nil, code: e.code, message: e.message))
        }
    }
}

/// Thrown out of the transaction to roll a dry run back with its report.
struct DryRun: Error { var report: ImportReport }

/// A row the domain refused while applying; the import is rolled back and this row reported.
public struct ImportFailed: Error, Sendable { public var issue: ImportIssue }

/// Imports never set passwords: a file of passwords is a leak waiting to happen. People sign in after an
/// administrator sets one.
struct NoPasswords: PasswordHashing {
    func hash(_ password: String) throws -> String { throw DomainError.invalid("password", "imports do not set passwords") }
}

/// Turns an `org` cell into an org id: an id as is, or a path of names ("单位/部门/科室") below the unit
/// of that name in the row's region. Remembers what it resolved and created.
actor OrgResolver {
    let service: DirectoryService
    let viewer: Viewer
    private var cache: [String: String] = [:]
    private(set) var created = 0

    init(service: DirectoryService, viewer: Viewer) {
        self.service = service
        self.viewer = viewer
    }

    static func segments(_ path: String) -> [String] {
        path.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Read-only check for the validation pass: nil when the reference is usable.
    func check(_ row: PeopleCSV.Row) async throws -> ImportIssue? {
        do {
            _ = try await resolve(row, create: false)
            return nil
        } catch let e as DomainError {
            return ImportIssue(line: row.line, column: "org", code: e.code, message: e.message)
        }
    }

    func resolve(_ row: PeopleCSV.Row, create: Bool) async throws -> String {
        if ID.isValid(row.org) && !row.org.contains("/") {
            let org = try await service.org(row.org, viewer: viewer)
            guard viewer.scope.covers(org) else { throw DomainError.invalid("org", "org \(row.org) is outside your scope") }
            return org.id
        }
        let names = Self.segments(row.org)
        guard !names.isEmpty else { throw DomainError.invalid("org", "org is empty") }
        guard let region = row.region else { throw DomainError.invalid("org", "an org path needs the region column (the unit's region code)") }
        let key = region + "|" + names.joined(separator: "/")
        if let id = cache[key] { return id }
        var parent: Org? = nil
        for (depth, name) in names.enumerated() {
            let found = try await find(name: name, parent: parent, region: region)
            if let found {
                parent = found
                continue
            }
            // What is missing may be created only inside the viewer's scope.
            if let p = parent {
                guard viewer.scope.covers(p) else { throw DomainError.invalid("org", "\(names[..<(depth + 1)].joined(separator: "/")) does not exist and is outside your scope") }
            } else {
                _ = try await service.region(region)
                guard viewer.scope.covers(regionCode: region) else {
                    throw DomainError.invalid("org", "unit \(name) does not exist in region \(region), which is outside your scope")
                }
            }
            guard create else { return "" }
            let org = try await service.createOrg(NewOrg(name: name, kind: parent == nil ? "unit" : "department",
                                                         regionCode: parent == nil ? region : nil, parentId: parent?.id),
                                                  by: viewer, from: nil)
            created += 1
            parent = org
        }
        guard let org = parent else { throw DomainError.invalid("org", "org is empty") }
        guard viewer.scope.covers(org) else { throw DomainError.invalid("org", "\(row.org) is outside your scope") }
        cache[key] = org.id
        return org.id
    }

    private func find(name: String, parent: Org?, region: String) async throws -> Org? {
        let rows = try await service.database.read { db in
            if let parent {
                return try await db.raw("SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs WHERE parent_id = \(bind: parent.id) AND name = \(bind: name)")
                    .all().map { try Rows.org($0) }
            }
            return try await db.raw("""
                SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs WHERE parent_id IS NULL AND kind = 'unit' AND region_code = \(bind: region) AND name = \(bind: name)
                """).all().map { try Rows.org($0) }
        }
        guard rows.count <= 1 else { throw DomainError.invalid("org", "there are \(rows.count) orgs named \(name) here; use the org id") }
        return rows.first
    }
}
