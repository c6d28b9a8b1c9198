import SQLKit

/// DINGs, their per-recipient delivery / read / confirmation times, and stored jobs (scheduled sends
/// and escalations) that survive a restart.
struct M007Dings: Migration {
    let id = 7
    let name = "007_dings"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE dings (
                id TEXT{C} PRIMARY KEY,
                sender_id TEXT{C} NOT NULL REFERENCES people(id),
                text TEXT NOT NULL,
                channels TEXT NOT NULL,
                sms_after_minutes {INT},
                voice_after_minutes {INT},
                send_at {INT} NOT NULL,
                sent {INT} NOT NULL DEFAULT 0,
                recipient_count {INT} NOT NULL,
                last_remind_at {INT},
                created_at {INT} NOT NULL)
            """,
            "CREATE INDEX dings_sender ON dings (sender_id, created_at)",
            """
            CREATE TABLE ding_recipients (
                ding_id TEXT{C} NOT NULL REFERENCES dings(id),
                person_id TEXT{C} NOT NULL REFERENCES people(id),
                delivered_at {INT},
                read_at {INT},
                confirmed_at {INT},
                sms_at {INT},
                voice_at {INT},
                PRIMARY KEY (ding_id, person_id))
            """,
            "CREATE INDEX ding_recipients_person ON ding_recipients (person_id, ding_id)",
            """
            CREATE TABLE jobs (
                id TEXT{C} PRIMARY KEY,
                kind TEXT NOT NULL,
                run_at {INT} NOT NULL,
                payload TEXT NOT NULL,
                done_at {INT},
                attempts {INT} NOT NULL DEFAULT 0,
                created_at {INT} NOT NULL)
            """,
            "CREATE INDEX jobs_due ON jobs (done_at, run_at)")
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE jobs", "DROP TABLE ding_recipients", "DROP TABLE dings")
    }
}
