import Foundation

/// A position as read back: the position plus its org's name and the org fields privacy rules need.
public struct PositionView: Codable, Sendable, Equatable {
    public var id: String
    public var personId: String
    public var orgId: String
    public var orgName: String
    public var orgPath: String
    public var regionCode: String
    public var hiddenScope: String?
    public var restrictScope: String?
    public var title: String?
    public var leader: Bool
    public var roles: [String]
    public var main: Bool
    public var order: Int
}

/// A person as one viewer may see them: positions they may not see are gone, a hidden mobile is nil.
public struct PersonView: Sendable, Equatable {
    public var person: Person
    public var positions: [PositionView]
    public var mobileVisible: Bool

    public init(person: Person, positions: [PositionView], mobileVisible: Bool) {
        self.person = person
        self.positions = positions
        self.mobileVisible = mobileVisible
    }
}
