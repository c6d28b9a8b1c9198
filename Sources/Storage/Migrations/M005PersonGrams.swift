import SQLKit

/// Name n-grams for substring search on Chinese names. Names are two to four characters, so neither
/// a prefix index nor a word tokenizer helps; every distinct character and character pair of a name is
/// a row, keyed so that one gram's matches come out already in display (pinyin) order and a search
/// can stop after one page.
struct M005PersonGrams: Migration {
    let id = 5
    let name = "005_person_grams"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE person_grams (
                gram TEXT{C} NOT NULL,
                pinyin_compact TEXT{C} NOT NULL,
                person_id TEXT{C} NOT NULL,
                PRIMARY KEY (gram, pinyin_compact, person_id))\(d == .sqlite ? " WITHOUT ROWID" : "")
            """,
            "CREATE INDEX person_grams_person ON person_grams (person_id)")
        try await DirectoryIndexes.create(db, d)
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE person_grams")
    }
}
