import Foundation
import Logging
import Storage
import Testing

/// The databases every contract and HTTP test runs against: SQLite always, PostgreSQL when
/// `ZHENGTONG_TEST_POSTGRES_URL` names a server (scripts/test starts a throwaway one).
enum Backend: String, CustomTestStringConvertible, Sendable, CaseIterable {
    case sqlite, postgres

    static var available: [Backend] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["ZHENGTONG_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var testDescription: String { rawValue }

    /// A fresh, empty database of this kind, private to one test.
    func freshDatabaseURL() async throws -> String {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zt-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return "sqlite://" + dir.appendingPathComponent("test.sqlite").path
        case .postgres:
            guard let base = Self.postgresURL else { throw TestSetupError.noPostgres }
            let name = "zt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
            let location = try DatabaseLocation(url: base)
            try await Databases.with(location, logger: Logger(label: "test")) { db in
                try await db.read { conn in try await conn.raw("CREATE DATABASE \(unsafeRaw: String(name))").run() }
            }
            var c = URLComponents(string: base)!
            c.path = "/" + name
            return c.string!
        }
    }
}

enum TestSetupError: Error { case noPostgres, loginFailed, fixture(String) }
