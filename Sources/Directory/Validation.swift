import Foundation
import ZhengtongCore

/// Field rules shared by every write path (HTTP, CSV import, SCIM later).
public enum Validate {
    public static func name(_ s: String, field: String = "name", max: Int = 100) throws -> String {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !t.isEmpty else { throw DomainError.invalid(field, "\(field) must not be empty") }
        guard t.count <= max else { throw DomainError.invalid(field, "\(field) is longer than \(max) characters") }
        guard !t.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw DomainError.invalid(field, "\(field) contains control characters")
        }
        return t
    }

    public static func optionalText(_ s: String?, field: String, max: Int = 100) throws -> String? {
        guard let s else { return nil }
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.isEmpty { return nil }
        return try name(t, field: field, max: max)
    }

    public static func username(_ s: String) throws -> String {
        let u = s.trimmingCharacters(in: .whitespaces).lowercased()
        guard (2...64).contains(u.count), u.unicodeScalars.allSatisfy({
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
        }), u.unicodeScalars.first.map({ ("a"..."z").contains($0) || ("0"..."9").contains($0) }) == true,
              !u.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else {
            // Not all digits keeps usernames apart from mobile numbers, which also sign in. Identity systems
            // often use UUIDs, which may start with a digit.
            throw DomainError.invalid("username", "username must be 2 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit, and not only digits")
        }
        return u
    }

    /// Mainland mobile numbers: 11 digits starting with 1.
    public static func mobile(_ s: String?) throws -> String? {
        guard let s else { return nil }
        let m = s.trimmingCharacters(in: .whitespaces)
        if m.isEmpty { return nil }
        guard m.count == 11, m.hasPrefix("1"), m.allSatisfy(\.isASCII), m.allSatisfy(\.isNumber) else {
            throw DomainError.invalid("mobile", "mobile must be 11 digits starting with 1")
        }
        return m
    }

    public static func email(_ s: String?) throws -> String? {
        guard let s else { return nil }
        let e = s.trimmingCharacters(in: .whitespaces)
        if e.isEmpty { return nil }
        let parts = e.split(separator: "@", omittingEmptySubsequences: false)
        guard e.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !e.contains(" ") else {
            throw DomainError.invalid("email", "email is not a valid address")
        }
        return e
    }

    public static func password(_ s: String) throws -> String {
        guard s.count >= 8 else { throw DomainError.invalid("password", "password must be at least 8 characters") }
        guard s.utf8.count <= 1024 else { throw DomainError.invalid("password", "password is too long") }
        return s
    }

    public static func list(_ l: [String]?, field: String, maxItems: Int = 20, maxLength: Int = 30) throws -> [String] {
        guard let l else { return [] }
        guard l.count <= maxItems else { throw DomainError.invalid(field, "at most \(maxItems) \(field)") }
        var out: [String] = []
        for item in l {
            let v = try name(item, field: field, max: maxLength)
            guard !v.contains("|") else { throw DomainError.invalid(field, "\(field) must not contain '|'") }
            if !out.contains(v) { out.append(v) }
        }
        return out
    }

    public static func order(_ n: Int?) throws -> Int {
        guard let n else { return 0 }
        guard (-1_000_000...1_000_000).contains(n) else { throw DomainError.invalid("order", "order is out of range") }
        return n
    }

    public static func id(_ s: String, what: String) throws -> String {
        guard ID.isValid(s) else { throw DomainError.notFound(what) }
        return s
    }
}
