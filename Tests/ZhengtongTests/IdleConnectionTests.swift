import Foundation
import Logging
import Testing
@testable import ZhengtongServer

/// `idle_timeout_seconds`: connections that send nothing of a request are closed, whether silent from
/// the start, idle between requests, or stalled inside a request; a connection in use is not; and a
/// stalled request cannot hold up the server's shutdown.
@Suite struct IdleConnectionTests {
    @Test(.timeLimit(.minutes(5)))
    func idleAndStalledConnectionsAreClosed() async throws {
        let clock = ContinuousClock()
        let unhandled = Counted(message: "unhandled error")
        let (leftOpen, stopping) = try await TestServer.with(.sqlite, logger: Logger(label: "test") { _ in unhandled },
                                                             configure: { $0.idleTimeoutSeconds = 3 }) { api in
            let port = api.client.port!
            let opened = clock.now
            let silent = try RawSocket(port: port)
            let stalledHead = try RawSocket(port: port)
            try stalledHead.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let stalledBody = try RawSocket(port: port)
            try stalledBody.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                 + "Content-Length: 100\r\n\r\n{\"username\"")
            let idle = try RawSocket(port: port)
            try idle.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(String(decoding: try await idle.read(until: #""ok"}"#), as: UTF8.self).hasPrefix("HTTP/1.1 200"))

            // In use: a request every 0.5 s for 4 s on one connection, all answered on it. (The timeout is
            // 3 s, not 1: on a loaded machine a test server's event loop can stall for a second, and a
            // connection's first read would then meet its expired timer.)
            let busy = try RawSocket(port: port)
            for _ in 0..<8 {
                try busy.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(String(decoding: try await busy.read(until: #""ok"}"#), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
                try await Task.sleep(for: .milliseconds(500))
            }
            for (name, socket) in [("silent", silent), ("stalled head", stalledHead), ("stalled body", stalledBody), ("idle", idle)] {
                await #expect(throws: Never.self, "\(name) is closed") { _ = try await socket.readUntilClosed(timeout: 8) }
            }
            #expect(clock.now - opened >= .milliseconds(2900), "none closed before its time")

            // A request left stalled when the server stops is cut at its timeout, not waited for.
            let stalled = try RawSocket(port: port)
            try stalled.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n{")
            try await Task.sleep(for: .milliseconds(100))
            // A second descriptor keeps the connection open after `stalled` closes its own.
            return (dup(stalled.fd), clock.now)
        }
        defer { close(leftOpen) }
        #expect(leftOpen >= 0)
        #expect(clock.now - stopping < .seconds(10), "shutdown waited \(clock.now - stopping)")
        #expect(unhandled.count == 0, "a body cut short is the client's doing, not a server error")
    }
}
