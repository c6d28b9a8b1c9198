import Foundation
import ZhengtongCore

/// The subtree an administrator may manage: orgs by path prefix, regions by code prefix, or everything.
public struct AdminScope: Sendable, Equatable, Codable {
    public var global: Bool
    public var orgPaths: [String]
    public var regionPrefixes: [String]

    public init(global: Bool = false, orgPaths: [String] = [], regionPrefixes: [String] = []) {
        self.global = global
        self.orgPaths = orgPaths
        self.regionPrefixes = regionPrefixes
    }

    public var isEmpty: Bool { !global && orgPaths.isEmpty && regionPrefixes.isEmpty }

    /// An org is covered when it lies in a granted org subtree or its unit sits in a granted region subtree.
    public func covers(orgPath: String, regionCode: String) -> Bool {
        global || orgPaths.contains { orgPath.hasPrefix($0) } || regionPrefixes.contains { regionCode.hasPrefix($0) }
    }

    public func covers(_ org: Org) -> Bool { covers(orgPath: org.path, regionCode: org.regionCode) }

    /// Regions (and creating units in them) are covered only by region grants.
    public func covers(regionCode: String) -> Bool {
        global || regionPrefixes.contains { regionCode.hasPrefix($0) }
    }

    /// Whether every org and region `other` covers is also covered here (so this admin may grant it).
    public func contains(_ other: AdminScope) -> Bool {
        if global { return true }
        if other.global { return false }
        return other.regionPrefixes.allSatisfy { covers(regionCode: $0) }
            && other.orgPaths.allSatisfy { p in orgPaths.contains { p.hasPrefix($0) } }
    }
}

/// One of the viewer's own positions, reduced to what privacy rules need.
public struct ViewerPosition: Sendable, Equatable {
    public var orgPath: String
    public var restrictScope: String?
    public init(orgPath: String, restrictScope: String?) {
        self.orgPath = orgPath
        self.restrictScope = restrictScope
    }
}

/// Everything the privacy rules need to know about whoever is looking.
public struct Viewer: Sendable, Equatable {
    public var personId: String
    public var name: String
    public var seniorMode: Bool
    public let positions: [ViewerPosition]
    public var scope: AdminScope
    /// Paths of every org the viewer is inside (each position's org and all its ancestors), sorted.
    /// Derived once here: a viewer is kept between requests, and every search needs these.
    public let insidePaths: [String]
    public let insideSet: Set<String>

    public init(personId: String, name: String, seniorMode: Bool, positions: [ViewerPosition], scope: AdminScope) {
        self.personId = personId
        self.name = name
        self.seniorMode = seniorMode
        self.positions = positions
        self.scope = scope
        var inside = Set<String>()
        for p in positions {
            var idx = p.orgPath.index(after: p.orgPath.startIndex)
            while let slash = p.orgPath[idx...].firstIndex(of: "/") {
                inside.insert(String(p.orgPath[...slash]))
                idx = p.orgPath.index(after: slash)
            }
        }
        insideSet = inside
        insidePaths = inside.sorted()
    }

    /// Roots of the people this viewer may see, or nil when unrestricted. A viewer is restricted only if
    /// every one of its positions lies in a self-only org: any ordinary position opens the whole directory.
    public var restrictRoots: [String]? {
        guard !positions.isEmpty else { return nil }
        var roots: [String] = []
        for p in positions {
            guard let r = p.restrictScope else { return nil }
            roots.append(r)
        }
        return Array(Set(roots)).sorted()
    }

    public var acting: ActingContext { ActingContext(personId: personId, name: name, clientAddress: nil) }
}
