import Crypto
import Directory
import Foundation
import SQLKit
import Storage
import ZhengtongCore

/// SCIM Users and Groups over the directory, within one provisioning token's org subtree. Every write
/// goes through the directory's domain actions as the token's viewer, so scope, validation, audit and
/// the change log apply exactly as for an administrator.
///
/// - A User is a person with at least one position in the subtree; a new one gets a position in the
///   token's org. Deleting a User removes their positions in the subtree and, when none are left
///   anywhere, disables them: people are never deleted, so their history stays attributable.
/// - A Group is an org in the subtree; its members are the people with a position in it. Adding a
///   member adds a position, removing one removes it.
struct ScimService: Sendable {
    let directory: DirectoryService
    let database: any Database
    let viewer: Viewer
    /// The token's org: the root of everything this client may touch.
    let root: Org
    /// Absolute URL of the SCIM base, for `meta.location` and `$ref`.
    let base: String

    static let maxResults = 200
    /// Filters are evaluated over the subtree's resources in memory, up to this many.
    static let maxScan = 50_000

    // MARK: Users

    func peopleIds() async throws -> [String] {
        try await database.read { db in
            try await db.raw("""
                SELECT DISTINCT x.person_id FROM positions x WHERE x.org_path >= \(bind: root.path) AND x.org_path < \(bind: root.path + "\u{7F}")
                LIMIT \(bind: Self.maxScan + 1)
                """).all().map { try $0.decode(column: "person_id", as: String.self) }
        }
    }

    func userIds(matching filter: ScimFilter?) async throws -> [String]? {
        // The common provisioning lookup, `userName eq "…"`, goes straight to the index.
        if case .compare(let path, "eq", .string(let name))? = filter, path.count == 1, path[0].lowercased() == "username" {
            guard let id = try await directory.personId(username: name.lowercased()) else { return [] }
            return [id]
        }
        return nil
    }

    func user(_ id: String) async throws -> [String: Any] {
        guard let u = try await users([id]).first else { throw ScimError.notFound("User \(id) not found") }
        return u
    }

    func users(_ ids: [String]) async throws -> [[String: Any]] {
        let views = try await directory.visiblePeople(ids, viewer: viewer)
        let stamps = try await timestamps("people", ids)
        let external = try await externalIds("person", ids)
        return ids.compactMap { id -> [String: Any]? in
            guard let v = views[id] else { return nil }
            let inside = v.positions.filter { $0.orgPath.hasPrefix(root.path) }
            guard !inside.isEmpty else { return nil }
            return userJSON(v, inside: inside, externalId: external[id], stamps: stamps[id])
        }
    }

    func userJSON(_ v: PersonView, inside: [PositionView], externalId: String?, stamps: (Date, Date)?) -> [String: Any] {
        let p = v.person
        var u: [String: Any] = ["schemas": [Scim.userSchema, Scim.extensionSchema], "id": p.id, "userName": p.username,
                                "displayName": p.name, "active": p.status == .active]
        if let externalId { u["externalId"] = externalId }
        let main = inside.first { $0.main } ?? inside[0]
        if let t = main.title { u["title"] = t }
        if let e = p.email { u["emails"] = [["value": e]] }
        if let m = p.mobile { u["phoneNumbers"] = [["value": m, "type": "mobile"]] }
        u["groups"] = inside.map { ["value": $0.orgId, "display": $0.orgName] }
        var ext: [String: Any] = ["positions": inside.map { x -> [String: Any] in
            var d: [String: Any] = ["org": x.orgId, "orgName": x.orgName, "leader": x.leader, "primary": x.main]
            if let t = x.title { d["title"] = t }
            return d
        }, "region": main.regionCode, "seniorMode": p.seniorMode]
        if let r = p.rank { ext["rank"] = r }
        u[Scim.extensionSchema] = ext
        u["meta"] = meta("User", p.id, u, stamps)
        return u
    }

    func meta(_ type: String, _ id: String, _ resource: [String: Any], _ stamps: (Date, Date)?) -> [String: Any] {
        var m: [String: Any] = ["resourceType": type, "location": "\(base)/\(type)s/\(id)", "version": Self.version(resource)]
        if let (created, modified) = stamps {
            m["created"] = created.iso8601
            m["lastModified"] = modified.iso8601
        }
        return m
    }

    /// A weak ETag over everything the resource shows, so any change (a position in another org
    /// included) gives a new version.
    static func version(_ resource: [String: Any]) -> String {
        var r = resource
        r["meta"] = nil
        let data = (try? ScimJSON.encode(r)) ?? Data()
        return "W/\"" + Hex.string(SHA256.hash(data: data).prefix(8)) + "\""
    }

    func timestamps(_ table: String, _ ids: [String]) async throws -> [String: (Date, Date)] {
        let valid = ids.filter(ID.isValid)
        guard !valid.isEmpty else { return [:] }
        return try await database.read { db in
            var out: [String: (Date, Date)] = [:]
            for start in stride(from: 0, to: valid.count, by: 500) {
                let chunk = Array(valid[start..<min(start + 500, valid.count)])
                for r in try await db.raw("SELECT id, created_at, updated_at FROM \(unsafeRaw: table) WHERE id IN (\(binds: chunk))").all() {
                    out[try r.decode(column: "id", as: String.self)] = (Date(millis: try r.decode(column: "created_at", as: Int64.self)),
                                                                      Date(millis: try r.decode(column: "updated_at", as: Int64.self)))
                }
            }
            return out
        }
    }

    func externalIds(_ kind: String, _ ids: [String]) async throws -> [String: String] {
        let valid = ids.filter(ID.isValid)
        guard !valid.isEmpty else { return [:] }
        return try await database.read { db in
            var out: [String: String] = [:]
            for start in stride(from: 0, to: valid.count, by: 500) {
                let chunk = Array(valid[start..<min(start + 500, valid.count)])
                for r in try await db.raw("SELECT id, external_id FROM external_ids WHERE kind = \(bind: kind) AND id IN (\(binds: chunk))").all() {
                    out[try r.decode(column: "id", as: String.self)] = try r.decode(column: "external_id", as: String.self)
                }
            }
            return out
        }
    }

    static func setExternalId(_ tx: DirectoryService, _ kind: String, _ id: String, _ value: String?) async throws {
        try await tx.database.transaction { db in
            try await db.raw("DELETE FROM external_ids WHERE kind = \(bind: kind) AND id = \(bind: id)").run()
            if let value {
                try await db.raw("INSERT INTO external_ids (kind, id, external_id) VALUES (\(bind: kind), \(bind: id), \(bind: value))").run()
            }
        }
    }

    static func externalId(_ body: [String: Any]) throws -> String? {
        guard let k = ScimJSON.key(body, "externalId"), let v = body[k], !(v is NSNull) else { return nil }
        guard let s = v as? String, s.count <= 256 else { throw ScimError.invalidValue("externalId must be a string of at most 256 characters") }
        return s
    }

    struct UserInput {
        var externalId: String?
        var userName: String
        var displayName: String
        var active: Bool
        var title: String?
        var email: String?
        var rank: String?
    }

    static func userInput(_ body: [String: Any]) throws -> UserInput {
        func string(_ k: String, in o: [String: Any] = body) throws -> String? {
            guard let key = ScimJSON.key(o, k), let v = o[key], !(v is NSNull) else { return nil }
            guard let s = v as? String else { throw ScimError.invalidValue("\(k) must be a string") }
            return s
        }
        guard let userName = try string("userName"), !userName.isEmpty else { throw ScimError.invalidValue("userName is required") }
        guard let displayName = try string("displayName") ?? (body[ScimJSON.key(body, "name") ?? ""] as? [String: Any]).flatMap({ $0["formatted"] as? String }),
              !displayName.isEmpty else { throw ScimError.invalidValue("displayName is required") }
        var active = true
        if let k = ScimJSON.key(body, "active"), let v = body[k], !(v is NSNull) {
            guard let b = v as? Bool else { throw ScimError.invalidValue("active must be true or false") }
            active = b
        }
        var email: String? = nil
        if let k = ScimJSON.key(body, "emails"), let v = body[k], !(v is NSNull) {
            guard let list = v as? [[String: Any]] else { throw ScimError.invalidValue("emails must be a list of objects") }
            let chosen = list.first { $0["primary"] as? Bool == true } ?? list.first
            email = try chosen.flatMap { try string("value", in: $0) }
        }
        var rank: String? = nil
        if let k = ScimJSON.key(body, Scim.extensionSchema), let ext = body[k] as? [String: Any] {
            rank = try string("rank", in: ext)
        }
        return UserInput(externalId: try externalId(body), userName: userName, displayName: displayName, active: active, title: try string("title"), email: email, rank: rank)
    }

    func createUser(_ body: [String: Any], address: String?) async throws -> [String: Any] {
        let input = try Self.userInput(body)
        let new = NewPerson(name: input.displayName, username: input.userName, email: input.email, rank: input.rank,
                            positions: [NewPosition(orgId: root.id, title: input.title, main: true)])
        let id = try await transaction { tx -> String in
            let view = try await tx.createPerson(new, hasher: ScimNoPasswords(), by: viewer, from: address)
            if !input.active { try await tx.disablePerson(view.person.id, by: viewer, from: address) }
            try await Self.setExternalId(tx, "person", view.person.id, input.externalId)
            return view.person.id
        }
        return try await user(id)
    }

    func replaceUser(_ id: String, _ body: [String: Any], address: String?) async throws -> [String: Any] {
        let current = try await user(id)
        let input = try Self.userInput(body)
        guard input.userName.lowercased() == (current["userName"] as? String) else {
            throw ScimError.mutability("userName cannot be changed")
        }
        guard let view = try await directory.visiblePeople([id], viewer: viewer)[id] else { throw ScimError.notFound("User \(id) not found") }
        let p = view.person
        var patch = PersonPatch()
        var changed = false
        if p.name != input.displayName { patch.name = input.displayName; changed = true }
        if p.email != input.email { patch.email = .some(input.email); changed = true }
        if p.rank != input.rank { patch.rank = .some(input.rank); changed = true }
        let status = input.active ? "active" : "disabled"
        if p.status.rawValue != status { patch.status = status; changed = true }
        let inside = view.positions.filter { $0.orgPath.hasPrefix(root.path) }
        try await transaction { tx in
            if changed { _ = try await tx.updatePerson(id, patch, hasher: ScimNoPasswords(), by: viewer, from: address) }
            if let main = inside.first(where: { $0.main }) ?? inside.first, main.title != input.title {
                _ = try await tx.updatePosition(main.id, title: .some(input.title), leader: nil, roles: nil, main: nil, order: nil,
                                                by: viewer, from: address)
            }
            if (current["externalId"] as? String) != input.externalId { try await Self.setExternalId(tx, "person", id, input.externalId) }
        }
        return try await user(id)
    }

    func deleteUser(_ id: String, address: String?) async throws {
        guard let view = try await directory.visiblePeople([id], viewer: viewer)[id] else { throw ScimError.notFound("User \(id) not found") }
        let inside = view.positions.filter { $0.orgPath.hasPrefix(root.path) }
        guard !inside.isEmpty else { throw ScimError.notFound("User \(id) not found") }
        try await transaction { tx in
            // Positions the client cannot see are someone else's business; with none left, the person is
            // disabled (first, while the person is still inside the client's scope).
            let all = try await tx.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM positions WHERE person_id = \(bind: id)").first()?.decode(column: "n", as: Int.self) ?? 0
            }
            if all == inside.count && view.person.status == .active { try await tx.disablePerson(id, by: viewer, from: address) }
            for x in inside { try await tx.deletePosition(x.id, by: viewer, from: address) }
        }
    }

    /// Several domain actions as one: they share a transaction and commit or roll back together.
    func transaction<T: Sendable>(_ body: (DirectoryService) async throws -> T) async throws -> T {
        let result = try await database.transaction { db in
            try await body(DirectoryService(database: InTransaction(db, in: database), clock: directory.clock))
        }
        database.generation.advance()
        return result
    }

    // MARK: Groups

    /// Every Group of the subtree, built from a handful of queries however many there are; nil when
    /// there are more than `maxScan`.
    func allGroups() async throws -> [[String: Any]]? {
        let (orgs, members) = try await directory.subtreeOrgs(root.path, viewer: viewer, limit: Self.maxScan + 1)
        guard orgs.count <= Self.maxScan else { return nil }
        return try await groupsJSON(orgs, members: members)
    }

    func inScopeOrg(_ id: String) async throws -> Org {
        guard let org = try? await directory.org(id, viewer: viewer), org.path.hasPrefix(root.path) else {
            throw ScimError.notFound("Group \(id) not found")
        }
        return org
    }

    func group(_ id: String) async throws -> [String: Any] {
        let org = try await inScopeOrg(id)
        let members = try await database.read { db in
            try await db.raw("""
                SELECT DISTINCT person_id FROM positions WHERE org_id = \(bind: org.id) ORDER BY person_id
                """).all().map { try $0.decode(column: "person_id", as: String.self) }
        }
        return try await groupsJSON([org], members: [org.id: members])[0]
    }

    func groupsJSON(_ orgs: [Org], members: [String: [String]]) async throws -> [[String: Any]] {
        let ids = orgs.map(\.id)
        let external = try await externalIds("org", ids)
        let stamps = try await timestamps("orgs", ids)
        return orgs.map { org in
            var g: [String: Any] = ["schemas": [Scim.groupSchema], "id": org.id, "displayName": org.name]
            if let e = external[org.id] { g["externalId"] = e }
            if let people = members[org.id], !people.isEmpty {
                g["members"] = people.map { ["value": $0, "$ref": "\(base)/Users/\($0)"] }
            }
            g["meta"] = meta("Group", org.id, g, stamps[org.id])
            return g
        }
    }

    static func memberIds(_ body: [String: Any]) throws -> [String] {
        guard let k = ScimJSON.key(body, "members"), let v = body[k], !(v is NSNull) else { return [] }
        guard let list = v as? [[String: Any]] else { throw ScimError.invalidValue("members must be a list of objects") }
        return try list.map { m in
            if let value = m[ScimJSON.key(m, "value") ?? "value"] as? String { return value }
            if let ref = m[ScimJSON.key(m, "$ref") ?? "$ref"] as? String, let last = ref.split(separator: "/").last { return String(last) }
            throw ScimError.invalidValue("each member needs a value (a User id)")
        }
    }

    static func displayName(_ body: [String: Any]) throws -> String {
        guard let k = ScimJSON.key(body, "displayName"), let s = body[k] as? String, !s.isEmpty else {
            throw ScimError.invalidValue("displayName is required")
        }
        return s
    }

    func createGroup(_ body: [String: Any], address: String?) async throws -> [String: Any] {
        let name = try Self.displayName(body)
        let members = try Self.memberIds(body)
        let id = try await transaction { tx -> String in
            let org = try await tx.createOrg(NewOrg(name: name, kind: "department", parentId: root.id), by: viewer, from: address)
            try await setMembers(tx, org.id, want: members, address: address)
            try await Self.setExternalId(tx, "org", org.id, try Self.externalId(body))
            return org.id
        }
        return try await group(id)
    }

    func replaceGroup(_ id: String, _ body: [String: Any], address: String?) async throws -> [String: Any] {
        let org = try await inScopeOrg(id)
        let name = try Self.displayName(body)
        let members = try Self.memberIds(body)
        try await transaction { tx in
            if name != org.name { _ = try await tx.updateOrg(id, OrgPatch(name: name), by: viewer, from: address) }
            try await setMembers(tx, id, want: members, address: address)
            try await Self.setExternalId(tx, "org", id, try Self.externalId(body))
        }
        return try await group(id)
    }

    /// Adds a position for each new member and removes the positions of those no longer listed.
    func setMembers(_ tx: DirectoryService, _ orgId: String, want: [String], address: String?) async throws {
        let current = try await tx.database.read { db in
            try await db.raw("SELECT id, person_id FROM positions WHERE org_id = \(bind: orgId)").all()
                .map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "person_id", as: String.self)) }
        }
        let wanted = Set(want)
        for (position, person) in current where !wanted.contains(person) {
            try await tx.deletePosition(position, by: viewer, from: address)
        }
        let have = Set(current.map(\.1))
        let visible = try await tx.visiblePeople(Array(wanted.subtracting(have)), viewer: viewer)
        for person in want where !have.contains(person) {
            // Only Users of this client: people with a position somewhere in the subtree.
            guard let v = visible[person], v.positions.contains(where: { $0.orgPath.hasPrefix(root.path) }) else {
                throw ScimError.invalidValue("member \(person) is not a User of this service")
            }
            _ = try await tx.createPosition(personId: person, NewPosition(orgId: orgId), by: viewer, from: address)
        }
    }

    func deleteGroup(_ id: String, address: String?) async throws {
        let org = try await inScopeOrg(id)
        guard org.id != root.id else {
            throw ScimError(status: .forbidden, scimType: nil, detail: "the org this client provisions cannot be deleted through it")
        }
        try await transaction { tx in
            try await setMembers(tx, id, want: [], address: address)
            try await tx.deleteOrg(id, by: viewer, from: address)
        }
    }
}

/// SCIM never sets passwords (changePassword is not supported).
struct ScimNoPasswords: PasswordHashing {
    func hash(_ password: String) throws -> String { throw ScimError.invalidValue("passwords cannot be set through SCIM") }
}
