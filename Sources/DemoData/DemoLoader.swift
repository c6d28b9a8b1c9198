import Accounts
import Audit
import Directory
import Foundation
import Logging
import SQLKit
import Storage
import ZhengtongCore

/// Writes generated demo data in multi-row batches inside large transactions, with the directory's
/// secondary indexes dropped during the load and built once at the end.
public enum DemoLoader {
    /// Every demo person signs in with this password (documented in the README; demo data only).
    public static let password = "zhengtong"

    public struct Summary: Sendable {
        public var regions = 0, orgs = 0, people = 0, positions = 0, grants = 0
        public var seconds = 0.0
    }

    /// Loads the demo directory unless the database already has regions.
    @discardableResult
    public static func loadIfEmpty(database: any Database, size: DemoSize, hasher: PasswordHasher, clock: any WallClock,
                                   logger: Logger, progress: Bool = false) async throws -> Summary? {
        let hasRegions = try await database.read { db in try await db.raw("SELECT code FROM regions LIMIT 1").first() != nil }
        if hasRegions {
            logger.info("demo data not loaded: the directory already has regions")
            return nil
        }
        return try await load(database: database, size: size, hasher: hasher, clock: clock, logger: logger, progress: progress)
    }

    public static func load(database: any Database, size: DemoSize, hasher: PasswordHasher, clock: any WallClock,
                            logger: Logger, progress: Bool) async throws -> Summary {
        let start = Date()
        let generator = DemoGenerator(size: size)
        // One shared hash: hashing a million demo passwords one by one would take hours by design.
        let passwordHash = try hasher.hash(password)
        let now = clock.now().millis
        var summary = Summary()
        let meter = ProgressMeter(total: generator.estimatedTotals.people, enabled: progress, label: "people")
        try await database.transaction { db in try await DirectoryIndexes.drop(db, database.dialect) }
        var pending: [DemoBatch] = []
        var pendingRows = 0
        func flush() async throws {
            let batches = pending
            pending = []
            pendingRows = 0
            try await database.transaction { db in
                for b in batches { try await write(b, db, passwordHash: passwordHash, now: now) }
            }
        }
        try await generator.generate(batchSize: 500) { batch in
            switch batch {
            case .regions(let r): summary.regions += r.count; pendingRows += r.count
            case .orgs(let o): summary.orgs += o.count; pendingRows += o.count
            case .people(let p): summary.people += p.count; pendingRows += p.count; meter.update(summary.people)
            case .positions(let p): summary.positions += p.count; pendingRows += p.count
            case .grants(let g): summary.grants += g.count; pendingRows += g.count
            }
            pending.append(batch)
            if pendingRows >= 50_000 { try await flush() }
        }
        try await flush()
        meter.finish()
        if progress { FileHandle.standardError.write(Data("building indexes…\n".utf8)) }
        try await database.transaction { db in
            try await DirectoryIndexes.create(db, database.dialect)
            try await db.raw("""
                INSERT INTO titles (title) SELECT DISTINCT title FROM positions
                WHERE title IS NOT NULL AND title NOT IN (SELECT title FROM titles)
                """).run()
            try await AuditLog.append(db, actor: .system("demo loader"), action: "demo.load", targetType: "directory", targetId: nil,
                                      detail: ["size": size.rawValue, "people": String(summary.people), "orgs": String(summary.orgs)],
                                      at: clock.now())
        }
        if database.dialect == .postgres {
            try await database.read { db in try await db.raw("ANALYZE").run() }
        } else {
            try await database.transaction { db in try await db.raw("ANALYZE").run() }
        }
        summary.seconds = Date().timeIntervalSince(start)
        logger.info("demo data loaded", metadata: ["size": "\(size.rawValue)", "regions": "\(summary.regions)", "orgs": "\(summary.orgs)",
                                                   "people": "\(summary.people)", "seconds": "\(String(format: "%.1f", summary.seconds))"])
        return summary
    }

    static func write(_ batch: DemoBatch, _ db: any SQLDatabase, passwordHash: String, now: Int64) async throws {
        switch batch {
        case .regions(let rows):
            try await insert(db, "regions", ["code", "name", "level", "parent_code", "created_at"], rows.map {
                [$0.code, $0.name, $0.level.rawValue, $0.parentCode, now]
            })
        case .orgs(let rows):
            try await insert(db, "orgs", ["id", "kind", "name", "region_code", "parent_id", "path", "lines", "hidden", "visibility",
                                          "display_order", "hidden_scope", "restrict_scope", "created_at", "updated_at"], rows.map {
                [$0.id, $0.kind.rawValue, $0.name, $0.regionCode, $0.parentId, $0.path, DemoLoader.list($0.lines), $0.hidden ? 1 : 0,
                 $0.visibility.rawValue, $0.order, $0.hiddenScope, $0.restrictScope, now, now]
            })
        case .people(let rows):
            try await insert(db, "people", ["id", "name", "pinyin", "pinyin_compact", "initials", "username", "mobile", "email", "rank",
                                            "status", "senior_mode", "hide_mobile", "password_hash", "created_at", "updated_at"], rows.map {
                [$0.id, $0.name, $0.pinyin, $0.pinyinCompact, $0.initials, $0.username, $0.mobile, $0.email, $0.rank, $0.status.rawValue,
                 $0.seniorMode ? 1 : 0, $0.hideMobile ? 1 : 0, passwordHash, now, now]
            })
            var grams: [[(any Encodable & Sendable)?]] = []
            for p in rows {
                for g in NameGrams.grams(p.name) { grams.append([g, p.pinyinCompact, p.id]) }
            }
            try await insert(db, "person_grams", ["gram", "pinyin_compact", "person_id"], grams)
        case .positions(let rows):
            // Positions copy their org's derived fields; fetch them for this batch's orgs.
            let orgIds = Array(Set(rows.map(\.orgId)))
            var orgs: [String: (path: String, region: String, hidden: String?, restrict: String?)] = [:]
            var unitLines: [String: String] = [:]
            for chunk in stride(from: 0, to: orgIds.count, by: 500).map({ Array(orgIds[$0..<min($0 + 500, orgIds.count)]) }) {
                for r in try await db.raw("SELECT id, path, region_code, hidden_scope, restrict_scope FROM orgs WHERE id IN (\(binds: chunk))").all() {
                    orgs[try r.decode(column: "id", as: String.self)] = (try r.decode(column: "path", as: String.self),
                        try r.decode(column: "region_code", as: String.self), try r.decode(column: "hidden_scope", as: String?.self),
                        try r.decode(column: "restrict_scope", as: String?.self))
                }
            }
            let unitIds = Array(Set(orgs.values.compactMap { $0.path.split(separator: "/").first.map(String.init) }))
            for chunk in stride(from: 0, to: unitIds.count, by: 500).map({ Array(unitIds[$0..<min($0 + 500, unitIds.count)]) }) {
                for r in try await db.raw("SELECT id, lines FROM orgs WHERE id IN (\(binds: chunk))").all() {
                    unitLines[try r.decode(column: "id", as: String.self)] = try r.decode(column: "lines", as: String.self)
                }
            }
            try await insert(db, "positions", ["id", "person_id", "org_id", "org_path", "region_code", "hidden_scope", "restrict_scope",
                                               "lines", "title", "leader", "roles", "is_main", "display_order"], rows.map { p in
                let o = orgs[p.orgId]
                let unit = o?.path.split(separator: "/").first.map(String.init) ?? p.orgId
                return [p.id, p.personId, p.orgId, o?.path ?? "", o?.region ?? "", o?.hidden, o?.restrict, unitLines[unit] ?? "",
                        p.title, p.leader ? 1 : 0, DemoLoader.list(p.roles), p.main ? 1 : 0, p.order]
            })
        case .grants(let rows):
            try await insert(db, "grants", ["id", "person_id", "role", "org_id", "region_code", "created_at", "created_by"], rows.map {
                [$0.id, $0.personId, $0.role.rawValue, $0.orgId, $0.regionCode, now, nil]
            })
        }
    }

    static func list(_ l: [String]) -> String { l.isEmpty ? "" : "|" + l.joined(separator: "|") + "|" }

    /// One multi-row INSERT per 500 rows (well under both engines' limits on bound parameters).
    static func insert(_ db: any SQLDatabase, _ table: String, _ columns: [String], _ rows: [[(any Encodable & Sendable)?]]) async throws {
        for start in stride(from: 0, to: rows.count, by: 500) {
            let chunk = rows[start..<min(start + 500, rows.count)]
            var sql: SQLQueryString = "INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: columns.joined(separator: ", "))) VALUES "
            var first = true
            for row in chunk {
                if !first { sql += ", " }
                first = false
                sql += "(\(binds: row.map { $0 ?? Optional<String>.none }))"
            }
            try await db.raw(sql).run()
        }
    }
}
