import Foundation

/// A plain TCP client for what WebSocket libraries hide: raw upgrade requests, and not answering pings.
final class RawSocket {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError.fixture("socket failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw TestSetupError.fixture("connect failed") }
    }

    deinit { close(fd) }

    /// The headers of a valid WebSocket upgrade, each line ending in CRLF.
    static let upgradeHeaders = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"

    /// Opens the stream with `token` and reads through its `ready` frame; returns the socket and the bytes read.
    static func stream(port: Int, token: String) async throws -> (RawSocket, opened: [UInt8]) {
        let s = try RawSocket(port: port)
        try s.send("GET /api/v1/stream?token=\(token) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(upgradeHeaders)\r\n")
        return (s, try await s.read(until: #""type":"ready""#))
    }

    func send(_ text: String) throws { try send(bytes: Array(text.utf8)) }

    func send(bytes: [UInt8]) throws {
        guard Glibc.send(fd, bytes, bytes.count, 0) == bytes.count else { throw TestSetupError.fixture("send failed") }
    }

    /// Closes the sending side only (a FIN), as a client that is going away does.
    func halfClose() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads until `marker` has arrived; returns every byte read.
    func read(until marker: String, timeout: Double = 5) async throws -> [UInt8] {
        var got: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        // The deadline is checked after a read, not before: a task that resumes late (its process busy)
        // still sees what arrived meanwhile instead of failing with bytes waiting in the socket.
        while !String(decoding: got, as: UTF8.self).contains(marker) {
            let late = Date() >= deadline
            guard let chunk = try await readChunk() else {
                throw TestSetupError.fixture("closed before \(marker); got \(String(decoding: got, as: UTF8.self))")
            }
            got += chunk
            if late && chunk.isEmpty && !String(decoding: got, as: UTF8.self).contains(marker) {
                throw TestSetupError.fixture("no \(marker) in \(timeout) s; got \(String(decoding: got, as: UTF8.self))")
            }
        }
        return got
    }

    /// Reads until the server closes the connection.
    func readUntilClosed(timeout: Double = 5) async throws -> [UInt8] {
        var got: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let late = Date() >= deadline
            guard let chunk = try await readChunk() else { return got }
            got += chunk
            if late && chunk.isEmpty { break }
        }
        throw TestSetupError.fixture("still open after \(timeout) s")
    }

    /// Nil when the peer closed; empty when nothing came for a moment. Never blocks a thread: the server
    /// under test shares the process's few cooperative threads.
    private func readChunk() async throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if n == 0 { return nil }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK {
                try await Task.sleep(for: .milliseconds(20))
                return []
            }
            if errno == ECONNRESET { return nil }
            throw TestSetupError.fixture("recv failed: \(errno)")
        }
        return Array(buffer[..<n])
    }
}
