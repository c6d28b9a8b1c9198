import SQLKit

/// Chinese full-text search over messages, the same way on both databases: every distinct pair of
/// adjacent characters of a message is a row. Chinese has no spaces to split words on, and neither
/// FTS5's trigrams nor pg_trgm (which drops CJK characters under the C locale) handle two-character
/// words; character pairs do, and a search confirms the whole term on the message text.
struct M008MessageSearch: Migration {
    let id = 8
    let name = "008_message_search"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d,
            "CREATE TABLE message_grams (gram TEXT{C} NOT NULL, message_id TEXT{C} NOT NULL, conversation_id TEXT{C} NOT NULL)",
            "CREATE INDEX message_grams_lookup ON message_grams (gram, message_id)",
            "CREATE INDEX message_grams_message ON message_grams (message_id)")
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE message_grams")
    }
}
