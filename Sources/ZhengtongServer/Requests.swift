import Directory
import Foundation

// Request bodies. Decoding checks types and required fields; the domain validates contents.

struct LoginRequest: Decodable { var username: String; var password: String }

struct RegionRequest: Decodable { var code: String; var name: String; var level: String; var parentCode: String? }

struct OrgRequest: Decodable {
    var name: String, kind: String, regionCode: String?, parentId: String?, lines: [String]?, hidden: Bool?, visibility: String?, order: Int?
    var domain: NewOrg {
        NewOrg(name: name, kind: kind, regionCode: regionCode, parentId: parentId, lines: lines, hidden: hidden, visibility: visibility, order: order)
    }
}

struct OrgPatchRequest: Decodable {
    var name: String?, regionCode: String?, parentId: String?, lines: [String]?, hidden: Bool?, visibility: String?, order: Int?
    var domain: OrgPatch {
        OrgPatch(name: name, regionCode: regionCode, parentId: parentId, lines: lines, hidden: hidden, visibility: visibility, order: order)
    }
}

struct PositionRequest: Decodable {
    var orgId: String, title: String?, leader: Bool?, roles: [String]?, main: Bool?, order: Int?
    var domain: NewPosition { NewPosition(orgId: orgId, title: title, leader: leader, roles: roles, main: main, order: order) }
}

struct PersonRequest: Decodable {
    var name: String, username: String, mobile: String?, email: String?, password: String?, rank: String?
    var seniorMode: Bool?, hideMobile: Bool?, positions: [PositionRequest]?
    var domain: NewPerson {
        NewPerson(name: name, username: username, mobile: mobile, email: email, password: password, rank: rank,
                  seniorMode: seniorMode, hideMobile: hideMobile, positions: (positions ?? []).map(\.domain))
    }
}

/// Distinguishes an absent field (leave as is) from an explicit null (clear it).
struct PersonPatchRequest: Decodable {
    var patch = PersonPatch()
    enum CodingKeys: String, CodingKey { case name, mobile, email, rank, seniorMode, hideMobile, status, password }
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        patch.name = try c.decodeIfPresent(String.self, forKey: .name)
        if c.contains(.mobile) { patch.mobile = .some(try c.decodeIfPresent(String.self, forKey: .mobile)) }
        if c.contains(.email) { patch.email = .some(try c.decodeIfPresent(String.self, forKey: .email)) }
        if c.contains(.rank) { patch.rank = .some(try c.decodeIfPresent(String.self, forKey: .rank)) }
        patch.seniorMode = try c.decodeIfPresent(Bool.self, forKey: .seniorMode)
        patch.hideMobile = try c.decodeIfPresent(Bool.self, forKey: .hideMobile)
        patch.status = try c.decodeIfPresent(String.self, forKey: .status)
        patch.password = try c.decodeIfPresent(String.self, forKey: .password)
    }
}

struct PositionPatchRequest: Decodable {
    var title: String??, leader: Bool?, roles: [String]?, main: Bool?, order: Int?
    enum CodingKeys: String, CodingKey { case title, leader, roles, main, order }
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.title) { title = .some(try c.decodeIfPresent(String.self, forKey: .title)) }
        leader = try c.decodeIfPresent(Bool.self, forKey: .leader)
        roles = try c.decodeIfPresent([String].self, forKey: .roles)
        main = try c.decodeIfPresent(Bool.self, forKey: .main)
        order = try c.decodeIfPresent(Int.self, forKey: .order)
    }
}

struct GrantRequest: Decodable { var personId: String; var role: String; var orgId: String?; var regionCode: String? }
