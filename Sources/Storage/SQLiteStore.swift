import Foundation
import Logging
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// SQLite in WAL mode: one writer connection (SQLite serialises writers anyway, and queuing them here
/// avoids SQLITE_BUSY) and a few reader connections that never block the writer.
public final class SQLiteStore: Database {
    public let dialect = Dialect.sqlite
    public let logger: Logger
    public let generation = Generation()
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let writeLock = AsyncSemaphore(permits: 1)
    private let readLock: AsyncSemaphore
    private let nextReader = Atomic<Int>(0)
    private let readerBusy: Mutex<[Bool]>

    public static func open(path: String, readers count: Int = 4, logger: Logger) async throws -> SQLiteStore {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                       "PRAGMA busy_timeout=10000", "PRAGMA cache_size=-65536", "PRAGMA temp_store=MEMORY"] {
            _ = try await writer.query(pragma)
        }
        var readers: [SQLiteConnection] = []
        for _ in 0..<count {
            let r = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for pragma in ["PRAGMA busy_timeout=10000", "PRAGMA cache_size=-65536", "PRAGMA query_only=ON",
                           "PRAGMA temp_store=MEMORY", "PRAGMA mmap_size=1073741824"] {
                _ = try await r.query(pragma)
            }
            readers.append(r)
        }
        return SQLiteStore(writer: writer, readers: readers, logger: logger)
    }

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.logger = logger
        self.readLock = AsyncSemaphore(permits: readers.count)
        self.readerBusy = Mutex(Array(repeating: false, count: readers.count))
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await readLock.withPermit {
            let start = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
            let index = readerBusy.withLock { busy -> Int in
                for k in 0..<busy.count {
                    let i = (start + k) % busy.count
                    if !busy[i] { busy[i] = true; return i }
                }
                preconditionFailure("a read permit was granted with every reader busy")
            }
            defer { readerBusy.withLock { $0[index] = false } }
            return try await body(readers[index].sql(queryLogLevel: nil))
        }
    }

    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await transaction(body, committed: { _ in })
    }

    /// `committed` runs while this transaction still holds the write lock, so the next one cannot have
    /// committed yet.
    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T, committed: (T) -> Void) async throws -> T {
        try await writeLock.withPermit {
            let db = writer.sql(queryLogLevel: nil)
            _ = try await writer.query("BEGIN IMMEDIATE")
            let result: T
            do {
                result = try await body(db)
                _ = try await writer.query("COMMIT")
            } catch {
                _ = try? await writer.query("ROLLBACK")
                throw error
            }
            committed(result)
            return result
        }
    }

    public var supportsNotify: Bool { false }

    public func listen(channel: String, listening: @escaping @Sendable () async throws -> Void,
                       _ handle: @escaping @Sendable (String) async -> Void) async throws {}

    public func run() async {
        // Nothing runs in the background for SQLite; wait until the owner cancels.
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
    }

    /// Closes through the future-based API, which (unlike the async one) still runs when the closing
    /// task is already cancelled, as it is when a server shuts down after a failure.
    public func close() async {
        for r in readers { try? await r.close().get() }
        try? await writer.close().get()
    }
}
