import SQLKit

/// The hash-chained audit log. `audit_head` holds the chain's tip in one row: every appender updates
/// it first, which serialises appenders on PostgreSQL (row lock) as SQLite's single writer already does.
struct M003Audit: Migration {
    let id = 3
    let name = "003_audit"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE audit_log (
                seq {INT} PRIMARY KEY,
                id TEXT{C} NOT NULL UNIQUE,
                at {INT} NOT NULL,
                actor_id TEXT{C},
                actor_name TEXT,
                action TEXT NOT NULL,
                target_type TEXT NOT NULL,
                target_id TEXT,
                client_address TEXT,
                detail TEXT NOT NULL,
                digest TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL)
            """,
            "CREATE TABLE audit_head (id {INT} PRIMARY KEY, seq {INT} NOT NULL, hash TEXT NOT NULL)",
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')")
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE audit_head", "DROP TABLE audit_log")
    }
}
