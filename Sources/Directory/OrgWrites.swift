import Foundation
import SQLKit
import ZhengtongCore

/// Org rows and the fields positions copy from their org.
enum OrgWrites {
    static func insert(_ db: any SQLDatabase, _ o: Org, now: Date) async throws {
        try await db.raw("""
            INSERT INTO orgs (id, kind, name, region_code, parent_id, path, lines, hidden, visibility, display_order,
                              hidden_scope, restrict_scope, created_at, updated_at)
            VALUES (\(bind: o.id), \(bind: o.kind.rawValue), \(bind: o.name), \(bind: o.regionCode), \(bind: o.parentId),
                    \(bind: o.path), \(bind: Rows.encodeList(o.lines)), \(bind: o.hidden ? 1 : 0), \(bind: o.visibility.rawValue),
                    \(bind: o.order), \(bind: o.hiddenScope), \(bind: o.restrictScope), \(bind: now.millis), \(bind: now.millis))
            """).run()
    }

    static func update(_ db: any SQLDatabase, _ o: Org, now: Date) async throws {
        try await db.raw("""
            UPDATE orgs SET name = \(bind: o.name), region_code = \(bind: o.regionCode), parent_id = \(bind: o.parentId),
                path = \(bind: o.path), lines = \(bind: Rows.encodeList(o.lines)), hidden = \(bind: o.hidden ? 1 : 0),
                visibility = \(bind: o.visibility.rawValue), display_order = \(bind: o.order), hidden_scope = \(bind: o.hiddenScope),
                restrict_scope = \(bind: o.restrictScope), updated_at = \(bind: now.millis)
            WHERE id = \(bind: o.id)
            """).run()
    }

    /// After an org moved or changed a derived field, recomputes every org below it (parents before
    /// children) and the copies its positions hold.
    static func rederiveSubtree(_ db: any SQLDatabase, oldPath: String, root: Org, now: Date) async throws {
        let rows = try await db.raw("""
            SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs
            WHERE path >= \(bind: oldPath) AND path < \(bind: oldPath + "\u{7F}") AND id <> \(bind: root.id)
            """).all().map { try Rows.org($0) }
        var byId: [String: Org] = [root.id: root]
        for var o in rows.sorted(by: { $0.path.count < $1.path.count }) {
            guard let pid = o.parentId, let parent = byId[pid] else { continue }
            o.derive(from: parent)
            byId[o.id] = o
            try await update(db, o, now: now)
        }
        // Lines belong to units; every position carries its unit's lines.
        let unitId = root.path.split(separator: "/").first.map(String.init) ?? root.id
        let unitLines = unitId == root.id ? root.lines : (try await DirectoryQueries.org(db, unitId)?.lines ?? [])
        for o in byId.values {
            try await db.raw("""
                UPDATE positions SET org_path = \(bind: o.path), region_code = \(bind: o.regionCode),
                    hidden_scope = \(bind: o.hiddenScope), restrict_scope = \(bind: o.restrictScope), lines = \(bind: Rows.encodeList(unitLines))
                WHERE org_id = \(bind: o.id)
                """).run()
        }
    }
}
