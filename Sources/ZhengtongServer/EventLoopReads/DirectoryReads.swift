import Accounts
import Directory
import HTTPTypes
import Hummingbird
import NIOCore
import ZhengtongCore

/// The directory's two busiest reads, people search and a department's members, answered where the
/// request was read, on its connection's event loop, whenever everything they need is already in
/// memory: the caller's session and viewer in `SignedIn`'s caches, and an index that has seen every
/// write of this process. Anything else (a cache miss, an index still building or behind, an error to
/// report, a read longer than `budget`) returns nil and the request goes through the router as usual,
/// which also warms the caches for the next one.
///
/// Why: a search in the index takes tens of microseconds, and with one client at a time most of a
/// request's time went to handing it from the event loop to a Swift task and the response back. The
/// rules are not repeated here: the token is read by `AuthMiddleware.token`, the query string by the
/// routes' own parsers, and the answer comes from the same index methods and the same JSON writer, so
/// the response is the one the router would have sent, byte for byte but the `Date`.
struct DirectoryReads: Sendable {
    enum Route: Equatable, Sendable {
        case search
        case members(orgId: String)
    }

    let services: AppServices
    let serverName: String
    /// How much of the index one read may walk here (`IndexBudget`): a read that needs more is left to
    /// the router, so that a rare filter on a common name cannot hold up this loop's other connections.
    var budget = 20_000

    /// The route `head` asks for, if it is one of these reads; decided on the head alone, before the
    /// request's end arrives.
    static func route(_ head: HTTPRequest) -> Route? {
        // A request that closes its connection is left to the router, which does the closing.
        guard head.method == .get, let target = head.path,
              !head.headerFields[values: .connection].contains(where: { $0.lowercased().contains("close") }) else { return nil }
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...]
        if path == "/api/v1/people" { return .search }
        let prefix = "/api/v1/orgs/", suffix = "/members"
        guard path.hasPrefix(prefix), path.hasSuffix(suffix), path.count > prefix.count + suffix.count else { return nil }
        let id = path.dropFirst(prefix.count).dropLast(suffix.count)
        guard !id.contains("/") else { return nil }
        return .members(orgId: String(id))
    }

    /// A connection's last token and its hash: a client sends the same token on every request, and
    /// hashing it was a tenth of the work of a search.
    struct LastToken {
        var token = ""
        var hash = ""

        mutating func hash(of token: String) -> String {
            if token != self.token { (self.token, hash) = (token, AccountService.tokenHash(token)) }
            return hash
        }
    }

    /// The response body, or nil to let the router answer.
    func answer(_ head: HTTPRequest, route: Route, lastToken: inout LastToken) -> ByteBuffer? {
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        // No token is this long (`SignedIn.resolve` refuses it too).
        guard let token = try? AuthMiddleware.token(request, allowQueryToken: false), token.utf8.count <= 200,
              let (_, viewer) = services.signedIn.cached(tokenHash: lastToken.hash(of: token), services: services) else { return nil }
        // Errors (a bad limit, an unknown org) are the router's to report, in the API's one error shape.
        let page: Page<PersonView>?
        switch route {
        case .search:
            guard let (query, pageRequest) = try? APIRoutes.searchParameters(request) else { return nil }
            page = try? services.directory.searchIfIndexed(query, viewer: viewer, page: pageRequest, budget: budget)
        case .members(let orgId):
            guard let (recursive, pageRequest) = try? APIRoutes.membersParameters(request) else { return nil }
            page = try? services.directory.membersIfIndexed(orgId, recursive: recursive, viewer: viewer, page: pageRequest,
                                                             budget: budget)
        }
        return page.map { PeoplePageJSON($0).bytes() }
    }

    /// The head the router would have written for `body`.
    func responseHead(for body: ByteBuffer) -> HTTPResponse {
        var head = HTTPResponse(status: .ok)
        head.headerFields[.contentType] = PeoplePageJSON.contentType
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.date] = HTTPDate.now()
        head.headerFields[.server] = serverName
        return head
    }
}
