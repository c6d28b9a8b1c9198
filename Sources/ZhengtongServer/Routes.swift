import Accounts
import Audit
import Directory
import Foundation
import Hummingbird
import HummingbirdCore
import ZhengtongCore

/// HTTP handlers: decode, call one domain action, encode. No rules live here.
struct APIRoutes {
    let services: AppServices

    var directory: DirectoryService { services.directory }
    var accounts: AccountService { services.accounts }

    func register(on router: Router<AppContext>) {
        let api = router.group("api/v1")
        api.post("auth/login", use: login)

        let authed = api.group().add(middleware: AuthMiddleware(services: services))
        authed.post("auth/logout") { _, ctx -> Response in
            try await accounts.logout(ctx.session!, actor: try ctx.requireViewer().acting.from(ctx.clientAddress))
            return Response(status: .noContent)
        }
        authed.get("me") { _, ctx in
            let (view, grants) = try await directory.me(try ctx.requireViewer())
            return PersonDTO(v: view, grants: grants.map(GrantDTO.init))
        }
        authed.get("me/sessions") { _, ctx in
            PageDTO(items: try await accounts.sessions(of: ctx.session!).map(SessionDTO.init), nextCursor: nil)
        }
        authed.delete("me/sessions/:id") { _, ctx -> Response in
            let viewer = try ctx.requireViewer()
            try await accounts.revoke(sessionId: try ctx.parameters.require("id"), of: viewer.personId, actor: viewer.acting.from(ctx.clientAddress))
            return Response(status: .noContent)
        }

        // Regions
        authed.post("regions") { request, ctx in
            var req = request
            let body = try await req.json(RegionRequest.self, context: ctx)
            let r = try await directory.createRegion(NewRegion(code: body.code, name: body.name, level: body.level, parentCode: body.parentCode),
                                                     by: try ctx.requireViewer(), from: ctx.clientAddress)
            return Created(value: RegionDTO(r))
        }
        authed.get("regions/:code") { _, ctx in RegionDTO(try await directory.region(try ctx.parameters.require("code"))) }
        authed.get("regions/:code/children") { req, ctx in
            PageDTO(try await directory.regionChildren(try ctx.parameters.require("code"), page: try pageRequest(req)), RegionDTO.init)
        }
        authed.get("regions/:code/orgs") { req, ctx in
            PageDTO(try await directory.unitsIn(region: try ctx.parameters.require("code"), viewer: try ctx.requireViewer(),
                                                page: try pageRequest(req)), OrgDTO.init)
        }

        // Orgs
        authed.post("orgs") { request, ctx in
            var req = request
            let body = try await req.json(OrgRequest.self, context: ctx)
            return Created(value: OrgDTO(org: try await directory.createOrg(body.domain, by: try ctx.requireViewer(), from: ctx.clientAddress)))
        }
        authed.get("orgs/:id") { _, ctx in OrgDTO(org: try await directory.org(try ctx.parameters.require("id"), viewer: try ctx.requireViewer())) }
        authed.patch("orgs/:id") { request, ctx in
            var req = request
            let body = try await req.json(OrgPatchRequest.self, context: ctx)
            return OrgDTO(org: try await directory.updateOrg(try ctx.parameters.require("id"), body.domain, by: try ctx.requireViewer(),
                                                             from: ctx.clientAddress))
        }
        authed.delete("orgs/:id") { _, ctx -> Response in
            try await directory.deleteOrg(try ctx.parameters.require("id"), by: try ctx.requireViewer(), from: ctx.clientAddress)
            return Response(status: .noContent)
        }
        authed.get("orgs/:id/children") { req, ctx in
            PageDTO(try await directory.orgChildren(try ctx.parameters.require("id"), viewer: try ctx.requireViewer(), page: try pageRequest(req)),
                    { OrgDTO(org: $0) })
        }
        authed.get("orgs/:id/members") { req, ctx in
            let (recursive, page) = try Self.membersParameters(req)
            return PeoplePageJSON(try await directory.members(try ctx.parameters.require("id"), recursive: recursive,
                                                              viewer: try ctx.requireViewer(), page: page))
        }

        // People
        authed.post("people") { request, ctx in
            var req = request
            let body = try await req.json(PersonRequest.self, context: ctx)
            return Created(value: PersonDTO(v: try await directory.createPerson(body.domain, hasher: services.hasher, by: try ctx.requireViewer(),
                                                                                from: ctx.clientAddress)))
        }
        authed.get("people") { req, ctx in
            let (query, page) = try Self.searchParameters(req)
            return PeoplePageJSON(try await directory.search(query, viewer: try ctx.requireViewer(), page: page))
        }
        authed.get("people/:id") { _, ctx in
            PersonDTO(v: try await directory.person(try ctx.parameters.require("id"), viewer: try ctx.requireViewer()))
        }
        authed.patch("people/:id") { request, ctx in
            var req = request
            let body = try await req.json(PersonPatchRequest.self, context: ctx)
            return PersonDTO(v: try await directory.updatePerson(try ctx.parameters.require("id"), body.patch, hasher: services.hasher,
                                                                 by: try ctx.requireViewer(), from: ctx.clientAddress))
        }
        authed.delete("people/:id") { _, ctx -> Response in
            try await directory.disablePerson(try ctx.parameters.require("id"), by: try ctx.requireViewer(), from: ctx.clientAddress)
            return Response(status: .noContent)
        }
        authed.post("people/:id/positions") { request, ctx in
            var req = request
            let body = try await req.json(PositionRequest.self, context: ctx)
            return Created(value: PositionDTO(p: try await directory.createPosition(personId: try ctx.parameters.require("id"), body.domain,
                                                                                      by: try ctx.requireViewer(), from: ctx.clientAddress)))
        }
        authed.patch("positions/:id") { request, ctx in
            var req = request
            let b = try await req.json(PositionPatchRequest.self, context: ctx)
            return PositionDTO(p: try await directory.updatePosition(try ctx.parameters.require("id"), title: b.title, leader: b.leader,
                                                                     roles: b.roles, main: b.main, order: b.order,
                                                                     by: try ctx.requireViewer(), from: ctx.clientAddress))
        }
        authed.delete("positions/:id") { _, ctx -> Response in
            try await directory.deletePosition(try ctx.parameters.require("id"), by: try ctx.requireViewer(), from: ctx.clientAddress)
            return Response(status: .noContent)
        }

        // Administration
        authed.post("admin/grants") { request, ctx in
            var req = request
            let b = try await req.json(GrantRequest.self, context: ctx)
            return Created(value: GrantDTO(g: try await directory.createGrant(personId: b.personId, role: b.role, orgId: b.orgId,
                                                                             regionCode: b.regionCode, by: try ctx.requireViewer(),
                                                                             from: ctx.clientAddress)))
        }
        authed.get("admin/grants") { req, ctx in
            PageDTO(try await directory.grants(viewer: try ctx.requireViewer(), page: try pageRequest(req)), GrantDTO.init)
        }
        authed.delete("admin/grants/:id") { _, ctx -> Response in
            try await directory.revokeGrant(try ctx.parameters.require("id"), by: try ctx.requireViewer(), from: ctx.clientAddress)
            return Response(status: .noContent)
        }
        authed.get("directory/changes", use: changes)
        authed.get("admin/audit") { req, ctx in
            // The audit log spans every scope, so only the root administrator reads it. Its cursor is the
            // sequence number to continue below (newest first), so pages stay stable while rows are appended.
            guard try ctx.requireViewer().scope.global else { throw DomainError.forbidden }
            let q = req.uri.queryParameters
            let limit = try q["limit"].map { l -> Int in
                guard let n = Int(l), (1...PageRequest.maxLimit).contains(n) else {
                    throw DomainError(.badRequest, "invalid_limit", "limit must be between 1 and \(PageRequest.maxLimit)")
                }
                return n
            } ?? 50
            let before: Int? = try q["cursor"].map { c in
                guard let n = Int(c), n > 0 else { throw DomainError(.badRequest, "invalid_cursor", "cursor is not one this server issued") }
                return n
            }
            let rows = try await AuditLog.list(services.database, afterSeq: before, limit: limit + 1)
            let page = Array(rows.prefix(limit))
            return PageDTO(items: page.map(AuditDTO.init), nextCursor: rows.count > limit ? page.last.map { String($0.seq) } : nil)
        }
    }

    /// `GET /api/v1/directory/changes?since=&limit=`: the change log after a cursor, oldest first. Its
    /// cursor is the last change's sequence number; `head` is the newest one, where a follower that has
    /// just read the whole directory starts. The log spans every scope, so only the root administrator
    /// reads it.
    @Sendable func changes(_ req: Request, _ ctx: AppContext) async throws -> Response {
        guard try ctx.requireViewer().scope.global else { throw DomainError.forbidden }
        let q = req.uri.queryParameters
        let limit = try limitParam(req, default: 100)
        guard (1...1000).contains(limit) else { throw DomainError(.badRequest, "invalid_limit", "limit must be between 1 and 1000") }
        let since: Int64 = try q["since"].map { c in
            guard let n = Int64(c), n >= 0 else { throw DomainError(.badRequest, "invalid_cursor", "since is not a cursor this server issued") }
            return n
        } ?? 0
        let head = try await DirectoryChanges.head(services.database)
        let rows = try await DirectoryChanges.list(services.database, after: since, limit: limit)
        let items: [[String: Any]] = rows.map { c in
            var d: [String: Any] = ["seq": String(c.seq), "kind": c.kind, "op": c.op, "id": c.targetId, "at": c.at.iso8601,
                                    "actor_id": c.actorId ?? NSNull()]
            d["data"] = c.data.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? NSNull()
            return d
        }
        let body: [String: Any] = ["items": items, "next_cursor": rows.last.map { String($0.seq) } ?? String(since), "head": String(head)]
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable func login(_ request: Request, _ ctx: AppContext) async throws -> LoginDTO {
        var req = request
        let body = try await req.json(LoginRequest.self, context: ctx)
        let result = try await accounts.login(identifier: body.username, password: body.password,
                                              userAgent: req.headers[.userAgent], address: ctx.clientAddress)
        let viewer = try await directory.viewer(personId: result.personId)!
        let view = try await directory.person(result.personId, viewer: viewer)
        return LoginDTO(token: result.token, expiresAt: result.expiresAt, person: PersonDTO(v: view))
    }
}

struct LoginDTO: ResponseEncodable { var token: String; var expiresAt: Date; var person: PersonDTO }

extension APIRoutes {
    /// `GET /api/v1/people`'s query string; `DirectoryReads` reads it the same way.
    static func searchParameters(_ req: Request) throws -> (PeopleQuery, PageRequest) {
        // Parsed once: `queryParameters` parses the query string on every use.
        let q = req.uri.queryParameters
        let query = PeopleQuery(q: q["q"].map { formDecoded(String($0)) }, region: q["region"].map(String.init), org: q["org"].map(String.init),
                                line: q["line"].map(String.init), rank: q["rank"].map(String.init), role: q["role"].map(String.init))
        return (query, try pageRequest(q, defaultLimit: 20))
    }

    /// `GET /api/v1/orgs/:id/members`'s query string.
    static func membersParameters(_ req: Request) throws -> (recursive: Bool, page: PageRequest) {
        let q = req.uri.queryParameters
        return (try boolParam(q, "recursive") ?? false, try pageRequest(q))
    }
}

func pageRequest(_ req: Request, defaultLimit: Int = 50, keyed: Bool = false) throws -> PageRequest {
    try pageRequest(req.uri.queryParameters, defaultLimit: defaultLimit, keyed: keyed)
}

func pageRequest(_ q: FlatDictionary<Substring, Substring>, defaultLimit: Int = 50, keyed: Bool = false) throws -> PageRequest {
    let limit = q["limit"] == nil ? nil : try limitParam(q, default: defaultLimit)
    return try PageRequest(limit: limit, cursor: q["cursor"].map(String.init), defaultLimit: defaultLimit, keyed: keyed)
}

/// `limit` as a number (its range is the caller's to check), or the default when absent.
func limitParam(_ req: Request, default value: Int) throws -> Int {
    try limitParam(req.uri.queryParameters, default: value)
}

func limitParam(_ q: FlatDictionary<Substring, Substring>, default value: Int) throws -> Int {
    guard let l = q["limit"] else { return value }
    guard let n = Int(l) else { throw DomainError(.badRequest, "invalid_limit", "limit must be a number") }
    return n
}

/// HTML forms and `URLSearchParams` send a space as `+`; a literal plus arrives as `%2B`, which the
/// router has already decoded, so this cannot tell them apart: search terms never need a plus.
func formDecoded(_ s: String) -> String { s.utf8.contains(UInt8(ascii: "+")) ? s.replacingOccurrences(of: "+", with: " ") : s }

func boolParam(_ req: Request, _ name: String) throws -> Bool? {
    try boolParam(req.uri.queryParameters, name)
}

func boolParam(_ q: FlatDictionary<Substring, Substring>, _ name: String) throws -> Bool? {
    guard let v = q[name[...]].map(String.init) else { return nil }
    switch v {
    case "true", "1": return true
    case "false", "0": return false
    default: throw DomainError(.badRequest, "invalid_\(name)", "\(name) must be true or false")
    }
}
