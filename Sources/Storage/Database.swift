import Foundation
import Logging
import SQLKit

public enum Dialect: String, Sendable {
    case sqlite, postgres
}

/// The one storage abstraction every store is written against. Queries are SQLKit query strings with
/// bound parameters, written once and run unchanged on SQLite and PostgreSQL; the few places where the
/// two differ (DDL types, bulk-load tuning) ask `dialect`.
public protocol Database: Sendable {
    var dialect: Dialect { get }
    var logger: Logger { get }
    /// Moved on by writers after commits that caches must see (`Generation`).
    var generation: Generation { get }
    /// Runs read-only work on a connection from the pool.
    func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
    /// `transaction`, then `committed` with its result once it has committed. Where one writer commits
    /// at a time (SQLite), `committed` runs before the next transaction can commit, so what it does
    /// (publishing events) happens in commit order.
    func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T, committed: (T) -> Void) async throws -> T
    /// Background work the database needs while open (PostgreSQL's pool); returns when cancelled.
    func run() async
    /// Returns once `run` has started, for callers that start both at once.
    func untilRunning() async
    func close() async
    /// Whether `listen` works: PostgreSQL's LISTEN/NOTIFY lets several nodes share one database.
    var supportsNotify: Bool { get }
    /// Calls `listening` once the server is listening on `channel`, then `handle` with each notification's
    /// payload until cancelled or disconnected.
    func listen(channel: String, listening: @escaping @Sendable () async throws -> Void,
                _ handle: @escaping @Sendable (String) async -> Void) async throws
}

extension SQLDatabase {
    /// Queues a notification that PostgreSQL delivers to every listener when the transaction commits
    /// (and drops if it rolls back); SQLite has a single node and nothing to tell.
    public func notify(channel: String, payload: String) async throws {
        guard dialect.name == "postgresql" else { return }
        try await raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
    }
}

extension Database {
    /// Only a store with background work (PostgreSQL's pool) has anything to wait for.
    public func untilRunning() async {}

    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T, committed: (T) -> Void) async throws -> T {
        let result = try await transaction(body)
        committed(result)
        return result
    }

    /// Asks the database something trivial, and gives up after `timeout`: a pool whose connections keep
    /// failing (a server gone, a certificate refused) would otherwise keep the caller waiting, and a
    /// readiness probe must answer.
    public func ping(timeout: Duration = .seconds(5)) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await read { db in _ = try await db.raw("SELECT 1 AS one").all() } }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw StorageError.noConnection("the database did not answer within \(timeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}

public enum StorageError: Error, CustomStringConvertible {
    case badURL(String)
    case migration(String)
    /// Something the store cannot do: nested in another transaction, or misconfigured.
    case unavailable(String)
    /// No connection to the database in time: it is down, unreachable, or refuses us. Worth retrying.
    case noConnection(String)

    public var description: String {
        switch self {
        case .badURL(let s): "unsupported database URL \(s): use sqlite://PATH or postgres://user:pass@host:port/db"
        case .migration(let s): "migration failed: \(s)"
        case .unavailable(let s), .noConnection(let s): s
        }
    }
}

/// Parsed `--database` value.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(host: String, port: Int, username: String, password: String?, database: String, options: PostgresOptions)

    public init(url: String) throws {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw StorageError.badURL(url) }
            self = .sqlite(path: path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard let c = URLComponents(string: url), let host = c.host, !host.isEmpty else {
                throw StorageError.badURL(Self.withoutPassword(url))
            }
            let db = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
            self = .postgres(host: host, port: c.port ?? 5432, username: c.user ?? "postgres",
                             password: c.password?.removingPercentEncoding, database: db.isEmpty ? "postgres" : db,
                             options: try PostgresOptions(query: c.queryItems ?? []))
        } else {
            throw StorageError.badURL(Self.withoutPassword(url))
        }
    }

    /// The location without its password, safe to log.
    public var redacted: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let host, let port, let user, _, let db, let options): "postgres://\(user)@\(host):\(port)/\(db)\(options.query)"
        }
    }

    /// `url` with any password in it replaced, for error messages.
    static func withoutPassword(_ url: String) -> String {
        // Whatever precedes the last '@' may hold a password, and a URL broken enough to be refused
        // (a space or '#' in the password, one slash too few) may not parse: hide it all.
        guard let at = url.range(of: "@", options: .backwards) else { return url }
        let scheme = url.range(of: ":").map { String(url[..<$0.lowerBound]) } ?? ""
        return scheme + "://***" + String(url[at.lowerBound...])
    }
}

public enum Databases {
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> any Database {
        switch location {
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path, logger: logger)
        case .postgres(let host, let port, let user, let password, let database, let options):
            return try PostgresStore(host: host, port: port, username: user, password: password, database: database,
                                     options: options, logger: logger)
        }
    }

    /// Opens a database for the lifetime of `body`, running its background work alongside, then closes it.
    public static func with<T: Sendable>(
        _ location: DatabaseLocation, logger: Logger, _ body: (any Database) async throws -> T
    ) async throws -> T {
        let db = try await open(location, logger: logger)
        do {
            let result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await db.run() }
                defer { group.cancelAll() }
                // PostgresNIO warns about every connection leased before its pool runs.
                await db.untilRunning()
                return try await body(db)
            }
            await db.close()
            return result
        } catch {
            await db.close()
            throw error
        }
    }
}
