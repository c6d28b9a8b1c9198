import Audit
import Foundation
import SQLKit
import Storage
import ZhengtongCore

public struct NewPosition: Sendable {
    public var orgId: String
    public var title: String?
    public var leader: Bool?
    public var roles: [String]?
    public var main: Bool?
    public var order: Int?
    public init(orgId: String, title: String? = nil, leader: Bool? = nil, roles: [String]? = nil, main: Bool? = nil, order: Int? = nil) {
        self.orgId = orgId; self.title = title; self.leader = leader; self.roles = roles; self.main = main; self.order = order
    }
}

public struct NewPerson: Sendable {
    public var name: String
    public var username: String
    public var mobile: String?
    public var email: String?
    public var password: String?
    public var rank: String?
    public var seniorMode: Bool?
    public var hideMobile: Bool?
    public var positions: [NewPosition]
    public init(name: String, username: String, mobile: String? = nil, email: String? = nil, password: String? = nil,
                rank: String? = nil, seniorMode: Bool? = nil, hideMobile: Bool? = nil, positions: [NewPosition] = []) {
        self.name = name; self.username = username; self.mobile = mobile; self.email = email; self.password = password
        self.rank = rank; self.seniorMode = seniorMode; self.hideMobile = hideMobile; self.positions = positions
    }
}

/// A partial update. For the optional text fields, `.some(nil)` clears the value.
public struct PersonPatch: Sendable {
    public var name: String?
    public var mobile: String??
    public var email: String??
    public var rank: String??
    public var seniorMode: Bool?
    public var hideMobile: Bool?
    public var status: String?
    public var password: String?
    public init(name: String? = nil, mobile: String?? = nil, email: String?? = nil, rank: String?? = nil,
                seniorMode: Bool? = nil, hideMobile: Bool? = nil, status: String? = nil, password: String? = nil) {
        self.name = name; self.mobile = mobile; self.email = email; self.rank = rank; self.seniorMode = seniorMode
        self.hideMobile = hideMobile; self.status = status; self.password = password
    }
}

/// Hashes passwords; the Accounts module supplies the memory-hard implementation.
public protocol PasswordHashing: Sendable {
    func hash(_ password: String) throws -> String
}

extension DirectoryService {
    public func createPerson(_ input: NewPerson, hasher: any PasswordHashing, by viewer: Viewer, from address: String?) async throws -> PersonView {
        let name = try Validate.name(input.name, max: 50)
        let username = try Validate.username(input.username)
        let mobile = try Validate.mobile(input.mobile)
        let email = try Validate.email(input.email)
        let rank = try Validate.optionalText(input.rank, field: "rank", max: 50)
        let passwordHash = try input.password.map { try hasher.hash(try Validate.password($0)) }
        guard input.positions.count <= 20 else { throw DomainError.invalid("positions", "at most 20 positions") }
        if input.positions.isEmpty && !viewer.scope.global {
            throw DomainError.invalid("positions", "a person needs at least one position inside your scope")
        }
        let mains = input.positions.filter { $0.main == true }.count
        guard mains <= 1 else { throw DomainError.invalid("positions", "exactly one position may be main") }
        var person = Person(id: ID.make(at: clock.now()), name: name, username: username, mobile: mobile, email: email, rank: rank,
                            seniorMode: input.seniorMode ?? false, hideMobile: input.hideMobile ?? false)
        guard !person.pinyinCompact.isEmpty || !name.isEmpty else { throw DomainError.invalid("name", "name is empty") }
        return try await write { db in
            try await uniqueCheck(db, username: username, mobile: mobile, except: nil)
            let now = clock.now()
            try await PersonWrites.insert(db, person, passwordHash: passwordHash, now: now)
            var positions: [PositionView] = []
            for (i, p) in input.positions.enumerated() {
                let main = mains == 0 ? i == 0 : (p.main == true)
                positions.append(try await addPosition(db, personId: person.id, p, main: main, viewer: viewer))
            }
            person.mobile = mobile
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "person.create", targetType: "person",
                                      targetId: person.id, before: Person?.none, after: person, at: now)
            // The positions are part of the person's audit row; followers of the change log see them as their own changes.
            for p in positions {
                try await DirectoryChanges.append(db, kind: "position", op: "create", targetId: p.id, data: p, actorId: viewer.personId, at: now)
            }
            return try await DirectoryQueries.views(db, people: [person], viewer: viewer)[0]
        }
    }

    public func updatePerson(_ id: String, _ patch: PersonPatch, hasher: any PasswordHashing, by viewer: Viewer, from address: String?) async throws -> PersonView {
        let name = try patch.name.map { try Validate.name($0, max: 50) }
        let mobile = try patch.mobile.map { try Validate.mobile($0) }
        let email = try patch.email.map { try Validate.email($0) }
        let rank = try patch.rank.map { try Validate.optionalText($0, field: "rank", max: 50) }
        let status = try patch.status.map { s -> PersonStatus in
            guard let st = PersonStatus(rawValue: s) else { throw DomainError.invalid("status", "status must be active or disabled") }
            return st
        }
        let passwordHash = try patch.password.map { try hasher.hash(try Validate.password($0)) }
        return try await write { db in
            let (before, _) = try await administeredPerson(db, id, viewer)
            if status == .disabled && id == viewer.personId {
                throw DomainError(.conflict, "cannot_disable_self", "you cannot disable your own account")
            }
            var p = before
            if let name {
                let fresh = Person(id: p.id, name: name, username: p.username)
                p.name = name; p.pinyin = fresh.pinyin; p.pinyinCompact = fresh.pinyinCompact; p.initials = fresh.initials
            }
            if let mobile { p.mobile = mobile }
            if let email { p.email = email }
            if let rank { p.rank = rank }
            if let s = patch.seniorMode { p.seniorMode = s }
            if let h = patch.hideMobile { p.hideMobile = h }
            if let status { p.status = status }
            try await uniqueCheck(db, username: nil, mobile: p.mobile == before.mobile ? nil : p.mobile, except: id)
            try await PersonWrites.update(db, p, now: clock.now())
            if let passwordHash {
                try await db.raw("UPDATE people SET password_hash = \(bind: passwordHash), failed_logins = 0, locked_until = NULL WHERE id = \(bind: id)").run()
                try await db.raw("UPDATE sessions SET revoked_at = \(bind: clock.now().millis) WHERE person_id = \(bind: id) AND revoked_at IS NULL").run()
            }
            if status == .disabled && before.status != .disabled {
                try await db.raw("UPDATE sessions SET revoked_at = \(bind: clock.now().millis) WHERE person_id = \(bind: id) AND revoked_at IS NULL").run()
            }
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "person.update", targetType: "person",
                                      targetId: id, detail: passwordHash == nil ? [:] : ["password": "changed"],
                                      before: before, after: p, at: clock.now())
            return try await DirectoryQueries.views(db, people: [p], viewer: viewer)[0]
        }
    }

    /// Disables a person (people are never deleted: their history stays attributable) and ends their sessions.
    public func disablePerson(_ id: String, by viewer: Viewer, from address: String?) async throws {
        try await write { db in
            let (before, _) = try await administeredPerson(db, id, viewer)
            guard before.id != viewer.personId else {
                throw DomainError(.conflict, "cannot_disable_self", "you cannot disable your own account")
            }
            var p = before
            p.status = .disabled
            try await PersonWrites.update(db, p, now: clock.now())
            try await db.raw("UPDATE sessions SET revoked_at = \(bind: clock.now().millis) WHERE person_id = \(bind: id) AND revoked_at IS NULL").run()
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "person.disable", targetType: "person",
                                      targetId: id, before: before, after: p, at: clock.now())
        }
    }

    // MARK: Positions

    public func createPosition(personId: String, _ input: NewPosition, by viewer: Viewer, from address: String?) async throws -> PositionView {
        try await write { db in
            _ = try await administeredPerson(db, personId, viewer)
            let existing = try await DirectoryQueries.positions(db, personIds: [personId])
            if existing.count >= 20 { throw DomainError.invalid("positions", "at most 20 positions") }
            let main = existing.isEmpty || input.main == true
            if main { try await db.raw("UPDATE positions SET is_main = 0 WHERE person_id = \(bind: personId)").run() }
            let pos = try await addPosition(db, personId: personId, input, main: main, viewer: viewer)
            try await PersonWrites.touch(db, personId, now: clock.now())
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "position.create", targetType: "position",
                                      targetId: pos.id, before: PositionView?.none, after: pos, at: clock.now())
            return pos
        }
    }

    public func updatePosition(_ id: String, title: String??, leader: Bool?, roles: [String]?, main: Bool?, order: Int?,
                               by viewer: Viewer, from address: String?) async throws -> PositionView {
        let title = try title.map { try Validate.optionalText($0, field: "title", max: 50) }
        let roles = try roles.map { try Validate.list($0, field: "roles") }
        let order = try order.map { try Validate.order($0) }
        return try await write { db in
            let before = try await administeredPosition(db, id, viewer)
            if main == false && before.main {
                throw DomainError.invalid("main", "make another position main instead")
            }
            if main == true { try await db.raw("UPDATE positions SET is_main = 0 WHERE person_id = \(bind: before.personId)").run() }
            var after = before
            if let title { after.title = title }
            if let leader { after.leader = leader }
            if let roles { after.roles = roles }
            if let order { after.order = order }
            if main == true { after.main = true }
            try await PersonWrites.catalog(db, title: after.title)
            try await db.raw("""
                UPDATE positions SET title = \(bind: after.title), leader = \(bind: after.leader ? 1 : 0), roles = \(bind: Rows.encodeList(after.roles)),
                    is_main = \(bind: after.main ? 1 : 0), display_order = \(bind: after.order) WHERE id = \(bind: id)
                """).run()
            try await PersonWrites.touch(db, before.personId, now: clock.now())
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "position.update", targetType: "position",
                                      targetId: id, before: before, after: after, at: clock.now())
            return after
        }
    }

    public func deletePosition(_ id: String, by viewer: Viewer, from address: String?) async throws {
        try await write { db in
            let before = try await administeredPosition(db, id, viewer)
            try await db.raw("DELETE FROM positions WHERE id = \(bind: id)").run()
            if before.main {
                // Another position, if any, becomes main so a person always has exactly one.
                if let next = try await DirectoryQueries.positions(db, personIds: [before.personId]).first {
                    try await db.raw("UPDATE positions SET is_main = 1 WHERE id = \(bind: next.id)").run()
                }
            }
            try await PersonWrites.touch(db, before.personId, now: clock.now())
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "position.delete", targetType: "position",
                                      targetId: id, before: before, after: PositionView?.none, at: clock.now())
        }
    }

    // MARK: Helpers

    func addPosition(_ db: any SQLDatabase, personId: String, _ p: NewPosition, main: Bool, viewer: Viewer) async throws -> PositionView {
        let org = try await visibleOrg(db, p.orgId, viewer, field: "org_id")
        guard viewer.scope.covers(org) else { throw DomainError.forbidden }
        let title = try Validate.optionalText(p.title, field: "title", max: 50)
        let roles = try Validate.list(p.roles, field: "roles")
        let order = try Validate.order(p.order)
        let unitId = org.path.split(separator: "/").first.map(String.init) ?? org.id
        let unitLines = unitId == org.id ? org.lines : (try await DirectoryQueries.org(db, unitId)?.lines ?? [])
        let id = ID.make(at: clock.now())
        try await PersonWrites.catalog(db, title: title)
        try await db.raw("""
            INSERT INTO positions (id, person_id, org_id, org_path, region_code, hidden_scope, restrict_scope, lines, title, leader,
                                   roles, is_main, display_order)
            VALUES (\(bind: id), \(bind: personId), \(bind: org.id), \(bind: org.path), \(bind: org.regionCode), \(bind: org.hiddenScope),
                    \(bind: org.restrictScope), \(bind: Rows.encodeList(unitLines)), \(bind: title), \(bind: p.leader == true ? 1 : 0),
                    \(bind: Rows.encodeList(roles)), \(bind: main ? 1 : 0), \(bind: order))
            """).run()
        return PositionView(id: id, personId: personId, orgId: org.id, orgName: org.name, orgPath: org.path, regionCode: org.regionCode,
                            hiddenScope: org.hiddenScope, restrictScope: org.restrictScope, title: title, leader: p.leader == true,
                            roles: roles, main: main, order: order)
    }

    /// A person the viewer administers: 404 if the viewer cannot see them, 403 if they can but do not administer them.
    func administeredPerson(_ db: any SQLDatabase, _ id: String, _ viewer: Viewer) async throws -> (Person, [PositionView]) {
        guard ID.isValid(id), let p = try await DirectoryQueries.person(db, id) else { throw DomainError.notFound("person") }
        let positions = try await DirectoryQueries.positions(db, personIds: [id])
        guard Privacy.canSee(person: p, positions: positions, viewer: viewer) else { throw DomainError.notFound("person") }
        guard Privacy.adminCovers(person: positions, viewer: viewer) else { throw DomainError.forbidden }
        return (p, positions)
    }

    func administeredPosition(_ db: any SQLDatabase, _ id: String, _ viewer: Viewer) async throws -> PositionView {
        guard ID.isValid(id), let pos = try await DirectoryQueries.position(db, id), Privacy.canSee(position: pos, viewer: viewer) else {
            throw DomainError.notFound("position")
        }
        guard viewer.scope.covers(orgPath: pos.orgPath, regionCode: pos.regionCode) else { throw DomainError.forbidden }
        return pos
    }

    func uniqueCheck(_ db: any SQLDatabase, username: String?, mobile: String?, except: String?) async throws {
        if let username, try await db.raw("SELECT id FROM people WHERE username = \(bind: username)").first() != nil {
            throw DomainError(.conflict, "username_taken", "username \(username) is already taken")
        }
        if let mobile, let row = try await db.raw("SELECT id FROM people WHERE mobile = \(bind: mobile)").first(),
           try row.decode(column: "id", as: String.self) != except {
            throw DomainError(.conflict, "mobile_taken", "mobile is already used by another person")
        }
    }
}

enum PersonWrites {
    static func insert(_ db: any SQLDatabase, _ p: Person, passwordHash: String?, now: Date) async throws {
        try await db.raw("""
            INSERT INTO people (id, name, pinyin, pinyin_compact, initials, username, mobile, email, rank, status, senior_mode,
                                hide_mobile, password_hash, created_at, updated_at)
            VALUES (\(bind: p.id), \(bind: p.name), \(bind: p.pinyin), \(bind: p.pinyinCompact), \(bind: p.initials), \(bind: p.username),
                    \(bind: p.mobile), \(bind: p.email), \(bind: p.rank), \(bind: p.status.rawValue), \(bind: p.seniorMode ? 1 : 0),
                    \(bind: p.hideMobile ? 1 : 0), \(bind: passwordHash), \(bind: now.millis), \(bind: now.millis))
            """).run()
        try await insertGrams(db, p)
    }

    /// Records a title in the catalog search reads to learn which titles match a term.
    static func catalog(_ db: any SQLDatabase, title: String?) async throws {
        guard let title else { return }
        try await db.raw("INSERT INTO titles (title) VALUES (\(bind: title)) ON CONFLICT (title) DO NOTHING").run()
    }

    static func insertGrams(_ db: any SQLDatabase, _ p: Person) async throws {
        let grams = NameGrams.grams(p.name)
        guard !grams.isEmpty else { return }
        var sql: SQLQueryString = "INSERT INTO person_grams (gram, pinyin_compact, person_id) VALUES "
        sql += grams.map { g -> SQLQueryString in "(\(bind: g), \(bind: p.pinyinCompact), \(bind: p.id))" }.joined(separator: ", ")
        try await db.raw(sql).run()
    }

    static func update(_ db: any SQLDatabase, _ p: Person, now: Date) async throws {
        try await db.raw("""
            UPDATE people SET name = \(bind: p.name), pinyin = \(bind: p.pinyin), pinyin_compact = \(bind: p.pinyinCompact),
                initials = \(bind: p.initials), mobile = \(bind: p.mobile), email = \(bind: p.email), rank = \(bind: p.rank),
                status = \(bind: p.status.rawValue), senior_mode = \(bind: p.seniorMode ? 1 : 0), hide_mobile = \(bind: p.hideMobile ? 1 : 0),
                updated_at = \(bind: now.millis)
            WHERE id = \(bind: p.id)
            """).run()
        try await db.raw("DELETE FROM person_grams WHERE person_id = \(bind: p.id)").run()
        try await insertGrams(db, p)
    }

    /// A position added, changed or removed changes the person as others see them (SCIM's
    /// `meta.lastModified` reads this).
    static func touch(_ db: any SQLDatabase, _ personId: String, now: Date) async throws {
        try await db.raw("UPDATE people SET updated_at = \(bind: now.millis) WHERE id = \(bind: personId)").run()
    }
}
