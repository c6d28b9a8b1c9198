import Foundation
import Logging
import SQLKit
import Storage
import Synchronization
import Testing

/// The storage contract every store relies on, run unchanged against SQLite and PostgreSQL.
@Suite struct StorageContractTests {
    /// On SQLite, what runs after a commit (`transaction(_:committed:)`) is done before any later
    /// transaction can commit, even one already waiting, and nothing runs after a rollback.
    @Test func committedWorkRunsBeforeTheNextCommit() async throws {
        let url = try await Backend.sqlite.freshDatabaseURL()
        try await Databases.with(try DatabaseLocation(url: url), logger: Logger(label: "test")) { db in
            final class Log: Sendable {
                let lines = Mutex<[String]>([])
                func add(_ s: String) { lines.withLock { $0.append(s) } }
            }
            let log = Log()
            let first = Latch()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await db.transaction({ _ in first.open() }, committed: { _ in
                        log.add("first committed: start")
                        // Long enough for the second to reach its commit, were it let in.
                        let until = ContinuousClock.now + .milliseconds(200)
                        while ContinuousClock.now < until {}
                        log.add("first committed: end")
                    })
                }
                group.addTask {
                    await first.wait()
                    try await db.transaction { _ in log.add("second body") }
                }
                try await group.waitForAll()
            }
            #expect(log.lines.withLock { $0 } == ["first committed: start", "first committed: end", "second body"])
            struct Boom: Error {}
            let ran = Log()
            await #expect(throws: Boom.self) {
                try await db.transaction({ _ in throw Boom() }, committed: { (_: Void) in ran.add("committed") })
            }
            #expect(ran.lines.withLock { $0 }.isEmpty)
        }
    }

    @Test(arguments: Backend.available)
    func migrationsTransactionsAndUniqueness(_ backend: Backend) async throws {
        let url = try await backend.freshDatabaseURL()
        try await Databases.with(try DatabaseLocation(url: url), logger: Logger(label: "test")) { db in
            let applied = try await Migrations.migrate(db)
            #expect(applied == Migrations.all.map(\.name))
            #expect(try await Migrations.migrate(db).isEmpty, "migrating twice changes nothing")
            // A transaction that throws leaves nothing behind.
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await db.transaction { c in
                    try await c.raw("INSERT INTO regions (code, name, level, created_at) VALUES ('330000000000', '浙江省', 'province', 0)").run()
                    throw Boom()
                }
            }
            let count = try await db.read { c in try await c.raw("SELECT COUNT(*) AS n FROM regions").first()!.decode(column: "n", as: Int.self) }
            #expect(count == 0)
            // Unique violations are recognised on both engines.
            try await db.transaction { c in
                try await c.raw("INSERT INTO regions (code, name, level, created_at) VALUES ('330000000000', '浙江省', 'province', 0)").run()
            }
            do {
                try await db.transaction { c in
                    try await c.raw("INSERT INTO regions (code, name, level, created_at) VALUES ('330000000000', 'x', 'province', 0)").run()
                }
                Issue.record("duplicate insert succeeded")
            } catch {
                #expect(StorageErrors.isUniqueViolation(error))
            }
            // Range scans compare bytes on both engines (PostgreSQL columns use the C collation).
            let under = try await db.read { c in
                try await c.raw("SELECT COUNT(*) AS n FROM regions WHERE code >= '33' AND code < \(bind: "33\u{7F}")").first()!.decode(column: "n", as: Int.self)
            }
            #expect(under == 1)
            // Every migration reverts cleanly, and applies again.
            let reverted = try await Migrations.revert(db, steps: Migrations.all.count)
            #expect(reverted == Migrations.all.reversed().map(\.name))
            #expect(try await Migrations.migrate(db) == Migrations.all.map(\.name))
            try await db.ping()
        }
    }
}
