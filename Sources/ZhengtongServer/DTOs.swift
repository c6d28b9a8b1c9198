import Accounts
import Audit
import Directory
import Foundation
import Hummingbird
import ZhengtongCore

// Response bodies. Optional fields are always present (null when empty) so clients see one shape;
// keys become snake_case in the encoder.

struct RegionDTO: ResponseEncodable {
    var code: String, name: String, level: String, parentCode: String?
    init(_ r: Region) { code = r.code; name = r.name; level = r.level.rawValue; parentCode = r.parentCode }
    enum CodingKeys: String, CodingKey { case code, name, level, parentCode }
    func encode(to e: any Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code); try c.encode(name, forKey: .name); try c.encode(level, forKey: .level)
        try c.encode(parentCode, forKey: .parentCode)
    }
}

struct OrgDTO: ResponseEncodable {
    var org: Org
    enum CodingKeys: String, CodingKey { case id, name, kind, regionCode, parentId, lines, hidden, visibility, order }
    func encode(to e: any Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        try c.encode(org.id, forKey: .id); try c.encode(org.name, forKey: .name); try c.encode(org.kind.rawValue, forKey: .kind)
        try c.encode(org.regionCode, forKey: .regionCode); try c.encode(org.parentId, forKey: .parentId)
        try c.encode(org.lines, forKey: .lines); try c.encode(org.hidden, forKey: .hidden)
        try c.encode(org.visibility.rawValue, forKey: .visibility); try c.encode(org.order, forKey: .order)
    }
}

struct PositionDTO: ResponseEncodable {
    var p: PositionView
    enum CodingKeys: String, CodingKey { case id, personId, orgId, orgName, title, leader, roles, main, order }
    func encode(to e: any Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        try c.encode(p.id, forKey: .id); try c.encode(p.personId, forKey: .personId); try c.encode(p.orgId, forKey: .orgId)
        try c.encode(p.orgName, forKey: .orgName); try c.encode(p.title, forKey: .title); try c.encode(p.leader, forKey: .leader)
        try c.encode(p.roles, forKey: .roles); try c.encode(p.main, forKey: .main); try c.encode(p.order, forKey: .order)
    }
}

struct PersonDTO: ResponseEncodable {
    var v: PersonView
    /// Only for the caller's own record (GET /me).
    var grants: [GrantDTO]? = nil
    enum CodingKeys: String, CodingKey {
        case id, name, pinyin, initials, username, mobile, email, rank, status, seniorMode, hideMobile, positions, grants
    }
    func encode(to e: any Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        let p = v.person
        try c.encode(p.id, forKey: .id); try c.encode(p.name, forKey: .name); try c.encode(p.pinyin, forKey: .pinyin)
        try c.encode(p.initials, forKey: .initials); try c.encode(p.username, forKey: .username)
        try c.encode(v.mobileVisible ? p.mobile : nil, forKey: .mobile); try c.encode(p.email, forKey: .email)
        try c.encode(p.rank, forKey: .rank); try c.encode(p.status.rawValue, forKey: .status)
        try c.encode(p.seniorMode, forKey: .seniorMode); try c.encode(p.hideMobile, forKey: .hideMobile)
        try c.encode(v.positions.map(PositionDTO.init), forKey: .positions)
        try c.encodeIfPresent(grants, forKey: .grants)
    }
}

struct GrantDTO: ResponseEncodable {
    var g: Grant
    enum CodingKeys: String, CodingKey { case id, personId, role, orgId, regionCode, createdAt }
    func encode(to e: any Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        try c.encode(g.id, forKey: .id); try c.encode(g.personId, forKey: .personId); try c.encode(g.role.rawValue, forKey: .role)
        try c.encode(g.orgId, forKey: .orgId); try c.encode(g.regionCode, forKey: .regionCode); try c.encode(g.createdAt, forKey: .createdAt)
    }
}

struct SessionDTO: ResponseEncodable {
    var s: SessionInfo
    enum CodingKeys: String, CodingKey { case id, createdAt, expiresAt, lastSeenAt, userAgent, clientAddress, current }
    func encode(to e: any Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        try c.encode(s.id, forKey: .id); try c.encode(s.createdAt, forKey: .createdAt); try c.encode(s.expiresAt, forKey: .expiresAt)
        try c.encode(s.lastSeenAt, forKey: .lastSeenAt); try c.encode(s.userAgent, forKey: .userAgent)
        try c.encode(s.clientAddress, forKey: .clientAddress); try c.encode(s.current, forKey: .current)
    }
}

struct AuditDTO: ResponseEncodable {
    var r: AuditRecord
    enum CodingKeys: String, CodingKey { case seq, id, at, actorId, actorName, action, targetType, targetId, clientAddress, detail, digest }
    func encode(to e: any Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        try c.encode(r.seq, forKey: .seq); try c.encode(r.id, forKey: .id); try c.encode(r.at, forKey: .at)
        try c.encode(r.actorId, forKey: .actorId); try c.encode(r.actorName, forKey: .actorName); try c.encode(r.action, forKey: .action)
        try c.encode(r.targetType, forKey: .targetType); try c.encode(r.targetId, forKey: .targetId)
        try c.encode(r.clientAddress, forKey: .clientAddress)
        let detail = (try? JSONSerialization.jsonObject(with: Data(r.detail.utf8)) as? [String: String]) ?? [:]
        try c.encode(detail, forKey: .detail); try c.encode(r.digest, forKey: .digest)
    }
}

struct PageDTO<T: Encodable & Sendable>: ResponseEncodable {
    var items: [T]
    var nextCursor: String?
    init(items: [T], nextCursor: String?) { self.items = items; self.nextCursor = nextCursor }
    init<U>(_ page: Page<U>, _ f: (U) -> T) { items = page.items.map(f); nextCursor = page.nextCursor }
    enum CodingKeys: String, CodingKey { case items, nextCursor }
    func encode(to e: any Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items); try c.encode(nextCursor, forKey: .nextCursor)
    }
}

/// A response with a status other than 200.
struct Created<T: ResponseEncodable>: ResponseGenerator {
    var value: T
    var status: HTTPResponse.Status = .created
    func response(from request: Request, context: some RequestContext) throws -> Response {
        var r = try context.responseEncoder.encode(value, from: request, context: context)
        r.status = status
        return r
    }
}
