import SQLKit

/// Files attached to messages: the bytes live on disk (or, later, an object store), the row records
/// what they are, who uploaded them and which message they belong to.
struct M009Attachments: Migration {
    let id = 9
    let name = "009_attachments"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE attachments (
                id TEXT{C} PRIMARY KEY,
                uploader_id TEXT{C} NOT NULL REFERENCES people(id),
                name TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size {INT} NOT NULL,
                sha256 TEXT NOT NULL,
                message_id TEXT{C} REFERENCES messages(id),
                conversation_id TEXT{C},
                created_at {INT} NOT NULL)
            """,
            "CREATE INDEX attachments_message ON attachments (message_id)")
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE attachments")
    }
}
