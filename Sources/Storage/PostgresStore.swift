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

    public init(host: String, port: Int, username: String, password: String?, database: String,
                tls: PostgresClient.Configuration.TLS, maxConnections: Int = 20, logger: Logger) {
        var config = PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                  database: database, tls: tls)
        config.options.maximumConnections = maxConnections
        config.options.minimumConnections = 0
        self.client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.logger = logger
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { conn in
            try await body(conn.sql(queryLogLevel: nil))
        }
    }

    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { conn in
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

    public var supportsNotify: Bool { true }

    /// Holds one pooled connection for as long as it listens.
    public func listen(channel: String, _ handle: @escaping @Sendable (String) async -> Void) async throws {
        try await client.withConnection { conn in
            try await conn.listen(on: channel) { notifications in
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
