import Audit
import Foundation
import SQLKit
import Storage
import ZhengtongCore

public struct NewRegion: Sendable {
    public var code: String
    public var name: String
    public var level: String
    public var parentCode: String?
    public init(code: String, name: String, level: String, parentCode: String?) {
        self.code = code; self.name = name; self.level = level; self.parentCode = parentCode
    }
}

public struct NewOrg: Sendable {
    public var name: String
    public var kind: String
    public var regionCode: String?
    public var parentId: String?
    public var lines: [String]?
    public var hidden: Bool?
    public var visibility: String?
    public var order: Int?
    public init(name: String, kind: String, regionCode: String? = nil, parentId: String? = nil, lines: [String]? = nil,
                hidden: Bool? = nil, visibility: String? = nil, order: Int? = nil) {
        self.name = name; self.kind = kind; self.regionCode = regionCode; self.parentId = parentId
        self.lines = lines; self.hidden = hidden; self.visibility = visibility; self.order = order
    }
}

/// A partial update: nil leaves a field as it is.
public struct OrgPatch: Sendable {
    public var name: String?
    public var regionCode: String?
    public var parentId: String?
    public var lines: [String]?
    public var hidden: Bool?
    public var visibility: String?
    public var order: Int?
    public init(name: String? = nil, regionCode: String? = nil, parentId: String? = nil, lines: [String]? = nil,
                hidden: Bool? = nil, visibility: String? = nil, order: Int? = nil) {
        self.name = name; self.regionCode = regionCode; self.parentId = parentId; self.lines = lines
        self.hidden = hidden; self.visibility = visibility; self.order = order
    }
}

extension DirectoryService {
    // MARK: Regions

    public func createRegion(_ input: NewRegion, by viewer: Viewer, from address: String?) async throws -> Region {
        guard let level = RegionLevel(rawValue: input.level) else {
            throw DomainError.invalid("level", "level must be one of province, city, county, township, village, grid")
        }
        let name = try Validate.name(input.name)
        let code = input.code.trimmingCharacters(in: .whitespaces)
        guard code.count == level.codeLength, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw DomainError.invalid("code", "a \(level.rawValue) code has \(level.codeLength) digits")
        }
        // The digits below this level must be zero, and this level's own digits must not be.
        let significant = code.prefix(level.significantDigits)
        let ownDigits = significant.dropFirst(level == .province ? 0 : (RegionLevel.allCases[level.depth - 1].significantDigits))
        guard code.dropFirst(level.significantDigits).allSatisfy({ $0 == "0" }), ownDigits.contains(where: { $0 != "0" }) else {
            throw DomainError.invalid("code", "code \(code) is not a valid \(level.rawValue) code")
        }
        return try await write { db in
            var parent: Region? = nil
            if level != .province {
                guard let pc = input.parentCode, let p = try await DirectoryQueries.region(db, pc) else {
                    throw DomainError.invalid("parent_code", "a \(level.rawValue) needs an existing parent region")
                }
                guard p.level.child == level else {
                    throw DomainError.invalid("parent_code", "a \(level.rawValue) cannot sit under a \(p.level.rawValue)")
                }
                guard code.hasPrefix(p.prefix) else {
                    throw DomainError.invalid("code", "code \(code) does not lie under its parent \(p.code)")
                }
                guard viewer.scope.covers(regionCode: p.code) else { throw DomainError.forbidden }
                parent = p
            } else {
                guard input.parentCode == nil else { throw DomainError.invalid("parent_code", "a province has no parent") }
                guard viewer.scope.global else { throw DomainError.forbidden }
            }
            if try await DirectoryQueries.region(db, code) != nil {
                throw DomainError(.conflict, "region_exists", "region \(code) already exists")
            }
            let region = Region(code: code, name: name, level: level, parentCode: parent?.code)
            try await db.raw("""
                INSERT INTO regions (code, name, level, parent_code, created_at)
                VALUES (\(bind: code), \(bind: name), \(bind: level.rawValue), \(bind: parent?.code), \(bind: clock.now().millis))
                """).run()
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "region.create", targetType: "region",
                                      targetId: code, before: Region?.none, after: region, at: clock.now())
            return region
        }
    }

    // MARK: Orgs

    public func createOrg(_ input: NewOrg, by viewer: Viewer, from address: String?) async throws -> Org {
        guard let kind = OrgKind(rawValue: input.kind) else { throw DomainError.invalid("kind", "kind must be unit or department") }
        let name = try Validate.name(input.name)
        let lines = try Validate.list(input.lines, field: "lines")
        let visibility = try Self.visibility(input.visibility) ?? .all
        let order = try Validate.order(input.order)
        return try await write { db in
            var org = Org(id: ID.make(at: clock.now()), kind: kind, name: name, regionCode: "", parentId: nil, path: "",
                          lines: lines, hidden: input.hidden ?? false, visibility: visibility, order: order)
            switch kind {
            case .unit:
                guard input.parentId == nil else { throw DomainError.invalid("parent_id", "a unit has no parent org; it sits in a region") }
                guard let code = input.regionCode, let region = try await DirectoryQueries.region(db, code) else {
                    throw DomainError.invalid("region_code", "a unit needs an existing region_code")
                }
                guard viewer.scope.covers(regionCode: region.code) else { throw DomainError.forbidden }
                org.regionCode = region.code
                org.derive(from: nil)
            case .department:
                guard let pid = input.parentId else { throw DomainError.invalid("parent_id", "a department needs parent_id") }
                let parent = try await visibleOrg(db, pid, viewer, field: "parent_id")
                if let rc = input.regionCode, rc != parent.regionCode {
                    throw DomainError.invalid("region_code", "a department sits in its unit's region")
                }
                guard viewer.scope.covers(parent) else { throw DomainError.forbidden }
                org.derive(from: parent)
            }
            try await OrgWrites.insert(db, org, now: clock.now())
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "org.create", targetType: "org",
                                      targetId: org.id, before: Org?.none, after: org, at: clock.now())
            return org
        }
    }

    public func updateOrg(_ id: String, _ patch: OrgPatch, by viewer: Viewer, from address: String?) async throws -> Org {
        let name = try patch.name.map { try Validate.name($0) }
        let lines = try patch.lines.map { try Validate.list($0, field: "lines") }
        let visibility = try Self.visibility(patch.visibility)
        let order = try patch.order.map { try Validate.order($0) }
        return try await write { db in
            let before = try await visibleOrg(db, id, viewer, field: nil)
            guard viewer.scope.covers(before) else { throw DomainError.forbidden }
            var org = before
            if let name { org.name = name }
            if let lines { org.lines = lines }
            if let visibility { org.visibility = visibility }
            if let order { org.order = order }
            if let hidden = patch.hidden { org.hidden = hidden }
            var parent: Org? = nil
            if let pid = org.parentId { parent = try await DirectoryQueries.org(db, pid) }
            if let newParent = patch.parentId, newParent != org.parentId {
                guard org.kind == .department else { throw DomainError.invalid("parent_id", "a unit has no parent org") }
                let p = try await visibleOrg(db, newParent, viewer, field: "parent_id")
                guard !p.path.hasPrefix(before.path) else {
                    throw DomainError.invalid("parent_id", "an org cannot move under itself or its own descendant")
                }
                guard viewer.scope.covers(p) else { throw DomainError.forbidden }
                org.parentId = p.id
                parent = p
            }
            if let code = patch.regionCode, code != org.regionCode {
                guard org.kind == .unit else { throw DomainError.invalid("region_code", "a department sits in its unit's region") }
                guard let r = try await DirectoryQueries.region(db, code) else {
                    throw DomainError.invalid("region_code", "region \(code) does not exist")
                }
                guard viewer.scope.covers(regionCode: r.code) else { throw DomainError.forbidden }
                org.regionCode = r.code
            }
            org.derive(from: parent)
            try await OrgWrites.update(db, org, now: clock.now())
            if org.path != before.path || org.hiddenScope != before.hiddenScope || org.restrictScope != before.restrictScope
                || org.regionCode != before.regionCode || org.lines != before.lines {
                try await OrgWrites.rederiveSubtree(db, oldPath: before.path, root: org, now: clock.now())
            }
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "org.update", targetType: "org",
                                      targetId: org.id, before: before, after: org, at: clock.now())
            return org
        }
    }

    /// Removes an empty org. An org that still has departments, positions or grants is kept (409).
    public func deleteOrg(_ id: String, by viewer: Viewer, from address: String?) async throws {
        try await write { db in
            let org = try await visibleOrg(db, id, viewer, field: nil)
            guard viewer.scope.covers(org) else { throw DomainError.forbidden }
            let children = try await db.raw("SELECT COUNT(*) AS n FROM orgs WHERE parent_id = \(bind: id)").first()?.decode(column: "n", as: Int.self) ?? 0
            let members = try await db.raw("SELECT COUNT(*) AS n FROM positions WHERE org_id = \(bind: id)").first()?.decode(column: "n", as: Int.self) ?? 0
            let grants = try await db.raw("SELECT COUNT(*) AS n FROM grants WHERE org_id = \(bind: id)").first()?.decode(column: "n", as: Int.self) ?? 0
            guard children == 0, members == 0, grants == 0 else {
                throw DomainError(.conflict, "org_not_empty",
                                  "org still has \(children) child orgs, \(members) positions and \(grants) grants")
            }
            try await db.raw("DELETE FROM orgs WHERE id = \(bind: id)").run()
            try await DirectoryChanges.record(db, actor: viewer.acting.from(address), action: "org.delete", targetType: "org",
                                      targetId: id, before: org, after: Org?.none, at: clock.now())
        }
    }

    /// An org the viewer may see, or 404 (for `field`, 422: the input named an org that is not there).
    func visibleOrg(_ db: any SQLDatabase, _ id: String, _ viewer: Viewer, field: String?) async throws -> Org {
        guard ID.isValid(id), let o = try await DirectoryQueries.org(db, id), Privacy.canSee(org: o, viewer: viewer) else {
            if let field { throw DomainError.invalid(field, "org \(id) does not exist") }
            throw DomainError.notFound("org")
        }
        return o
    }

    static func visibility(_ s: String?) throws -> OrgVisibility? {
        guard let s else { return nil }
        guard let v = OrgVisibility(rawValue: s) else { throw DomainError.invalid("visibility", "visibility must be all or self_only") }
        return v
    }
}

extension ActingContext {
    public func from(_ address: String?) -> ActingContext {
        var c = self
        c.clientAddress = address
        return c
    }
}
