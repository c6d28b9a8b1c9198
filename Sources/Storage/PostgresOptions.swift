import Foundation

/// What a PostgreSQL URL's query says beyond where the server is: TLS as libpq reads it (`sslmode`,
/// `sslrootcert`, `connect_timeout`) and the pool (`pool_max_conns`, as pgx names it, and `pool_timeout`,
/// how long a query waits for a connection before it fails). Anything else is refused rather than ignored.
public struct PostgresOptions: Sendable, Equatable {
    public var tls = PostgresTLS()
    /// Connections this node may open, one of them always listening for events; several nodes share the
    /// server's `max_connections`.
    public var maxConnections = 20
    /// How long one attempt to connect may take (libpq's `connect_timeout`).
    public var connectSeconds = 10
    /// How long a query waits for a pooled connection. When the server is gone or refuses us the pool
    /// keeps retrying in the background; without a limit every request would wait with it. 30 s, as
    /// HikariCP and SQLAlchemy default to: long enough that a burst queued behind busy connections
    /// still gets its answer.
    public var leaseSeconds = 30

    public init(tls: PostgresTLS = PostgresTLS(), maxConnections: Int = 20, connectSeconds: Int = 10, leaseSeconds: Int = 30) {
        self.tls = tls
        self.maxConnections = maxConnections
        self.connectSeconds = connectSeconds
        self.leaseSeconds = leaseSeconds
    }

    static let known = ["sslmode", "sslrootcert", "connect_timeout", "pool_max_conns", "pool_timeout"]

    init(query: [URLQueryItem]) throws {
        func count(_ item: URLQueryItem, _ range: ClosedRange<Int>) throws -> Int {
            guard let value = item.value.flatMap({ Int($0) }), range.contains(value) else {
                throw StorageError.unavailable("\(item.name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        for item in query {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = PostgresTLS.Mode(rawValue: value) else {
                    throw StorageError.unavailable("sslmode must be one of \(PostgresTLS.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls.mode = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else { throw StorageError.unavailable("sslrootcert needs a file path") }
                tls.rootCertificate = path
            case "connect_timeout": connectSeconds = try count(item, 1...600)
            // One connection per node listens for events for as long as it runs.
            case "pool_max_conns": maxConnections = try count(item, 2...1000)
            case "pool_timeout": leaseSeconds = try count(item, 1...3600)
            default:
                throw StorageError.unavailable("unknown database URL parameter \(item.name): the known ones are \(Self.known.joined(separator: ", "))")
            }
        }
    }

    /// The query that gives this back (no secrets in it), empty for the defaults.
    var query: String {
        let defaults = PostgresOptions()
        var items: [String] = []
        if tls.mode != defaults.tls.mode { items.append("sslmode=\(tls.mode.rawValue)") }
        if let root = tls.rootCertificate { items.append("sslrootcert=\(root)") }
        if connectSeconds != defaults.connectSeconds { items.append("connect_timeout=\(connectSeconds)") }
        if maxConnections != defaults.maxConnections { items.append("pool_max_conns=\(maxConnections)") }
        if leaseSeconds != defaults.leaseSeconds { items.append("pool_timeout=\(leaseSeconds)") }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }
}
