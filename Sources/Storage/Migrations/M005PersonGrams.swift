import SQLKit

/// Name n-grams and a title catalog for substring search. Names are two to four characters, so neither
/// a prefix index nor a word tokenizer helps: every distinct character and character pair of a name is
/// a row, indexed so that one gram's matches come out already in display (pinyin) order and a search can
/// stop after one page. Titles are few and shared, so a small catalog finds which titles match and the
/// positions index finds who holds them.
struct M005PersonGrams: Migration {
    let id = 5
    let name = "005_search"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d,
            "CREATE TABLE person_grams (gram TEXT{C} NOT NULL, pinyin_compact TEXT{C} NOT NULL, person_id TEXT{C} NOT NULL)",
            "CREATE TABLE titles (title TEXT PRIMARY KEY)")
        try await DirectoryIndexes.create(db, d)
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE titles", "DROP TABLE person_grams")
    }
}
