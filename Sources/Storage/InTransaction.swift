import Logging
import SQLKit

/// A `Database` that runs everything on one connection already inside a transaction. An action made of
/// many domain actions (an import of thousands of rows) builds its services on this, so every one of
/// them, with its own checks, audit rows and change log entries, commits or rolls back together.
public struct InTransaction: Database {
    let db: any SQLDatabase
    public let dialect: Dialect
    public let logger: Logger

    public init(_ db: any SQLDatabase, dialect: Dialect, logger: Logger) {
        self.db = db
        self.dialect = dialect
        self.logger = logger
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T { try await body(db) }
    /// Already inside the outer transaction: nested actions share it.
    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T { try await body(db) }
    public func run() async {}
    public func close() async {}
    public var supportsNotify: Bool { false }
    public func listen(channel: String, _ handle: @escaping @Sendable (String) async -> Void) async throws {
        throw StorageError.migration("LISTEN is not available inside a transaction")
    }
}
