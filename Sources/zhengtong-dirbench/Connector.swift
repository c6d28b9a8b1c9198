import NIOCore

/// One system under test: how to open a connection that, once sent `StartLoad`, asks the kind's queries
/// in a loop starting at `firstQuery`.
struct Connector: Sendable {
    var system: String
    var queryCount: Int
    var open: @Sendable (_ firstQuery: Int) -> EventLoopFuture<any Channel>
}

/// host:port from `scheme://host:port[/...]`; the benchmark only talks to loopback, so no more is needed.
struct Endpoint: Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    init(_ url: String, scheme: String, defaultPort: Int) throws {
        let prefix = scheme + "://"
        guard url.hasPrefix(prefix) else { throw EndpointError(url: url, scheme: scheme) }
        let authority = url.dropFirst(prefix.count).prefix { $0 != "/" }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let port = Int(authority[authority.index(after: colon)...]) else { throw EndpointError(url: url, scheme: scheme) }
            host = String(authority[..<colon])
            self.port = port
        } else {
            host = String(authority)
            port = defaultPort
        }
        host = host.trimmingBrackets()
        guard !host.isEmpty else { throw EndpointError(url: url, scheme: scheme) }
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

struct EndpointError: Error, CustomStringConvertible {
    var url: String
    var scheme: String
    var description: String { "\(url): want \(scheme)://HOST:PORT" }
}

private extension String {
    func trimmingBrackets() -> String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
