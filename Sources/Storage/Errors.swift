import PostgresNIO
import SQLiteNIO

public enum StorageErrors {
    /// True when `error` is a unique-constraint violation on either database, so that stores can turn
    /// a race between two writers into a clean 409 instead of a 500.
    public static func isUniqueViolation(_ error: any Error) -> Bool {
        if let e = error as? SQLiteError {
            return e.reason == .constraintUniqueFailed || e.reason == .constraintPrimaryKeyFailed
                || (e.reason == .constraint && e.message.contains("UNIQUE"))
        }
        if let e = error as? PSQLError {
            return e.serverInfo?[.sqlState] == "23505"
        }
        return false
    }
}
