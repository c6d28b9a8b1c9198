import Directory
import Foundation
import HTTPTypes
import Storage
import Hummingbird
import ZhengtongCore

/// `/scim/v2`: SCIM 2.0 (RFC 7643/7644) for identity systems that provision people and orgs. One
/// dispatcher takes every method and path under it, so unknown paths and methods get SCIM's own error
/// shape (404, 405) rather than the JSON API's.
struct ScimRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        for method: HTTPRequest.Method in [.get, .post, .put, .patch, .delete] {
            router.on("scim/v2/**", method: method) { req, ctx in await handle(req, ctx) }
            router.on("scim/v2", method: method) { req, ctx in await handle(req, ctx) }
        }
    }

    func handle(_ request: Request, _ ctx: AppContext) async -> Response {
        do {
            return try await dispatch(request, ctx)
        } catch let e as ScimError {
            return Self.error(e)
        } catch let e as DomainError {
            return Self.error(Self.scimError(e))
        } catch StorageError.noConnection(let why) {
            ctx.logger.warning("scim: database unavailable", metadata: ["error": "\(why)"])
            return Self.error(ScimError(status: .serviceUnavailable, scimType: nil, detail: "the database is not answering; try again shortly"))
        } catch {
            ctx.logger.error("scim: unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return Self.error(ScimError(status: .internalServerError, scimType: nil, detail: "internal error"))
        }
    }

    static func scimError(_ e: DomainError) -> ScimError {
        switch e.kind {
        case .notFound: return .notFound(e.message)
        case .conflict where e.code.hasSuffix("_taken") || e.code == "conflict":
            return ScimError(status: .conflict, scimType: "uniqueness", detail: e.message)
        case .conflict: return ScimError(status: .conflict, scimType: nil, detail: e.message)
        case .forbidden: return ScimError(status: .forbidden, scimType: nil, detail: e.message)
        case .unauthorized: return ScimError(status: .unauthorized, scimType: nil, detail: e.message)
        case .payloadTooLarge: return ScimError(status: .contentTooLarge, scimType: nil, detail: e.message)
        case .tooManyRequests: return ScimError(status: .tooManyRequests, scimType: nil, detail: e.message)
        case .unavailable: return ScimError(status: .serviceUnavailable, scimType: nil, detail: e.message)
        case .badRequest, .unprocessable: return .invalidValue(e.message)
        }
    }

    func dispatch(_ request: Request, _ ctx: AppContext) async throws -> Response {
        let path = request.uri.path.split(separator: "/").dropFirst(2).map { String($0).removingPercentEncoding ?? String($0) }
        let method = request.method
        let base = (WebSecurity.overTLS(request) ? "https://" : "http://") + (request.head.authority ?? "localhost") + "/scim/v2"
        func only(_ m: HTTPRequest.Method) throws {
            guard method == m else { throw ScimError(status: .methodNotAllowed, scimType: nil, detail: "\(method) is not allowed here") }
        }

        // Discovery: public, read-only.
        switch path.first {
        case "ServiceProviderConfig":
            try only(.get)
            guard path.count == 1 else { throw ScimError.notFound("not found") }
            return try Self.json(ScimSchemas.serviceProviderConfig(base: base))
        case "Schemas":
            try only(.get)
            let all = ScimSchemas.all.map { s -> [String: Any] in
                var s = s
                s["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
                var m = s["meta"] as? [String: Any] ?? [:]
                m["location"] = base + (m["location"] as? String ?? "")
                s["meta"] = m
                return s
            }
            if path.count == 2 {
                guard let s = all.first(where: { ($0["id"] as? String) == path[1] }) else { throw ScimError.notFound("no schema \(path[1])") }
                return try Self.json(s)
            }
            guard path.count == 1 else { throw ScimError.notFound("not found") }
            return try Self.json(Self.listResponse(all, total: all.count, start: 1))
        case "ResourceTypes":
            try only(.get)
            let all = ScimSchemas.resourceTypes(base: base)
            if path.count == 2 {
                guard let t = all.first(where: { ($0["id"] as? String) == path[1] }) else { throw ScimError.notFound("no resource type \(path[1])") }
                return try Self.json(t)
            }
            guard path.count == 1 else { throw ScimError.notFound("not found") }
            return try Self.json(Self.listResponse(all, total: all.count, start: 1))
        case "Users", "Groups", ".search":
            break
        default:
            throw ScimError.notFound("no such endpoint")
        }

        let scim = try await authenticate(request, base: base)
        let isUsers = path[0] == "Users"
        var req = request
        let address = ctx.clientAddress.map { "\($0) (SCIM)" } ?? "SCIM"

        if path == [".search"] {
            // A search across every resource type: Users first, then Groups.
            try only(.post)
            let body = try ScimJSON.decodeObject(Data(buffer: try await req.collectBody(upTo: ctx.maxUploadSize)))
            var query = try ListQuery(search: body)
            let (start, count) = (query.startIndex, query.count)
            query.startIndex = 1
            query.count = ScimService.maxScan
            let users = try await list(scim, users: true, query: query), groups = try await list(scim, users: false, query: query)
            let all = (users["Resources"] as? [[String: Any]] ?? []) + (groups["Resources"] as? [[String: Any]] ?? [])
            let from = min(start - 1, all.count)
            return try Self.json(Self.listResponse(Array(all[from..<min(from + count, all.count)]), total: all.count, start: start))
        }

        if path.count == 1 || (path.count == 2 && path[1] == ".search") {
            if path.count == 2 {
                try only(.post)
                let body = try ScimJSON.decodeObject(Data(buffer: try await req.collectBody(upTo: ctx.maxUploadSize)))
                return try Self.json(try await list(scim, users: isUsers, query: try ListQuery(search: body)))
            }
            switch method {
            case .get:
                return try Self.json(try await list(scim, users: isUsers, query: try ListQuery(request.uri.queryParameters)))
            case .post:
                let body = try ScimJSON.decodeObject(Data(buffer: try await req.collectBody(upTo: ctx.maxUploadSize)))
                let created = isUsers ? try await scim.createUser(body, address: address) : try await scim.createGroup(body, address: address)
                return try Self.resource(created, status: .created)
            default:
                throw ScimError(status: .methodNotAllowed, scimType: nil, detail: "\(method) is not allowed on a collection")
            }
        }
        guard path.count == 2 else { throw ScimError.notFound("not found") }
        let id = path[1]
        let current = isUsers ? try await scim.user(id) : try await scim.group(id)
        let version = (current["meta"] as? [String: Any])?["version"] as? String
        if method != .get, let match = request.headers[.ifMatch], match != "*", !match.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).contains(version ?? "") {
            throw ScimError(status: .preconditionFailed, scimType: nil, detail: "the resource has changed (If-Match does not match its version)")
        }
        switch method {
        case .get:
            if let none = request.headers[.ifNoneMatch], none.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).contains(version ?? "") {
                return Response(status: .notModified, headers: [.eTag: version ?? ""])
            }
            let q = request.uri.queryParameters
            return try Self.resource(current, attributes: ListQuery.list(q["attributes"].map(String.init)),
                                     excluded: ListQuery.list(q["excludedAttributes"].map(String.init)))
        case .put:
            let body = try ScimJSON.decodeObject(Data(buffer: try await req.collectBody(upTo: ctx.maxUploadSize)))
            return try Self.resource(isUsers ? try await scim.replaceUser(id, body, address: address)
                                             : try await scim.replaceGroup(id, body, address: address))
        case .patch:
            let body = try ScimJSON.decodeObject(Data(buffer: try await req.collectBody(upTo: ctx.maxUploadSize)))
            let patched = try ScimPatch.apply(body, to: current)
            try Self.checkReadOnly(before: current, after: patched, users: isUsers)
            return try Self.resource(isUsers ? try await scim.replaceUser(id, patched, address: address)
                                             : try await scim.replaceGroup(id, patched, address: address))
        case .delete:
            if isUsers { try await scim.deleteUser(id, address: address) } else { try await scim.deleteGroup(id, address: address) }
            return Response(status: .noContent)
        default:
            throw ScimError(status: .methodNotAllowed, scimType: nil, detail: "\(method) is not allowed on a resource")
        }
    }

    /// A patch may not change what the directory keeps for itself.
    static func checkReadOnly(before: [String: Any], after: [String: Any], users: Bool) throws {
        let fixed = users ? ["id", "userName", "phoneNumbers", "groups"] : ["id"]
        for k in fixed {
            let a = before[ScimJSON.key(before, k) ?? k], b = after[ScimJSON.key(after, k) ?? k]
            if !NSDictionary(dictionary: ["v": a ?? NSNull()]).isEqual(to: ["v": b ?? NSNull()]) {
                throw ScimError.mutability("\(k) cannot be changed")
            }
        }
    }

    func authenticate(_ request: Request, base: String) async throws -> ScimService {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
              let (token, viewer) = try await services.accounts.authenticateProvisioning(
                token: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), directory: services.directory) else {
            throw ScimError(status: .unauthorized, scimType: nil, detail: "a provisioning token is required (Authorization: Bearer ztp_…)")
        }
        let root = try await services.directory.org(token.orgId, viewer: viewer)
        return ScimService(directory: services.directory, database: services.database, viewer: viewer, root: root, base: base)
    }

    struct ListQuery {
        var filter: ScimFilter?
        var startIndex = 1
        var count = ScimService.maxResults
        var sortBy: [String]?
        var descending = false
        var attributes: [String]?
        var excluded: [String]?

        static func list(_ s: String?) -> [String]? {
            s.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }

        init(_ q: Parameters) throws {
            try self.init(filter: q["filter"].map(String.init), startIndex: q["startIndex"].map(String.init), count: q["count"].map(String.init),
                          sortBy: q["sortBy"].map(String.init), sortOrder: q["sortOrder"].map(String.init),
                          attributes: Self.list(q["attributes"].map(String.init)), excluded: Self.list(q["excludedAttributes"].map(String.init)))
        }

        init(search body: [String: Any]) throws {
            func s(_ k: String) -> String? {
                guard let key = ScimJSON.key(body, k), let v = body[key] else { return nil }
                return (v as? String) ?? (v as? NSNumber)?.stringValue
            }
            func l(_ k: String) -> [String]? {
                guard let key = ScimJSON.key(body, k), let v = body[key] else { return nil }
                return (v as? [String]) ?? (v as? String).flatMap { Self.list($0) }
            }
            try self.init(filter: s("filter"), startIndex: s("startIndex"), count: s("count"), sortBy: s("sortBy"), sortOrder: s("sortOrder"),
                          attributes: l("attributes"), excluded: l("excludedAttributes"))
        }

        init(filter: String?, startIndex: String?, count: String?, sortBy: String?, sortOrder: String?, attributes: [String]?, excluded: [String]?) throws {
            if let f = filter, !f.trimmingCharacters(in: .whitespaces).isEmpty { self.filter = try ScimFilter.parse(f) }
            if let s = startIndex {
                guard let n = Int(s) else { throw ScimError.invalidValue("startIndex must be a number") }
                self.startIndex = max(1, n)
            }
            if let c = count {
                guard let n = Int(c) else { throw ScimError.invalidValue("count must be a number") }
                self.count = min(max(0, n), ScimService.maxResults)
            }
            self.sortBy = sortBy.map(ScimJSON.path)
            self.descending = sortOrder?.lowercased() == "descending"
            self.attributes = attributes
            self.excluded = excluded
        }
    }

    func list(_ scim: ScimService, users: Bool, query: ListQuery) async throws -> [String: Any] {
        var resources: [[String: Any]]
        if users {
            var ids = try await scim.userIds(matching: query.filter)
            if ids == nil { ids = try await scim.peopleIds() }
            let found = ids ?? []
            guard found.count <= ScimService.maxScan else {
                throw ScimError(status: .badRequest, scimType: "tooMany", detail: "narrow the filter: more than \(ScimService.maxScan) Users")
            }
            resources = try await scim.users(found)
        } else {
            guard let groups = try await scim.allGroups() else {
                throw ScimError(status: .badRequest, scimType: "tooMany", detail: "more than \(ScimService.maxScan) Groups")
            }
            resources = groups
        }
        if let f = query.filter { resources = resources.filter(f.matches) }
        if let sort = query.sortBy {
            func key(_ r: [String: Any]) -> String? {
                ScimJSON.values(r, sort).first.map { ($0 as? String)?.lowercased() ?? "\($0)" }
            }
            resources.sort { a, b in
                switch (key(a), key(b)) {
                case (nil, nil): return false
                case (nil, _): return false
                case (_, nil): return true
                case (let x?, let y?): return query.descending ? x > y : x < y
                }
            }
        }
        let total = resources.count
        let from = min(query.startIndex - 1, total)
        let page = resources[from..<min(from + query.count, total)].map {
            ScimJSON.present($0, attributes: query.attributes, excluded: query.excluded)
        }
        return Self.listResponse(Array(page), total: total, start: query.startIndex)
    }

    static func listResponse(_ items: [[String: Any]], total: Int, start: Int) -> [String: Any] {
        ["schemas": [Scim.listSchema], "totalResults": total, "startIndex": start, "itemsPerPage": items.count, "Resources": items]
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        var headers = extra
        headers[.contentType] = Scim.contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try ScimJSON.encode(object))))
    }

    static func resource(_ full: [String: Any], status: HTTPResponse.Status = .ok, attributes: [String]? = nil,
                         excluded: [String]? = nil) throws -> Response {
        let r = ScimJSON.present(full, attributes: attributes, excluded: excluded)
        var headers: HTTPFields = [:]
        if let meta = r["meta"] as? [String: Any] {
            if let v = meta["version"] as? String { headers[.eTag] = v }
            if status == .created, let l = meta["location"] as? String { headers[.location] = l }
        }
        return try json(r, status: status, headers: headers)
    }

    static func error(_ e: ScimError) -> Response {
        let data = (try? ScimJSON.encode(e.json)) ?? Data()
        var headers: HTTPFields = [.contentType: Scim.contentType]
        if e.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: e.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
