import Directory
import Events
import Foundation
import SQLKit
import Storage
import ZhengtongCore

/// Department groups (部门群): one conversation per org (with or without its subtree) whose members are
/// the people holding positions there. Membership follows the directory: it is brought up to date
/// whenever the group is used, and whenever someone lists their conversations, so a newcomer to the
/// department finds the group and the next message reaches them.
extension MessagingService {
    public func openOrgGroup(orgId: String, includeSubtree: Bool, viewer: Viewer) async throws -> (Conversation, created: Bool) {
        let org: Org
        do { org = try await directory.org(orgId, viewer: viewer) } catch let e as DomainError where e.kind == .notFound {
            throw DomainError.invalid("org_id", "org \(orgId) does not exist")
        }
        let inside = viewer.positions.contains { includeSubtree ? $0.orgPath.hasPrefix(org.path) : $0.orgPath == org.path }
        guard inside || viewer.scope.covers(org) else {
            throw DomainError(.forbidden, "not_in_org", "only the org's people or its administrators open its group")
        }
        let key = "org|\(org.id)|\(includeSubtree ? 1 : 0)"
        let (id, created) = try await openOnce(key: key) {
            try await write { db, _ -> String in
                let id = ID.make(at: clock.now())
                let now = clock.now().millis
                try await db.raw("""
                    INSERT INTO conversations (id, kind, name, direct_key, org_id, org_path, include_subtree, created_at, updated_at)
                    VALUES (\(bind: id), 'org', \(bind: org.name), \(bind: key), \(bind: org.id), \(bind: org.path), \(bind: includeSubtree ? 1 : 0),
                            \(bind: now), \(bind: now))
                    """).run()
                return id
            }
        }
        try await syncOrgMembers(id)
        if !inside, try await database.read({ db in
            try await db.raw("SELECT 1 AS x FROM conversation_members WHERE conversation_id = \(bind: id) AND person_id = \(bind: viewer.personId)").first() == nil
        }) {
            // An administrator from outside the org joins as its admin, whoever opened it first.
            try await write { db, _ in try await MessagingQueries.addMember(db, id, viewer.personId, role: "admin", at: clock.now().millis) }
        }
        return (try await conversation(id, viewer: viewer), created)
    }

    /// Makes a department group's members match the directory: people who joined the org are added,
    /// people who left are removed (administrators who opened it stay), and everyone affected is told.
    func syncOrgMembers(_ id: String) async throws {
        // Reading first keeps ordinary conversations, and department groups already in step, off the writer.
        let pending = try await database.read { db in try await orgMembershipChanges(id, db) != nil }
        guard pending else { return }
        try await write { db, events in
            guard let (added, removed, present) = try await orgMembershipChanges(id, db) else { return }  // someone else synced it
            let now = clock.now().millis
            for p in added { try await MessagingQueries.addMember(db, id, p, role: "member", at: now) }
            for p in removed {
                try await db.raw("DELETE FROM conversation_members WHERE conversation_id = \(bind: id) AND person_id = \(bind: p)").run()
            }
            events.append(try StagedEvent(type: "conversation.members",
                                          payload: ["conversation_id": id, "added": added.joined(separator: ","), "removed": removed.joined(separator: ",")],
                                          recipients: Array(Set(present).union(added))))
        }
    }

    /// Who must join and who must leave a department group, or nil when it is in step (or not one).
    func orgMembershipChanges(_ id: String, _ db: any SQLDatabase) async throws -> (added: [String], removed: [String], present: [String])? {
        guard let row = try await db.raw("SELECT org_id, org_path, include_subtree FROM conversations WHERE id = \(bind: id) AND kind = 'org'").first(),
              let orgId = try row.decode(column: "org_id", as: String?.self) else { return nil }
        // Follow the org's current path: it may have moved since the group was opened.
        guard let current = try await db.raw("SELECT path FROM orgs WHERE id = \(bind: orgId)").first()?.decode(column: "path", as: String.self) else { return nil }
        let subtree = try row.decode(column: "include_subtree", as: Int.self) != 0
        let inOrg: SQLQueryString = subtree ? "x.org_path >= \(bind: current) AND x.org_path < \(bind: current + "\u{7F}")" : "x.org_id = \(bind: orgId)"
        let wanted = Set(try await db.raw("SELECT DISTINCT x.person_id FROM positions x JOIN people p ON p.id = x.person_id WHERE p.status = 'active' AND "
            + inOrg).all().map { try $0.decode(column: "person_id", as: String.self) })
        let present = try await db.raw("SELECT person_id, role FROM conversation_members WHERE conversation_id = \(bind: id)").all()
            .map { (try $0.decode(column: "person_id", as: String.self), try $0.decode(column: "role", as: String.self)) }
        let added = wanted.subtracting(present.map(\.0)).sorted()
        let removed = present.filter { !wanted.contains($0.0) && $0.1 == "member" }.map(\.0).sorted()
        return added.isEmpty && removed.isEmpty ? nil : (added, removed, present.map(\.0))
    }

    /// Department groups the viewer should be in now (by their positions), brought up to date.
    func syncOrgGroups(for viewer: Viewer) async throws {
        let paths = viewer.positions.map(\.orgPath)
        guard !paths.isEmpty else { return }
        let ids = try await database.read { db in
            var out: [String] = []
            for path in paths {
                // Every ancestor-or-self org of the position may have a group that includes it.
                let ancestors = Set(path.split(separator: "/").indices.map { i in "/" + path.split(separator: "/")[...i].joined(separator: "/") + "/" })
                let rows = try await db.raw("""
                    SELECT c.id FROM conversations c WHERE c.kind = 'org' AND c.org_path IN (\(binds: Array(ancestors)))
                    AND (c.include_subtree = 1 OR c.org_path = \(bind: path))
                    AND NOT EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = c.id AND m.person_id = \(bind: viewer.personId))
                    """).all()
                out += try rows.map { try $0.decode(column: "id", as: String.self) }
            }
            return Array(Set(out))
        }
        for id in ids { try await syncOrgMembers(id) }
    }
}
