import SQLKit

/// Conversations, members with their read position, and messages numbered per conversation. A read is
/// one update of the reader's `read_seq`; read counts are derived from those positions, so a read in a
/// 5,000-member group is one write, not 5,000.
struct M006Messaging: Migration {
    let id = 6
    let name = "006_messaging"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE conversations (
                id TEXT{C} PRIMARY KEY,
                kind TEXT NOT NULL,
                name TEXT,
                owner_id TEXT{C},
                direct_key TEXT{C} UNIQUE,
                org_id TEXT{C},
                org_path TEXT{C},
                include_subtree {INT} NOT NULL DEFAULT 0,
                last_seq {INT} NOT NULL DEFAULT 0,
                created_at {INT} NOT NULL,
                updated_at {INT} NOT NULL)
            """,
            """
            CREATE TABLE conversation_members (
                conversation_id TEXT{C} NOT NULL REFERENCES conversations(id),
                person_id TEXT{C} NOT NULL REFERENCES people(id),
                role TEXT NOT NULL DEFAULT 'member',
                read_seq {INT} NOT NULL DEFAULT 0,
                joined_seq {INT} NOT NULL DEFAULT 0,
                joined_at {INT} NOT NULL,
                PRIMARY KEY (conversation_id, person_id))
            """,
            "CREATE INDEX conversations_org ON conversations (org_path)",
            "CREATE INDEX conversation_members_person ON conversation_members (person_id, conversation_id)",
            "CREATE INDEX conversation_members_read ON conversation_members (conversation_id, read_seq)",
            """
            CREATE TABLE messages (
                id TEXT{C} PRIMARY KEY,
                conversation_id TEXT{C} NOT NULL REFERENCES conversations(id),
                seq {INT} NOT NULL,
                sender_id TEXT{C} NOT NULL REFERENCES people(id),
                text TEXT NOT NULL,
                client_msg_id TEXT{C} NOT NULL,
                reply_to TEXT{C},
                mentions TEXT NOT NULL DEFAULT '',
                recalled {INT} NOT NULL DEFAULT 0,
                created_at {INT} NOT NULL,
                UNIQUE (conversation_id, seq),
                UNIQUE (sender_id, client_msg_id))
            """)
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE messages", "DROP TABLE conversation_members", "DROP TABLE conversations")
    }
}
