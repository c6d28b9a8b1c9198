import SQLKit

/// The event log behind the real-time stream: one row per event, one per recipient, and the head row
/// that serialises appenders so sequence order is commit order.
struct M004Events: Migration {
    let id = 4
    let name = "004_events"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE events (
                seq {INT} PRIMARY KEY,
                type TEXT NOT NULL,
                data TEXT NOT NULL,
                ref TEXT{C},
                created_at {INT} NOT NULL)
            """,
            "CREATE INDEX events_ref ON events (ref)",
            """
            CREATE TABLE event_recipients (
                person_id TEXT{C} NOT NULL,
                seq {INT} NOT NULL,
                PRIMARY KEY (person_id, seq))
            """,
            "CREATE INDEX event_recipients_seq ON event_recipients (seq)",
            "CREATE TABLE events_head (id {INT} PRIMARY KEY, seq {INT} NOT NULL)",
            "INSERT INTO events_head (id, seq) VALUES (1, 0)")
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE events_head", "DROP TABLE event_recipients", "DROP TABLE events")
    }
}
