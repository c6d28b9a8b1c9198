import ArgumentParser
import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import NIOCore
import NIOHTTP1
import Logging
import Synchronization

/// A load generator for messaging and DING (not a test): signs N people in, keeps N WebSocket streams
/// open, sends into groups at a set rate, and reports delivery throughput and latency, server memory
/// per connection, and DING fan-out time. Traffic goes only to the given server, which should be on
/// this machine.
@main
struct LoadTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "zhengtong-load", abstract: "Messaging and DING load generator.")

    @Option(help: "Server base URL (loopback).") var url = "http://127.0.0.1:8080"
    @Option(help: "Administrator used to list people and send DINGs.") var admin = "admin"
    @Option(help: "Administrator password.") var adminPassword: String
    @Option(help: "Password of the people signed in (the demo password).") var password = "zhengtong"
    @Option(help: "Concurrent WebSocket connections (one person each).") var connections = 1000
    @Option(help: "Members per group.") var groupSize = 50
    @Option(help: "Messages sent per second, across all groups.") var rate = 50
    @Option(help: "Seconds of sending.") var seconds = 20
    @Option(help: "Server process id, to read its memory from /proc.") var serverPid: Int?
    @Option(help: "Region codes to send one DING each to, measuring fan-out.") var dingRegion: [String] = []
    @Flag(help: "Also print latency for each second of sending.") var timeline = false

    func run() async throws {
        let http = HTTP(base: url)
        do {
            try await load(http)
        } catch {
            await http.shutdown()
            throw error
        }
        await http.shutdown()
    }

    func load(_ http: HTTP) async throws {
        let adminToken = try await http.login(admin, adminPassword)
        print("listing \(connections) people…")
        var usernames: [String] = []
        var cursor: String? = nil
        repeat {
            let page = try await http.json("GET", "/api/v1/people?limit=200" + (cursor.map { "&cursor=\($0)" } ?? ""), token: adminToken)
            usernames += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["username"] as? String }.filter { $0 != admin }
            cursor = page["next_cursor"] as? String
        } while cursor != nil && usernames.count < connections
        usernames = Array(usernames.prefix(connections))

        print("signing in \(usernames.count) people…")
        let started = Date()
        var sessions: [(username: String, token: String, id: String)] = []
        try await withThrowingTaskGroup(of: (String, String, String).self) { group in
            var next = 0
            func add() {
                let u = usernames[next]
                next += 1
                group.addTask {
                    let r = try await http.json("POST", "/api/v1/auth/login", body: ["username": u, "password": password])
                    return (u, r["token"] as? String ?? "", (r["person"] as? [String: Any])?["id"] as? String ?? "")
                }
            }
            for _ in 0..<min(16, usernames.count) { add() }
            while let s = try await group.next() {
                sessions.append(s)
                if next < usernames.count { add() }
            }
        }
        print(String(format: "signed in %d in %.1f s", sessions.count, Date().timeIntervalSince(started)))

        let rssBefore = serverPid.flatMap(Self.rss)
        let anonBefore = serverPid.flatMap(Self.anon)
        let stats = Stats()
        let wsURL = url.replacingOccurrences(of: "http://", with: "ws://")
        // The streams open in two halves, with the server's memory read after each: the second half's
        // growth is the marginal cost of a connection, without what the first connections warm up once
        // (allocator arenas, caches, buffers that stay for reuse).
        let signedIn = sessions, serverPid = serverPid
        let half = signedIn.count / 2
        let streams = Task {
            await withTaskGroup(of: Void.self) { group in
                for (i, s) in signedIn.enumerated() {
                    if i == half {
                        while stats.connections < half { try? await Task.sleep(for: .milliseconds(100)) }
                        try? await Task.sleep(for: .seconds(2))
                        stats.halfwayAnon = serverPid.flatMap(Self.anon)
                    }
                    group.addTask {
                        _ = try? await WebSocketClient.connect(url: "\(wsURL)/api/v1/stream?token=\(s.token)", logger: Logger(label: "load")) { inbound, _, _ in
                            stats.connected()
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                guard case .text(let text) = message else { continue }
                                stats.received(text, at: Date())
                            }
                        }
                    }
                }
            }
        }
        while stats.connections < sessions.count {
            try await Task.sleep(for: .milliseconds(200))
            if Date().timeIntervalSince(started) > 600 { break }
        }
        try await Task.sleep(for: .seconds(2))
        let rssIdle = serverPid.flatMap(Self.rss)
        let anonIdle = serverPid.flatMap(Self.anon)
        print("connections open: \(stats.connections)")
        if let a = rssBefore, let b = rssIdle {
            print(String(format: "server RSS %.1f MB → %.1f MB with %d idle connections: %.1f KB per connection",
                         Double(a) / 1024, Double(b) / 1024, stats.connections, Double(b - a) / Double(max(1, stats.connections))))
        }
        if let a = anonBefore, let b = anonIdle {
            print(String(format: "server anonymous RSS %.1f MB → %.1f MB: %.1f KB per connection",
                         Double(a) / 1024, Double(b) / 1024, Double(b - a) / Double(max(1, stats.connections))))
            if let m = stats.halfwayAnon {
                print(String(format: "server anonymous RSS %.1f MB at %d connections → %.1f MB at %d: %.1f KB per added connection",
                             Double(m) / 1024, half, Double(b) / 1024, stats.connections, Double(b - m) / Double(max(1, stats.connections - half))))
            }
        }

        // Groups of `groupSize`: the first member creates each.
        var groups: [(id: String, senders: [(String, String)])] = []
        for chunk in stride(from: 0, to: sessions.count, by: groupSize).map({ Array(sessions[$0..<min($0 + groupSize, sessions.count)]) }) where chunk.count > 1 {
            let r = try await http.json("POST", "/api/v1/conversations", token: chunk[0].token,
                                        body: ["kind": "group", "name": "压测组", "members": chunk.dropFirst().map(\.id)])
            if let id = r["id"] as? String { groups.append((id, chunk.map { ($0.token, $0.id) })) }
        }
        print("\(groups.count) groups of \(groupSize)")

        print("sending \(rate) messages/s for \(seconds) s…")
        stats.reset()
        let sendStart = Date()
        let total = rate * seconds
        // Client ids are unique per sender across conversations: a run on a database that an earlier run
        // used must not reuse them (those sends would be refused with 409).
        let run = UUID().uuidString.prefix(8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<total {
                let due = sendStart.addingTimeInterval(Double(i) / Double(rate))
                let wait = due.timeIntervalSinceNow
                if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
                let g = groups[i % groups.count]
                let sender = g.senders[(i / groups.count) % g.senders.count]
                let clientId = "load-\(run)-\(i)"
                stats.sent(clientId, at: Date(), expect: g.senders.count)
                group.addTask {
                    let posted = Date()
                    _ = try await http.json("POST", "/api/v1/conversations/\(g.id)/messages", token: sender.0,
                                            body: ["text": "负载测试消息 \(i)", "client_msg_id": clientId])
                    stats.answered(after: Date().timeIntervalSince(posted))
                }
            }
            try await group.waitForAll()
        }
        try await Task.sleep(for: .seconds(3))
        let elapsed = Date().timeIntervalSince(sendStart)
        let report = stats.report()
        print(String(format: "sent %d messages; %d of %d deliveries arrived; %.0f deliveries/s; send→receive p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     total, report.delivered, report.expected, Double(report.delivered) / elapsed, report.p50, report.p99, report.max))
        let posts = stats.postLatencies()
        print(String(format: "POST answered: p50 %.1f ms, p99 %.1f ms, max %.1f ms (the server's side of a send)", posts.p50, posts.p99, posts.max))
        if timeline {
            print("by second of sending: p50 / p99 / max ms")
            for (second, p50, p99, max) in stats.timeline(from: sendStart) {
                print(String(format: "  %3d  %7.1f %7.1f %7.1f", second, p50, p99, max))
            }
        }

        for region in dingRegion {
            let t0 = Date()
            let r = try await http.json("POST", "/api/v1/dings", token: adminToken,
                                        body: ["text": "紧急通知：请立即确认", "recipients": ["regions": [region]]])
            let persisted = Date().timeIntervalSince(t0)
            let count = r["recipient_count"] as? Int ?? 0
            try await Task.sleep(for: .seconds(2))
            print(String(format: "DING to region %@: %d recipients persisted and published in %.2f s; %d connected recipients got it, last after %.2f s",
                         region, count, persisted, stats.dings, stats.lastDing.map { $0.timeIntervalSince(t0) } ?? 0))
            stats.resetDings()
        }
        streams.cancel()
    }

    /// Resident memory in KiB: all of it (`VmRSS`), or only the anonymous part (`RssAnon`), which leaves out
    /// the pages of files the server maps (SQLite's memory-mapped database), shared with the page cache.
    static func rss(_ pid: Int) -> Int? { status(pid, "VmRSS:") }
    static func anon(_ pid: Int) -> Int? { status(pid, "RssAnon:") }

    static func status(_ pid: Int, _ field: String) -> Int? {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in s.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }
}

/// Counters shared by every connection's task.
final class Stats: Sendable {
    private struct State {
        var connections = 0
        var sentAt: [String: Date] = [:]
        var expected = 0
        var latencies: [Double] = []
        var samples: [(sentAt: Date, ms: Double)] = []
        var dings = 0
        var lastDing: Date? = nil
        var posts: [Double] = []
    }
    private let state = Mutex(State())

    var connections: Int { state.withLock { $0.connections } }
    var dings: Int { state.withLock { $0.dings } }
    var lastDing: Date? { state.withLock { $0.lastDing } }

    func connected() { state.withLock { $0.connections += 1 } }
    func reset() { state.withLock { $0.sentAt = [:]; $0.expected = 0; $0.latencies = []; $0.samples = []; $0.posts = [] } }
    private let halfway = Mutex<Int?>(nil)
    /// The server's anonymous RSS when half the connections were open.
    var halfwayAnon: Int? {
        get { halfway.withLock { $0 } }
        set { halfway.withLock { $0 = newValue } }
    }
    func answered(after seconds: Double) { state.withLock { $0.posts.append(seconds * 1000) } }

    /// p50, p99 and max of the time from sending a message's POST to its answer.
    func postLatencies() -> (p50: Double, p99: Double, max: Double) {
        state.withLock { s in
            let sorted = s.posts.sorted()
            func pct(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            return (pct(0.5), pct(0.99), sorted.last ?? 0)
        }
    }

    func resetDings() { state.withLock { $0.dings = 0; $0.lastDing = nil } }
    func sent(_ id: String, at date: Date, expect n: Int) { state.withLock { $0.sentAt[id] = date; $0.expected += n } }

    func received(_ text: String, at date: Date) {
        if text.contains("\"type\":\"ding.new\"") {
            state.withLock { $0.dings += 1; $0.lastDing = date }
            return
        }
        guard text.contains("\"type\":\"message.new\""), let r = text.range(of: "\"client_msg_id\":\"") else { return }
        let id = String(text[r.upperBound...].prefix { $0 != "\"" })
        state.withLock { s in
            if let sent = s.sentAt[id] {
                let ms = date.timeIntervalSince(sent) * 1000
                s.latencies.append(ms)
                s.samples.append((sent, ms))
            }
        }
    }

    /// p50, p99 and max of the deliveries of messages sent in each second.
    func timeline(from start: Date) -> [(Int, Double, Double, Double)] {
        state.withLock { s in
            Dictionary(grouping: s.samples) { Int($0.sentAt.timeIntervalSince(start)) }.sorted { $0.key < $1.key }.map { second, group in
                let sorted = group.map(\.ms).sorted()
                return (second, sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)], sorted.last ?? 0)
            }
        }
    }

    func report() -> (delivered: Int, expected: Int, p50: Double, p99: Double, max: Double) {
        state.withLock { s in
            let sorted = s.latencies.sorted()
            func pct(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            return (sorted.count, s.expected, pct(0.5), pct(0.99), sorted.last ?? 0)
        }
    }
}

/// A minimal JSON-over-HTTP client on AsyncHTTPClient's connection pool. (Foundation's URLSession on
/// Linux queued sends inside the client at a few hundred a second, with the server idle, and that time
/// was counted as delivery latency.)
struct HTTP: Sendable {
    let base: String
    let client: HTTPClient

    init(base: String, connections: Int = 64) {
        self.base = base
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }

    func shutdown() async { try? await client.shutdown() }

    func login(_ username: String, _ password: String) async throws -> String {
        guard let t = try await json("POST", "/api/v1/auth/login", body: ["username": username, "password": password])["token"] as? String else {
            throw ValidationError("could not sign in as \(username)")
        }
        return t
    }

    func json(_ method: String, _ path: String, token: String? = nil, body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]) ?? [:]
    }
}
