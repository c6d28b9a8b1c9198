import SQLKit

/// The directory's change log: every change to a region, org, person, position or grant, in commit
/// order, for systems that follow the directory by cursor instead of re-reading all of it.
struct M010DirectoryChanges: Migration {
    let id = 10
    let name = "010_directory_changes"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE directory_changes (
                seq {INT} PRIMARY KEY,
                kind TEXT NOT NULL,
                op TEXT NOT NULL,
                target_id TEXT{C} NOT NULL,
                data TEXT,
                actor_id TEXT{C},
                created_at {INT} NOT NULL)
            """,
            "CREATE INDEX directory_changes_target ON directory_changes (kind, target_id)",
            "CREATE TABLE directory_changes_head (id {INT} PRIMARY KEY, seq {INT} NOT NULL)",
            "INSERT INTO directory_changes_head (id, seq) VALUES (1, 0)")
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE directory_changes_head", "DROP TABLE directory_changes")
    }
}
