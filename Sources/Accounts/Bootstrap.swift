import Audit
import Directory
import Foundation
import Synchronization
import SQLKit
import Storage
import ZhengtongCore

public enum Bootstrap {
    public struct Result: Sendable {
        public var created: Bool
        /// Set only when the password was generated here, to be shown once.
        public var generatedPassword: String?
    }

    /// On a database without a root administrator, creates `admin` with a grant over everything.
    public static func ensureRootAdmin(database: any Database, hasher: PasswordHasher, clock: any WallClock,
                                       password: String?) async throws -> Result {
        try await database.transaction { db in
            let existing = try await db.raw("SELECT id FROM grants WHERE org_id IS NULL AND region_code IS NULL LIMIT 1").first()
            if existing != nil { return Result(created: false, generatedPassword: nil) }
            let generated = password == nil ? generatePassword() : nil
            let pw = password ?? generated!
            guard pw.count >= 8 else { throw DomainError.invalid("password", "ZHENGTONG_ADMIN_PASSWORD must be at least 8 characters") }
            let now = clock.now()
            var adminId: String
            if let row = try await db.raw("SELECT id FROM people WHERE username = 'admin'").first() {
                // An existing 'admin' becomes root with the password shown or configured now, never an old one.
                adminId = try row.decode(column: "id", as: String.self)
                try await db.raw("UPDATE people SET password_hash = \(bind: try hasher.hash(pw)), status = 'active' WHERE id = \(bind: adminId)").run()
            } else {
                adminId = ID.make(at: now)
                try await db.raw("""
                    INSERT INTO people (id, name, pinyin, pinyin_compact, initials, username, status, senior_mode, hide_mobile,
                                        password_hash, created_at, updated_at)
                    VALUES (\(bind: adminId), '系统管理员', 'xi tong guan li yuan', 'xitongguanliyuan', 'xtgly', 'admin', 'active', 0, 0,
                            \(bind: try hasher.hash(pw)), \(bind: now.millis), \(bind: now.millis))
                    """).run()
                for gram in NameGrams.grams("系统管理员") {
                    try await db.raw("INSERT INTO person_grams (gram, pinyin_compact, person_id) VALUES (\(bind: gram), 'xitongguanliyuan', \(bind: adminId))").run()
                }
            }
            try await db.raw("""
                INSERT INTO grants (id, person_id, role, org_id, region_code, created_at, created_by)
                VALUES (\(bind: ID.make(at: now)), \(bind: adminId), 'directory_admin', NULL, NULL, \(bind: now.millis), NULL)
                """).run()
            try await AuditLog.append(db, actor: .system("bootstrap"), action: "admin.bootstrap", targetType: "person",
                                      targetId: adminId, at: now)
            return Result(created: true, generatedPassword: generated)
        }
    }

    /// Sets a new password (command line `admin reset-password`): unlocks the account and ends its sessions.
    public static func resetPassword(database: any Database, hasher: PasswordHasher, clock: any WallClock,
                                     username: String, password: String?) async throws -> String {
        let pw = password ?? generatePassword()
        _ = try Validate.password(pw)
        let hash = try hasher.hash(pw)
        try await database.transaction { db in
            guard let row = try await db.raw("SELECT id FROM people WHERE username = \(bind: username.lowercased())").first() else {
                throw DomainError.notFound("person \(username)")
            }
            let id = try row.decode(column: "id", as: String.self)
            let now = clock.now()
            try await db.raw("UPDATE people SET password_hash = \(bind: hash), failed_logins = 0, locked_until = NULL WHERE id = \(bind: id)").run()
            try await db.raw("UPDATE sessions SET revoked_at = \(bind: now.millis) WHERE person_id = \(bind: id) AND revoked_at IS NULL").run()
            try await AuditLog.append(db, actor: .system("command line"), action: "auth.password_reset", targetType: "person", targetId: id, at: now)
        }
        database.generation.advance()
        return pw
    }

    static func generatePassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }
}
