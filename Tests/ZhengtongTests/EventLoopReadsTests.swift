import Accounts
import Directory
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Storage
import Synchronization
import Testing
import ZhengtongCore
@testable import ZhengtongServer

/// People search and member listings answered on the event loop (`DirectoryReads`,
/// `DirectoryReadHandler`): only when everything is in memory, exactly as the router would answer, in
/// request order, and never in place of an error or of a write this process has not indexed yet.
@Suite struct EventLoopReadsTests {
    @Test func routesOnlyTheTwoReads() {
        func route(_ path: String, _ method: HTTPRequest.Method = .get, connection: String? = nil) -> DirectoryReads.Route? {
            var head = HTTPRequest(method: method, scheme: nil, authority: "x", path: path)
            if let connection { head.headerFields[.connection] = connection }
            return DirectoryReads.route(head)
        }
        #expect(route("/api/v1/people") == .search)
        #expect(route("/api/v1/people?q=%E7%8E%8B&limit=5") == .search)
        #expect(route("/api/v1/people?q=x", connection: "keep-alive") == .search)
        #expect(route("/api/v1/orgs/01abc/members?recursive=true") == .members(orgId: "01abc"))
        #expect(route("/api/v1/people?q=x", connection: "close") == nil)
        #expect(route("/api/v1/people?q=x", connection: "Keep-Alive, Close") == nil)
        #expect(route("/api/v1/people", .post) == nil)
        #expect(route("/api/v1/people", .head) == nil)
        #expect(route("/api/v1/people/") == nil)
        #expect(route("/api/v1/peoplex") == nil)
        #expect(route("/api/v1/people/01abc") == nil)
        #expect(route("/api/v1/orgs//members") == nil)
        #expect(route("/api/v1/orgs/a/b/members") == nil)
        #expect(route("/api/v1/orgs/01abc/children") == nil)
    }

    @Test func bearerCredentials() {
        #expect(AuthMiddleware.bearer("Bearer abc") == "abc")
        #expect(AuthMiddleware.bearer("bearer  abc ") == "abc")
        #expect(AuthMiddleware.bearer("BEARER x") == "x")
        #expect(AuthMiddleware.bearer("Bearerx") == nil)
        #expect(AuthMiddleware.bearer("Bearer") == nil)
        #expect(AuthMiddleware.bearer("Bearer\u{0}abc") == nil)
        #expect(AuthMiddleware.bearer("Basic YTpi") == nil)
    }

    @Test func datesAreIMFFixdate() {
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.format(1_796_629_002) == "Mon, 07 Dec 2026 07:36:42 GMT")
        let now = Int(Date().timeIntervalSince1970)
        #expect([HTTPDate.format(now), HTTPDate.format(now + 1)].contains(HTTPDate.now()))
    }

    @Test func trimmedIsFoundationsTrim() {
        for s in ["", " ", "abc", " abc", "abc\n", "\u{3000}王\u{3000}", "王 五", "\t\n"] {
            #expect(s.trimmed(.whitespaces) == s.trimmingCharacters(in: .whitespaces))
            #expect(s.trimmed(.whitespacesAndNewlines) == s.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// The handler in a channel of its own: what it answers, what it passes on, and in which order.
    @Test(arguments: Backend.available)
    func answersPassesOnAndKeepsOrder(_ backend: Backend) async throws {
        let url = try await backend.freshDatabaseURL()
        try await Databases.with(try DatabaseLocation(url: url), logger: Logger(label: "test")) { db in
            try await Migrations.migrate(db)
            var config = AppConfig()
            config.passwordLogN = 10
            config.attachmentsDir = FileManager.default.temporaryDirectory.appendingPathComponent("zt-files-\(UUID().uuidString)").path
            let services = try AppServices(database: db, clock: SystemClock(), config: config, logger: Logger(label: "test"))
            _ = try await Bootstrap.ensureRootAdmin(database: db, hasher: services.hasher, clock: SystemClock(), password: "root-password-1")
            let dir = services.directory
            let login = try await services.accounts.login(identifier: "admin", password: "root-password-1", userAgent: nil, address: nil)
            let root = try await dir.viewer(personId: login.personId)!
            _ = try await dir.createRegion(NewRegion(code: "330000000000", name: "浙江省", level: "province", parentCode: nil), by: root, from: nil)
            let unit = try await dir.createOrg(NewOrg(name: "桐庐县人民政府", kind: "unit", regionCode: "330000000000"), by: root, from: nil)
            let dept = try await dir.createOrg(NewOrg(name: "办公室", kind: "department", parentId: unit.id), by: root, from: nil)
            for (i, name) in ["王一", "王二", "李三"].enumerated() {
                _ = try await dir.createPerson(NewPerson(name: name, username: "el-\(i)", mobile: "1380000000\(i)",
                                                         positions: [NewPosition(orgId: dept.id, title: "科员")]),
                                               hasher: services.hasher, by: root, from: nil)
            }
            let index = try #require(dir.index)
            try await index.build()

            let reads = DirectoryReads(services: services, serverName: "zhengtong")
            let channel = try await NIOAsyncTestingChannel { channel in
                try channel.pipeline.syncOperations.addHandler(DirectoryReadHandler(reads: reads, logger: Logger(label: "test")))
            }
            func send(_ path: String, token: String = login.token) async throws {
                var head = HTTPRequest(method: .get, scheme: nil, authority: "localhost", path: path)
                head.headerFields[.authorization] = "Bearer \(token)"
                try await channel.writeInbound(HTTPRequestPart.head(head))
                try await channel.writeInbound(HTTPRequestPart.end(nil))
            }
            /// The answer the handler wrote, if it wrote one.
            func answered() async throws -> (HTTPResponse, ByteBuffer)? {
                guard case .head(let head)? = try await channel.readOutbound(as: HTTPResponsePart.self) else { return nil }
                guard case .body(let body)? = try await channel.readOutbound(as: HTTPResponsePart.self),
                      case .end? = try await channel.readOutbound(as: HTTPResponsePart.self) else {
                    Issue.record("an answer is a head, one body and an end")
                    return nil
                }
                return (head, body)
            }
            /// The request parts passed on to the router, as "head <path>", "body" or "end".
            func passedOn() async throws -> [String] {
                var parts: [String] = []
                while let part = try await channel.readInbound(as: HTTPRequestPart.self) {
                    switch part {
                    case .head(let h): parts.append("head \(h.path ?? "")")
                    case .body: parts.append("body")
                    case .end: parts.append("end")
                    }
                }
                return parts
            }
            /// Plays the router's part: its response to a request passed on ends.
            func routerAnswers() async throws {
                try await channel.writeOutbound(HTTPResponsePart.end(nil))
                while try await channel.readOutbound(as: HTTPResponsePart.self) != nil {}
            }
            /// Sends `path` until it is answered here. Other tests in this process write to their own
            /// databases, and each of their writes makes every index look behind until it catches up.
            func answeredHere(_ path: String) async throws -> (HTTPResponse, ByteBuffer) {
                for _ in 0..<50 {
                    try await index.catchUp()
                    _ = try await services.signedIn.resolve(token: login.token, services: services)
                    try await send(path)
                    if let answer = try await answered() {
                        #expect(try await passedOn().isEmpty)
                        return answer
                    }
                    #expect(try await passedOn() == ["head \(path)", "end"])
                    try await routerAnswers()
                }
                Issue.record("\(path) was never answered on the event loop")
                throw CancellationError()
            }
            let search = "/api/v1/people?q=%E7%8E%8B&limit=1"  // 王, a page of one of two

            // Nothing cached yet: the router answers.
            try await send(search)
            #expect(try await answered() == nil)
            #expect(try await passedOn() == ["head \(search)", "end"])
            try await routerAnswers()

            // Once the session is cached, the same request is answered here, with what the router's handler returns.
            let (head, body) = try await answeredHere(search)
            #expect(head.status == .ok)
            #expect(head.headerFields[.contentType] == "application/json; charset=utf-8")
            #expect(head.headerFields[.contentLength] == String(body.readableBytes))
            #expect(head.headerFields[.server] == "zhengtong")
            #expect(head.headerFields[.date] != nil)
            let expected = try await dir.search(PeopleQuery(q: "王"), viewer: root, page: try PageRequest(limit: 1, cursor: nil))
            #expect(expected.items.count == 1 && expected.nextCursor != nil)
            #expect(body == PeoplePageJSON(expected).bytes())
            let (_, membersBody) = try await answeredHere("/api/v1/orgs/\(unit.id)/members?recursive=true")
            let expectedMembers = try await dir.members(unit.id, recursive: true, viewer: root, page: try PageRequest(limit: nil, cursor: nil))
            #expect(expectedMembers.items.count == 3)
            #expect(membersBody == PeoplePageJSON(expectedMembers).bytes())

            // A read that needs more of the index than its budget is left whole to the router; within
            // it, the answer is the same as with no budget.
            let searchPage = try PageRequest(limit: 1, cursor: nil), allPage = try PageRequest(limit: nil, cursor: nil)
            try await index.catchUp()
            #expect(try dir.searchIfIndexed(PeopleQuery(q: "王"), viewer: root, page: searchPage, budget: 0) == nil)
            #expect(try dir.membersIfIndexed(unit.id, recursive: true, viewer: root, page: allPage, budget: 0) == nil)
            var answeredFrom: [Int] = []
            for budget in 0...60 {
                if let page = try dir.searchIfIndexed(PeopleQuery(q: "王"), viewer: root, page: searchPage, budget: budget) {
                    #expect(page == expected)
                    answeredFrom.append(budget)
                }
                if let page = try dir.membersIfIndexed(unit.id, recursive: true, viewer: root, page: allPage, budget: budget) {
                    #expect(page == expectedMembers)
                }
            }
            #expect(answeredFrom.first.map { $0 > 0 && answeredFrom == Array($0...60) } == true, "\(answeredFrom)")
            #expect(try dir.membersIfIndexed(unit.id, recursive: true, viewer: root, page: allPage, budget: 60) == expectedMembers)
            var tight = reads
            tight.budget = 0
            var lastToken = DirectoryReads.LastToken()
            var searchHead = HTTPRequest(method: .get, scheme: nil, authority: "localhost", path: search)
            searchHead.headerFields[.authorization] = "Bearer \(login.token)"
            // Sessions stay cached for a second, which a loaded machine can outlast: warm it, ask with no
            // budget, then with the full one. A cache warm for the second was warm for the first.
            var pair: (tight: ByteBuffer?, full: ByteBuffer)? = nil
            for _ in 0..<20 where pair == nil {
                _ = try await services.signedIn.resolve(token: login.token, services: services)
                let first = tight.answer(searchHead, route: .search, lastToken: &lastToken)
                if let full = reads.answer(searchHead, route: .search, lastToken: &lastToken) { pair = (first, full) }
            }
            #expect(pair?.full == PeoplePageJSON(expected).bytes())
            #expect(pair != nil && pair?.tight == nil)

            // Errors and strangers are the router's to answer.
            for path in ["/api/v1/people?limit=0", "/api/v1/people?cursor=garbage", "/api/v1/orgs/nope/members",
                         "/api/v1/orgs/\(unit.id)/members?recursive=maybe"] {
                try await send(path)
                #expect(try await answered() == nil, "\(path)")
                #expect(try await passedOn() == ["head \(path)", "end"])
                try await routerAnswers()
            }
            try await send(search, token: "not-a-session")
            #expect(try await answered() == nil)
            #expect(try await passedOn() == ["head \(search)", "end"])
            try await routerAnswers()

            // Pipelined behind a request the router has not answered yet, a search waits its turn.
            try await send("/api/v1/me")
            try await send(search)
            #expect(try await answered() == nil)
            #expect(try await passedOn() == ["head /api/v1/me", "end", "head \(search)", "end"])
            try await routerAnswers()
            try await routerAnswers()
            _ = try await answeredHere(search)

            // A GET with a body goes to the router, body and all.
            var withBody = HTTPRequest(method: .get, scheme: nil, authority: "localhost", path: search)
            withBody.headerFields[.authorization] = "Bearer \(login.token)"
            try await channel.writeInbound(HTTPRequestPart.head(withBody))
            try await channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "x")))
            try await channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try await answered() == nil)
            #expect(try await passedOn() == ["head \(search)", "body", "end"])
            try await routerAnswers()

            // A write in this process is not answered from an index that has not seen it yet.
            _ = try await dir.createPerson(NewPerson(name: "王新", username: "el-new", positions: [NewPosition(orgId: dept.id)]),
                                           hasher: services.hasher, by: root, from: nil)
            _ = try await services.signedIn.resolve(token: login.token, services: services)  // the write emptied the caches
            try await send(search)
            #expect(try await answered() == nil)
            #expect(try await passedOn() == ["head \(search)", "end"])
            try await routerAnswers()
            let (_, fresh) = try await answeredHere("/api/v1/people?q=%E7%8E%8B%E6%96%B0")
            #expect(String(buffer: fresh).contains("王新"))
            _ = try await channel.finish()
        }
    }

    /// Through the real server: an answer from the event loop is the router's answer, byte for byte but
    /// the date, for searches, filters, pages and member listings of the directory fixture.
    @Test(arguments: Backend.available)
    func sameAnswersAsTheRouter(_ backend: Backend) async throws {
        let answeredHere = Counted(message: "directory read answered on the event loop")
        var logger = Logger(label: "test") { _ in answeredHere }
        logger.logLevel = .trace
        try await TestServer.with(backend, logger: logger, configure: { $0.logLevel = "trace" }) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice")
            let first = try expect(await alice.get("/api/v1/people?limit=2"), 200)
            let cursor = try #require(first["next_cursor"] as? String)
            let paths = ["/api/v1/people?q=%E5%BC%A0", "/api/v1/people?q=zs", "/api/v1/people?q=zhang+san", "/api/v1/people?region=330127000000",
                         "/api/v1/people?org=\(f.orgs["U1"]!)&q=zs", "/api/v1/people?line=%E5%85%AC%E5%AE%89", "/api/v1/people?limit=2&cursor=\(cursor)",
                         "/api/v1/orgs/\(f.orgs["D1"]!)/members", "/api/v1/orgs/\(f.orgs["U1"]!)/members?recursive=true&limit=3"]
            for path in paths {
                // A new session's first request always goes through the router.
                let fresh = try await f.as_("alice")
                let before = answeredHere.count
                let routed = try await Self.fetch(fresh, path)
                #expect(answeredHere.count == before, "a session's first request is the router's")
                // Then the event loop answers, once the index has seen every write of this process (other
                // tests write too, so this may take a few tries).
                var here: (HTTPResponse.Status, HTTPFields, ByteBuffer)? = nil
                for _ in 0..<100 where here == nil {
                    let before = answeredHere.count
                    let reply = try await Self.fetch(fresh, path)
                    if answeredHere.count > before { here = reply }
                }
                let (status, headers, body) = try #require(here, "\(path) was answered on the event loop")
                #expect(status == routed.0 && status == .ok, "\(path)")
                #expect(body == routed.2, "\(path)")
                #expect(Self.withoutDate(headers) == Self.withoutDate(routed.1), "\(path)")
            }
            // A write is seen by the very next search, even with warm caches.
            _ = try await Self.fetch(alice, "/api/v1/people?q=%E7%8E%8B%E6%96%B0")
            try expect(await f.root.post("/api/v1/people", ["name": "王新", "username": "wangxin-el", "positions": [["org_id": f.orgs["D1"]!]]]), 201)
            #expect(try expect(await alice.get("/api/v1/people?q=王新"), 200).items.count == 1)
        }
    }

    static func fetch(_ api: API, _ path: String) async throws -> (HTTPResponse.Status, HTTPFields, ByteBuffer) {
        try await api.client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(api.token!)"]) { r in
            (r.status, r.headers, r.body)
        }
    }

    static func withoutDate(_ fields: HTTPFields) -> [String] {
        fields.filter { $0.name != .date }.map { "\($0.name.canonicalName): \($0.value)" }
    }
}

/// Counts log records with one message; everything else is dropped.
final class Counted: LogHandler, Sendable {
    let message: String
    private let seen = Atomic(0)
    init(message: String) { self.message = message }

    var count: Int { seen.load(ordering: .relaxed) }

    func log(event: LogEvent) {
        if event.message.description == message { seen.add(1, ordering: .relaxed) }
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? { get { nil } set {} }
    var metadata: Logger.Metadata { get { [:] } set {} }
    var logLevel: Logger.Level { get { .trace } set {} }
}
