import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through postgres-nio's pooled client. Several Zhengtong nodes may share one database.
public final class PostgresStore: Database {
    public let dialect = Dialect.postgres
    public let logger: Logger
    public let generation = Generation()
    let client: PostgresClient
    private let running = Latch()
    /// How long a query waits for a pooled connection (`pool_timeout`, 30 s by default).
    let leaseTimeout: Duration

    public init(host: String, port: Int, username: String, password: String?, database: String,
                options: PostgresOptions = PostgresOptions(), logger: Logger) throws {
        var config = PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                  database: database, tls: try options.tls.configuration())
        config.options.maximumConnections = options.maxConnections
        config.options.minimumConnections = 0
        config.options.connectTimeout = .seconds(options.connectSeconds)
        self.client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.leaseTimeout = .seconds(options.leaseSeconds)
        self.logger = logger
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await withConnection { conn in
            try await body(conn.sql(queryLogLevel: nil))
        }
    }

    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await withConnection { conn in
            let db = conn.sql(queryLogLevel: nil)
            try await db.raw("BEGIN").run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// Runs `body` on a pooled connection, or fails with `StorageError.noConnection` when none comes
    /// within `leaseTimeout`, when the pool refuses, or when the connection dies under `body`. The
    /// pool's own lease waits as long as its connections keep failing (until its circuit breaker trips,
    /// after a minute). So a separate task leases the connection and lends
    /// it here: `body` (which need not be `Sendable`) stays in this task, and the wait can be cut short.
    /// The lender is not a child task, so this caller never waits for it; a lender that gets its
    /// connection after the caller gave up hands it straight back.
    private func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let handoff = LeaseHandoff()
        let lender = Task { [client] in
            do {
                try await client.withConnection { conn in
                    guard handoff.offer(conn) else { return }
                    await handoff.returned.wait()
                }
            } catch is CancellationError {
                handoff.fail(CancellationError())
            } catch {
                // The pool's own refusals (its circuit breaker trips after a minute of failed
                // connections, or it is closing) mean the same to a caller as the timeout.
                handoff.fail(StorageError.noConnection("no database connection: \(error)"))
            }
        }
        let timer = Task { [leaseTimeout] in
            do { try await Task.sleep(for: leaseTimeout) } catch { return }
            handoff.fail(StorageError.noConnection("no database connection within \(leaseTimeout)"))
        }
        defer {
            timer.cancel()
            handoff.returned.open()
        }
        let conn: PostgresConnection
        do {
            conn = try await withTaskCancellationHandler {
                try await handoff.connection()
            } onCancel: {
                handoff.fail(CancellationError())
            }
        } catch {
            // Nobody will use the connection: stop waiting for one, if the pool still is.
            lender.cancel()
            throw error
        }
        timer.cancel()
        do {
            return try await body(conn)
        } catch let error as PSQLError where Self.lostConnection(error) {
            // The connection died under the query: the database went away, not the request's fault.
            throw StorageError.noConnection("the database connection was lost: \(error.code)")
        }
    }

    static func lostConnection(_ error: PSQLError) -> Bool {
        [.serverClosedConnection, .uncleanShutdown, .connectionError, .poolClosed, .clientClosedConnection].contains(error.code)
    }

    public var supportsNotify: Bool { true }

    /// Holds one pooled connection for as long as it listens.
    public func listen(channel: String, listening: @escaping @Sendable () async throws -> Void,
                       _ handle: @escaping @Sendable (String) async -> Void) async throws {
        try await client.withConnection { conn in
            try await conn.listen(on: channel) { notifications in
                try await listening()
                for try await n in notifications { await handle(n.payload) }
            }
        }
    }

    public func run() async {
        running.open()
        // Nothing suspends between the two, and `client.run()` marks the pool running before its first
        // await, while a waiter resumed here must first be scheduled: in practice it finds the pool
        // running. (Had it not, the cost would be one warning; the lease still waits for the pool.)
        await client.run()
    }

    public func untilRunning() async {
        await running.wait()
    }

    public func close() async {}
}
