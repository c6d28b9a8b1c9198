import Foundation
import ZhengtongCore

public enum RegionLevel: String, Codable, Sendable, CaseIterable, Comparable {
    case province, city, county, township, village, grid

    public var depth: Int { Self.allCases.firstIndex(of: self)! }

    /// How many leading digits of a division code are significant at this level (GB/T 2260 style:
    /// 2 province, 2 city, 2 county, 3 township, 3 village; grids add 3 more to the village's 12).
    public var significantDigits: Int {
        switch self {
        case .province: 2
        case .city: 4
        case .county: 6
        case .township: 9
        case .village: 12
        case .grid: 15
        }
    }

    public var codeLength: Int { self == .grid ? 15 : 12 }

    public var child: RegionLevel? {
        let i = depth + 1
        return i < Self.allCases.count ? Self.allCases[i] : nil
    }

    public static func < (a: RegionLevel, b: RegionLevel) -> Bool { a.depth < b.depth }
}

public struct Region: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    public var level: RegionLevel
    public var parentCode: String?

    public init(code: String, name: String, level: RegionLevel, parentCode: String?) {
        self.code = code
        self.name = name
        self.level = level
        self.parentCode = parentCode
    }

    /// The significant prefix: every code in this region's subtree starts with it.
    public var prefix: String { String(code.prefix(level.significantDigits)) }
}

public enum OrgKind: String, Codable, Sendable {
    case unit, department
}

public enum OrgVisibility: String, Codable, Sendable {
    case all
    case selfOnly = "self_only"
}

public enum PersonStatus: String, Codable, Sendable {
    case active, disabled
}

public struct Org: Codable, Sendable, Equatable {
    public var id: String
    public var kind: OrgKind
    public var name: String
    /// Where a unit sits; for a department, its unit's region (kept so region filters need no join).
    public var regionCode: String
    public var parentId: String?
    /// "/unitId/deptId/…/selfId/": the subtree of an org is every org whose path starts with its path.
    public var path: String
    public var lines: [String]
    public var hidden: Bool
    public var visibility: OrgVisibility
    public var order: Int
    /// Path of the innermost hidden org containing this one (itself included), if any.
    public var hiddenScope: String?
    /// Path of the innermost self-only org containing this one (itself included), if any.
    public var restrictScope: String?

    public init(id: String, kind: OrgKind, name: String, regionCode: String, parentId: String?, path: String,
                lines: [String] = [], hidden: Bool = false, visibility: OrgVisibility = .all, order: Int = 0,
                hiddenScope: String? = nil, restrictScope: String? = nil) {
        self.id = id
        self.kind = kind
        self.name = name
        self.regionCode = regionCode
        self.parentId = parentId
        self.path = path
        self.lines = lines
        self.hidden = hidden
        self.visibility = visibility
        self.order = order
        self.hiddenScope = hiddenScope
        self.restrictScope = restrictScope
    }

    /// The derived columns of a child, given its parent (nil for a unit).
    public mutating func derive(from parent: Org?) {
        parentId = parent?.id
        path = (parent?.path ?? "/") + id + "/"
        hiddenScope = hidden ? path : parent?.hiddenScope
        restrictScope = visibility == .selfOnly ? path : parent?.restrictScope
        if let parent { regionCode = parent.regionCode }
    }
}

public struct Person: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var pinyin: String
    public var pinyinCompact: String
    public var initials: String
    public var username: String
    public var mobile: String?
    public var email: String?
    public var rank: String?
    public var status: PersonStatus
    public var seniorMode: Bool
    public var hideMobile: Bool

    public init(id: String, name: String, username: String, mobile: String? = nil, email: String? = nil,
                rank: String? = nil, status: PersonStatus = .active, seniorMode: Bool = false, hideMobile: Bool = false) {
        self.id = id
        self.name = name
        let p = Pinyin(name: name)
        self.pinyin = p.spaced
        self.pinyinCompact = p.compact
        self.initials = p.initials
        self.username = username
        self.mobile = mobile
        self.email = email
        self.rank = rank
        self.status = status
        self.seniorMode = seniorMode
        self.hideMobile = hideMobile
    }
}

public struct Position: Codable, Sendable, Equatable {
    public var id: String
    public var personId: String
    public var orgId: String
    public var title: String?
    public var leader: Bool
    public var roles: [String]
    public var main: Bool
    public var order: Int

    public init(id: String, personId: String, orgId: String, title: String? = nil, leader: Bool = false,
                roles: [String] = [], main: Bool = false, order: Int = 0) {
        self.id = id
        self.personId = personId
        self.orgId = orgId
        self.title = title
        self.leader = leader
        self.roles = roles
        self.main = main
        self.order = order
    }
}

public enum GrantRole: String, Codable, Sendable {
    case directoryAdmin = "directory_admin"
}

/// A delegated-administration grant. Neither org nor region: the root grant over everything.
public struct Grant: Codable, Sendable, Equatable {
    public var id: String
    public var personId: String
    public var role: GrantRole
    public var orgId: String?
    public var regionCode: String?
    public var createdAt: Date

    public init(id: String, personId: String, role: GrantRole, orgId: String?, regionCode: String?, createdAt: Date) {
        self.id = id
        self.personId = personId
        self.role = role
        self.orgId = orgId
        self.regionCode = regionCode
        self.createdAt = createdAt
    }

    public var isGlobal: Bool { orgId == nil && regionCode == nil }
}
