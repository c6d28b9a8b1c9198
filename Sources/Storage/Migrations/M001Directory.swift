import SQLKit

/// Regions, orgs, people and positions. Paths and scopes are denormalised onto positions so that every
/// privacy filter and subtree search is an index range scan without joins.
struct M001Directory: Migration {
    let id = 1
    let name = "001_directory"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE regions (
                code TEXT{C} PRIMARY KEY,
                name TEXT NOT NULL,
                level TEXT NOT NULL,
                parent_code TEXT{C} REFERENCES regions(code),
                created_at {INT} NOT NULL)
            """,
            "CREATE INDEX regions_parent ON regions (parent_code, code)",
            """
            CREATE TABLE orgs (
                id TEXT{C} PRIMARY KEY,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                region_code TEXT{C} NOT NULL REFERENCES regions(code),
                parent_id TEXT{C} REFERENCES orgs(id),
                path TEXT{C} NOT NULL UNIQUE,
                lines TEXT NOT NULL DEFAULT '',
                hidden {INT} NOT NULL DEFAULT 0,
                visibility TEXT NOT NULL DEFAULT 'all',
                display_order {INT} NOT NULL DEFAULT 0,
                hidden_scope TEXT{C},
                restrict_scope TEXT{C},
                created_at {INT} NOT NULL,
                updated_at {INT} NOT NULL)
            """,
            """
            CREATE TABLE people (
                id TEXT{C} PRIMARY KEY,
                name TEXT NOT NULL,
                pinyin TEXT NOT NULL,
                pinyin_compact TEXT{C} NOT NULL,
                initials TEXT{C} NOT NULL,
                username TEXT{C} NOT NULL UNIQUE,
                mobile TEXT{C} UNIQUE,
                email TEXT,
                rank TEXT,
                status TEXT NOT NULL DEFAULT 'active',
                senior_mode {INT} NOT NULL DEFAULT 0,
                hide_mobile {INT} NOT NULL DEFAULT 0,
                password_hash TEXT,
                failed_logins {INT} NOT NULL DEFAULT 0,
                locked_until {INT},
                created_at {INT} NOT NULL,
                updated_at {INT} NOT NULL)
            """,
            """
            CREATE TABLE positions (
                id TEXT{C} PRIMARY KEY,
                person_id TEXT{C} NOT NULL REFERENCES people(id),
                org_id TEXT{C} NOT NULL REFERENCES orgs(id),
                org_path TEXT{C} NOT NULL,
                region_code TEXT{C} NOT NULL,
                hidden_scope TEXT{C},
                restrict_scope TEXT{C},
                lines TEXT NOT NULL DEFAULT '',
                title TEXT,
                leader {INT} NOT NULL DEFAULT 0,
                roles TEXT NOT NULL DEFAULT '',
                is_main {INT} NOT NULL DEFAULT 0,
                display_order {INT} NOT NULL DEFAULT 0)
            """)
        try await DirectoryIndexes.create(db, d, search: false)
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE positions", "DROP TABLE people", "DROP TABLE orgs", "DROP TABLE regions")
    }
}

/// The directory's secondary indexes, kept apart so a bulk load can drop them first and build them
/// after (building once is far cheaper than maintaining them row by row).
public enum DirectoryIndexes {
    static let statements = [
        "CREATE INDEX IF NOT EXISTS orgs_parent ON orgs (parent_id, display_order)",
        "CREATE INDEX IF NOT EXISTS orgs_region ON orgs (region_code)",
        "CREATE INDEX IF NOT EXISTS people_pinyin ON people (pinyin_compact, id)",
        "CREATE INDEX IF NOT EXISTS people_initials ON people (initials, pinyin_compact, id)",
        "CREATE INDEX IF NOT EXISTS people_name ON people (name)",
        "CREATE INDEX IF NOT EXISTS positions_person ON positions (person_id)",
        "CREATE INDEX IF NOT EXISTS positions_org ON positions (org_id, display_order)",
        "CREATE INDEX IF NOT EXISTS positions_path ON positions (org_path)",
        "CREATE INDEX IF NOT EXISTS positions_region ON positions (region_code)",
    ]
    /// The search indexes of migration 005, over tables that do not exist before it.
    static let searchStatements = [
        "CREATE INDEX IF NOT EXISTS person_grams_lookup ON person_grams (gram, pinyin_compact, person_id)",
        "CREATE INDEX IF NOT EXISTS person_grams_person ON person_grams (person_id)",
        "CREATE INDEX IF NOT EXISTS positions_title ON positions (title, person_id)",
    ]
    static let names = ["orgs_parent", "orgs_region", "people_pinyin", "people_initials", "people_name", "positions_person",
                        "positions_org", "positions_path", "positions_region", "person_grams_lookup", "person_grams_person",
                        "positions_title"]

    public static func create(_ db: any SQLDatabase, _ d: Dialect, search: Bool = true) async throws {
        for s in statements + (search ? searchStatements : []) { try await db.raw(SQLQueryString(s)).run() }
    }

    public static func drop(_ db: any SQLDatabase, _ d: Dialect) async throws {
        for n in names { try await db.raw("DROP INDEX IF EXISTS \(unsafeRaw: n)").run() }
    }
}
