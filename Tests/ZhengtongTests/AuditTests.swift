import Audit
import Foundation
import Logging
import SQLKit
import Storage
import Testing

@Suite struct AuditTests {
    @Test(arguments: Backend.available)
    func chainDetectsChangedAndRemovedRows(_ backend: Backend) async throws {
        let url = try await backend.freshDatabaseURL()
        try await TestServer.with(backend, url: url) { api in
            let f = try await Fixture.build(api)
            // Every administrative act is in the log with its actor and address.
            let audit = try expect(await f.root.get("/api/v1/admin/audit?limit=200"), 200)
            let creates = audit.items.filter { $0["action"] as? String == "person.create" }
            #expect(creates.count == 9)
            #expect(creates.allSatisfy { $0["actor_name"] as? String == "系统管理员" && $0["client_address"] is String })
            #expect(audit.items.contains { $0["action"] as? String == "grant.create" })
            #expect(audit.items.contains { $0["action"] as? String == "admin.bootstrap" })
        }
        let location = try DatabaseLocation(url: url)
        try await Databases.with(location, logger: Logger(label: "test")) { db in
            guard case .intact(let rows) = try await AuditLog.verify(db) else { Issue.record("chain should be intact"); return }
            #expect(rows > 20)
            // Changing a row is caught at that row.
            try await db.transaction { c in try await c.raw("UPDATE audit_log SET action = 'org.read' WHERE seq = 7").run() }
            #expect(try await AuditLog.verify(db) == .broken(seq: 7, reason: "row 7 was changed after it was written"))
            try await db.transaction { c in try await c.raw("UPDATE audit_log SET action = (SELECT action FROM audit_log WHERE seq = 8) WHERE seq = 7").run() }
            // Removing a row in the middle leaves a gap.
            try await db.transaction { c in try await c.raw("DELETE FROM audit_log WHERE seq = 5").run() }
            if case .broken(let seq, _) = try await AuditLog.verify(db) { #expect(seq == 5) } else { Issue.record("gap not found") }
        }
        // Removing the newest row disagrees with the head.
        let url2 = try await backend.freshDatabaseURL()
        try await TestServer.with(backend, url: url2) { api in _ = try await api.login("admin", TestServer.adminPassword) }
        try await Databases.with(try DatabaseLocation(url: url2), logger: Logger(label: "test")) { db in
            guard case .intact(let rows) = try await AuditLog.verify(db) else { Issue.record("chain should be intact"); return }
            try await db.transaction { c in try await c.raw("DELETE FROM audit_log WHERE seq = \(bind: rows)").run() }
            if case .broken(let seq, _) = try await AuditLog.verify(db) { #expect(seq == rows) } else { Issue.record("truncation not found") }
        }
    }
}
