import Directory
import Events
import Foundation
import SQLKit
import Storage
import ZhengtongCore

/// Conversations and messages. Every action checks membership, runs in one transaction, stages its
/// events with their explicit recipients, and publishes them only after the commit.
public struct MessagingService: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public let directory: DirectoryService
    public let bus: EventBus
    public let attachmentStore: any AttachmentStore

    public static let maxText = 5000
    public static let maxGroup = 5000

    public init(database: any Database, clock: any WallClock, directory: DirectoryService, bus: EventBus, attachmentStore: any AttachmentStore) {
        self.attachmentStore = attachmentStore
        self.database = database
        self.clock = clock
        self.directory = directory
        self.bus = bus
    }

    /// Runs `body` in a transaction and publishes the events it staged after the commit.
    func write<T: Sendable>(_ body: (any SQLDatabase, inout [StagedEvent]) async throws -> T) async throws -> T {
        try await bus.transaction(at: clock.now(), body)
    }

    // MARK: Conversations

    /// Opens the direct conversation with `other`, or returns the one that exists (`created` false).
    public func openDirect(with other: String, viewer: Viewer) async throws -> (Conversation, created: Bool) {
        guard other != viewer.personId else { throw DomainError.invalid("members", "a direct conversation needs someone else") }
        // You cannot open a chat with someone you cannot see: to you they do not exist.
        _ = try await visiblePerson(other, viewer: viewer, field: "members")
        let key = [viewer.personId, other].sorted().joined(separator: "|")
        let (id, created) = try await openOnce(key: key) {
            try await write { db, events -> String in
                let id = ID.make(at: clock.now())
                let now = clock.now().millis
                try await db.raw("""
                    INSERT INTO conversations (id, kind, direct_key, created_at, updated_at)
                    VALUES (\(bind: id), 'direct', \(bind: key), \(bind: now), \(bind: now))
                    """).run()
                for p in [viewer.personId, other] { try await MessagingQueries.addMember(db, id, p, role: "member", at: now) }
                events.append(try StagedEvent(type: "conversation.created", payload: ["conversation_id": id], recipients: [viewer.personId, other]))
                return id
            }
        }
        return (try await conversation(id, viewer: viewer), created)
    }

    /// The conversation stored under `key` (a direct pair, a department group), created by `create` if there
    /// is none. Two people opening it at the same moment race on the unique key; the loser takes the winner's.
    func openOnce(key: String, create: () async throws -> String) async throws -> (id: String, created: Bool) {
        if let existing = try await database.read({ db in try await MessagingQueries.directId(db, key: key) }) {
            return (existing, false)
        }
        do {
            return (try await create(), true)
        } catch where StorageErrors.isUniqueViolation(error) {
            guard let existing = try await database.read({ db in try await MessagingQueries.directId(db, key: key) }) else { throw error }
            return (existing, false)
        }
    }

    public func createGroup(name: String, members: [String], viewer: Viewer) async throws -> Conversation {
        let name = try Validate.name(name, max: 50)
        let others = Array(Set(members.filter { $0 != viewer.personId }))
        guard others.count + 1 <= Self.maxGroup else { throw DomainError.invalid("members", "a group has at most \(Self.maxGroup) members") }
        try await checkVisible(others, viewer: viewer)
        let id = try await write { db, events -> String in
            let id = ID.make(at: clock.now())
            let now = clock.now().millis
            try await db.raw("""
                INSERT INTO conversations (id, kind, name, owner_id, created_at, updated_at)
                VALUES (\(bind: id), 'group', \(bind: name), \(bind: viewer.personId), \(bind: now), \(bind: now))
                """).run()
            try await MessagingQueries.addMember(db, id, viewer.personId, role: "owner", at: now)
            try await MessagingQueries.addMembers(db, id, others, role: "member", at: now)
            events.append(try StagedEvent(type: "conversation.created", payload: ["conversation_id": id], recipients: [viewer.personId] + others))
            return id
        }
        return try await conversation(id, viewer: viewer)
    }

    /// A conversation the viewer belongs to; anyone else is told it does not exist.
    public func conversation(_ id: String, viewer: Viewer) async throws -> Conversation {
        guard let c = try await database.read({ db in try await MessagingQueries.conversation(db, id) }),
              c.members.contains(where: { $0.personId == viewer.personId }) else {
            throw DomainError.notFound("conversation")
        }
        return c
    }

    public func conversations(viewer: Viewer, page: PageRequest) async throws -> Page<ConversationSummary> {
        try await syncOrgGroups(for: viewer)
        // Paged by key, (updated_at, id) of the last one seen: a conversation rises to the top with each
        // message, and by position the rest would shift under a client paging through them.
        var after: SQLQueryString = "1 = 1"
        if let key = page.after {
            let parts = key.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let updated = Int64(parts[0]), ID.isValid(String(parts[1])) else { throw PageRequest.invalidCursor }
            let id = String(parts[1])
            after = "(c.updated_at < \(bind: updated) OR (c.updated_at = \(bind: updated) AND c.id < \(bind: id)))"
        }
        return try await database.read { db in
            let rows = try await db.raw("""
                SELECT c.id, c.updated_at FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.person_id = \(bind: viewer.personId) AND \(after) ORDER BY c.updated_at DESC, c.id DESC
                LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                """).all().map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "updated_at", as: Int64.self)) }
            let p = page.page(rows) { "\($0.1):\($0.0)" }
            // A page in a fixed number of queries, not a few for each conversation on it.
            let ids = p.items.map(\.0)
            guard !ids.isEmpty else { return Page(items: [], nextCursor: p.nextCursor) }
            let found = try await MessagingQueries.conversations(db, ids)
            var unread: [String: Int] = [:]
            for r in try await db.raw("""
                SELECT m.conversation_id, COUNT(*) AS n FROM messages m
                JOIN conversation_members r ON r.conversation_id = m.conversation_id AND r.person_id = \(bind: viewer.personId)
                WHERE m.conversation_id IN (\(binds: ids)) AND m.seq > r.read_seq AND m.sender_id <> \(bind: viewer.personId) AND m.recalled = 0
                GROUP BY m.conversation_id
                """).all() {
                unread[try r.decode(column: "conversation_id", as: String.self)] = try r.decode(column: "n", as: Int.self)
            }
            let conversations = ids.compactMap { found[$0] }
            let last = try await MessagingQueries.lastMessages(db, conversations)
            let out = conversations.map { c in
                ConversationSummary(conversation: c, unreadCount: unread[c.id] ?? 0, lastMessage: last[c.id])
            }
            return Page(items: out, nextCursor: p.nextCursor)
        }
    }

    public func addMembers(_ id: String, members: [String], viewer: Viewer, from address: String? = nil) async throws -> Conversation {
        let c = try await conversation(id, viewer: viewer)
        guard c.kind == .group else { throw DomainError.invalid("kind", "members can only be added to a group; a department group follows the directory") }
        guard let me = c.members.first(where: { $0.personId == viewer.personId }), me.role != "member" else {
            throw DomainError(.forbidden, "not_group_admin", "only the group's owner or admins add members")
        }
        let new = Array(Set(members)).filter { p in !c.members.contains { $0.personId == p } }
        guard c.members.count + new.count <= Self.maxGroup else {
            throw DomainError.invalid("members", "a group has at most \(Self.maxGroup) members")
        }
        try await checkVisible(new, viewer: viewer)
        try await write { db, events in
            let now = clock.now().millis
            try await MessagingQueries.addMembers(db, id, new, role: "member", at: now)
            try await db.raw("UPDATE conversations SET updated_at = \(bind: now) WHERE id = \(bind: id)").run()
            // Last, like every audit row here: it locks the audit log's head, and taking that before the
            // conversation's row would deadlock against a rename on PostgreSQL.
            try await audit(db, viewer.acting.from(address), "conversation.add_members", id, ["added": new.joined(separator: ",")])
            events.append(try StagedEvent(type: "conversation.members", payload: ["conversation_id": id, "added": new.joined(separator: ",")],
                                          recipients: c.members.map(\.personId) + new))
        }
        return try await conversation(id, viewer: viewer)
    }

    /// Removes a member (the owner and admins remove others; anyone may leave). The owner stays.
    public func removeMember(_ id: String, person: String, viewer: Viewer, from address: String? = nil) async throws {
        let c = try await conversation(id, viewer: viewer)
        guard c.kind == .group else { throw DomainError.invalid("kind", "only a group's members are removed by hand; a department group follows the directory") }
        guard c.members.contains(where: { $0.personId == person }) else { throw DomainError.notFound("member") }
        let myRole = c.members.first { $0.personId == viewer.personId }?.role ?? "member"
        guard person == viewer.personId || myRole != "member" else {
            throw DomainError(.forbidden, "not_group_admin", "only the group's owner or admins remove members")
        }
        guard person != c.ownerId else { throw DomainError(.conflict, "owner_cannot_leave", "transfer ownership before the owner leaves") }
        try await write { db, events in
            try await db.raw("DELETE FROM conversation_members WHERE conversation_id = \(bind: id) AND person_id = \(bind: person)").run()
            // Leaving is one's own business; removing someone else is administration.
            if person != viewer.personId { try await audit(db, viewer.acting.from(address), "conversation.remove_member", id, ["person_id": person]) }
            events.append(try StagedEvent(type: "conversation.members", payload: ["conversation_id": id, "removed": person],
                                          recipients: c.members.map(\.personId)))
        }
    }

    /// Every id must name an active person the viewer may see; the first that does not is named.
    func checkVisible(_ ids: [String], viewer: Viewer) async throws {
        let found = try await directory.visiblePeople(ids, viewer: viewer)
        for id in ids {
            guard let p = found[id] else { throw DomainError.invalid("members", "person \(id) does not exist") }
            guard p.person.status == .active else { throw DomainError.invalid("members", "person \(id) is not active") }
        }
    }

    func visiblePerson(_ id: String, viewer: Viewer, field: String) async throws -> PersonView {
        do {
            let p = try await directory.person(id, viewer: viewer)
            guard p.person.status == .active else { throw DomainError.invalid(field, "person \(id) is not active") }
            return p
        } catch let e as DomainError where e.kind == .notFound {
            throw DomainError.invalid(field, "person \(id) does not exist")
        }
    }
}
