import ZhengtongCore
import Foundation
import SQLKit

/// One schema change. Each lives in its own numbered file and is never edited once released.
public protocol Migration: Sendable {
    var id: Int { get }
    var name: String { get }
    func prepare(_ db: any SQLDatabase, _ dialect: Dialect) async throws
    func revert(_ db: any SQLDatabase, _ dialect: Dialect) async throws
}

extension Migration {
    /// Runs DDL written once for both databases: `{C}` becomes a binary collation on PostgreSQL (so range
    /// scans on codes and paths use the index and compare bytes, as SQLite does), `{INT}` a 64-bit integer.
    func ddl(_ db: any SQLDatabase, _ dialect: Dialect, _ statements: String...) async throws {
        for s in statements {
            let sql = s
                .replacingOccurrences(of: "{C}", with: dialect == .postgres ? " COLLATE \"C\"" : "")
                .replacingOccurrences(of: "{INT}", with: dialect == .postgres ? "BIGINT" : "INTEGER")
            try await db.raw(SQLQueryString(sql)).run()
        }
    }
}

public enum Migrations {
    /// Every migration, in order.
    public static let all: [any Migration] = [
        M001Directory(),
        M002Accounts(),
        M003Audit(),
        M004Events(),
        M005PersonGrams(),
        M006Messaging(),
        M007Dings(),
        M008MessageSearch(),
        M009Attachments(),
        M010DirectoryChanges(),
        M011ProvisioningTokens(),
    ]

    /// Applies pending migrations in one transaction; concurrent nodes on PostgreSQL serialise on an
    /// advisory lock so exactly one of them migrates.
    @discardableResult
    public static func migrate(_ database: any Database) async throws -> [String] {
        try await database.transaction { db in
            if database.dialect == .postgres {
                try await db.raw("SELECT pg_advisory_xact_lock(7243001)").run()
            }
            try await db.raw("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id \(unsafeRaw: database.dialect == .postgres ? "BIGINT" : "INTEGER") PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at \(unsafeRaw: database.dialect == .postgres ? "BIGINT" : "INTEGER") NOT NULL)
                """).run()
            let done = Set(try await db.raw("SELECT id FROM schema_migrations").all().map { try $0.decode(column: "id", as: Int.self) })
            var applied: [String] = []
            for m in all where !done.contains(m.id) {
                try await m.prepare(db, database.dialect)
                try await db.raw("INSERT INTO schema_migrations (id, name, applied_at) VALUES (\(bind: m.id), \(bind: m.name), \(bind: Date().millis))").run()
                applied.append(m.name)
            }
            return applied
        }
    }

    /// Reverts the newest `steps` migrations.
    public static func revert(_ database: any Database, steps: Int = 1) async throws -> [String] {
        try await database.transaction { db in
            let done = Set(try await db.raw("SELECT id FROM schema_migrations").all().map { try $0.decode(column: "id", as: Int.self) })
            var reverted: [String] = []
            for m in all.reversed() where done.contains(m.id) && reverted.count < steps {
                try await m.revert(db, database.dialect)
                try await db.raw("DELETE FROM schema_migrations WHERE id = \(bind: m.id)").run()
                reverted.append(m.name)
            }
            return reverted
        }
    }
}
