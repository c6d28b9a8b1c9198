import Logging
import SQLKit

/// A `Database` that runs everything on one connection already inside a transaction. An action made of
/// many domain actions (an import of thousands of rows) builds its services on this, so every one of
/// them, with its own checks, audit rows and change log entries, commits or rolls back together.
public struct InTransaction: Database {
    let db: any SQLDatabase
    public let dialect: Dialect
    public let logger: Logger
    /// The outer store's: whoever commits the outer transaction moves it.
    public let generation: Generation

    public init(_ db: any SQLDatabase, in outer: any Database) {
        self.db = db
        self.dialect = outer.dialect
        self.logger = outer.logger
        self.generation = outer.generation
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T { try await body(db) }
    /// Already inside the outer transaction: nested actions share it.
    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T { try await body(db) }
    /// Nothing here knows when the outer transaction commits, so nothing can run after it.
    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T, committed: (T) -> Void) async throws -> T {
        throw StorageError.unavailable("work to run after commit cannot be nested in another transaction")
    }
    public func run() async {}
    public func close() async {}
    public var supportsNotify: Bool { false }
    public func listen(channel: String, listening: @escaping @Sendable () async throws -> Void,
                       _ handle: @escaping @Sendable (String) async -> Void) async throws {
        throw StorageError.unavailable("LISTEN is not available inside a transaction")
    }
}
