import SQLKit

/// Sign-in sessions (only a hash of each bearer token is stored) and delegated-administration grants.
struct M002Accounts: Migration {
    let id = 2
    let name = "002_accounts"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE sessions (
                id TEXT{C} PRIMARY KEY,
                person_id TEXT{C} NOT NULL REFERENCES people(id),
                token_hash TEXT{C} NOT NULL UNIQUE,
                created_at {INT} NOT NULL,
                expires_at {INT} NOT NULL,
                last_seen_at {INT} NOT NULL,
                user_agent TEXT,
                client_address TEXT,
                revoked_at {INT})
            """,
            "CREATE INDEX sessions_person ON sessions (person_id)",
            """
            CREATE TABLE grants (
                id TEXT{C} PRIMARY KEY,
                person_id TEXT{C} NOT NULL REFERENCES people(id),
                role TEXT NOT NULL,
                org_id TEXT{C} REFERENCES orgs(id),
                region_code TEXT{C} REFERENCES regions(code),
                created_at {INT} NOT NULL,
                created_by TEXT{C})
            """,
            "CREATE INDEX grants_person ON grants (person_id)")
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE grants", "DROP TABLE sessions")
    }
}
