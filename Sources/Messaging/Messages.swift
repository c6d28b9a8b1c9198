import Directory
import Events
import Foundation
import SQLKit
import Storage
import ZhengtongCore

/// What a new-message event carries.
struct MessagePayload: Encodable {
    var id: String, conversationId: String, seq: Int64, senderId: String, text: String, clientMsgId: String
    var replyTo: String?, mentions: [String], createdAt: Date
}

extension MessagingService {
    /// Sends a message. Idempotent on the sender's `clientMsgId`: a retry returns the message already
    /// sent (`created` false) instead of sending it twice.
    public func send(_ conversationId: String, text: String, clientMsgId: String, mentions: [String]?, replyTo: String?,
                     attachments: [String]? = nil, viewer: Viewer) async throws -> (Message, created: Bool) {
        let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let attachmentIds = Array(NSOrderedSet(array: attachments ?? []).array as? [String] ?? [])
        guard !body.isEmpty || !attachmentIds.isEmpty else { throw DomainError.invalid("text", "text must not be empty") }
        guard text.count <= Self.maxText else { throw DomainError.invalid("text", "text is longer than \(Self.maxText) characters") }
        let clientId = clientMsgId.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(clientId.count) else { throw DomainError.invalid("client_msg_id", "client_msg_id must be 1 to 100 characters") }
        let c = try await member(conversationId, viewer: viewer)
        let mentions = Array(Set(mentions ?? []))
        for m in mentions where m != "all" && !c.members.contains(where: { $0.personId == m }) {
            throw DomainError.invalid("mentions", "\(m) is not a member of this conversation")
        }
        if mentions.contains("all") && c.kind != .direct && c.members.first(where: { $0.personId == viewer.personId })?.role == "member" {
            throw DomainError(.forbidden, "mention_all_forbidden", "only the group's owner or admins may mention everyone")
        }
        if let existing = try await existing(viewer.personId, clientId, conversation: c) { return (existing, false) }
        do {
            let message = try await write { db, events -> Message in
                if let replyTo {
                    let found = try await db.raw("SELECT id FROM messages WHERE id = \(bind: replyTo) AND conversation_id = \(bind: c.id)").first()
                    guard found != nil else { throw DomainError.invalid("reply_to", "message \(replyTo) is not in this conversation") }
                }
                let now = clock.now()
                guard let row = try await db.raw("""
                    UPDATE conversations SET last_seq = last_seq + 1, updated_at = \(bind: now.millis) WHERE id = \(bind: c.id) RETURNING last_seq
                    """).first() else { throw DomainError.notFound("conversation") }
                let seq = try row.decode(column: "last_seq", as: Int64.self)
                let id = ID.make(at: now)
                try await db.raw("""
                    INSERT INTO messages (id, conversation_id, seq, sender_id, text, client_msg_id, reply_to, mentions, created_at)
                    VALUES (\(bind: id), \(bind: c.id), \(bind: seq), \(bind: viewer.personId), \(bind: text), \(bind: clientId),
                            \(bind: replyTo), \(bind: mentions.isEmpty ? "" : "|" + mentions.joined(separator: "|") + "|"), \(bind: now.millis))
                    """).run()
                let files = try await Self.attach(db, ids: attachmentIds, messageId: id, conversationId: c.id, viewer: viewer)
                try await Self.indexText(db, messageId: id, conversationId: c.id, text: text)
                // The sender has read what they wrote.
                try await db.raw("""
                    UPDATE conversation_members SET read_seq = \(bind: seq) WHERE conversation_id = \(bind: c.id) AND person_id = \(bind: viewer.personId)
                    """).run()
                let payload = MessagePayload(id: id, conversationId: c.id, seq: seq, senderId: viewer.personId, text: text, clientMsgId: clientId,
                                             replyTo: replyTo, mentions: mentions, createdAt: now)
                var event = try StagedEvent(type: "message.new", payload: payload, recipients: c.members.map(\.personId))
                event.ref = id
                events.append(event)
                return Message(id: id, conversationId: c.id, seq: seq, senderId: viewer.personId, text: text, clientMsgId: clientId,
                               replyTo: replyTo, mentions: mentions, recalled: false, createdAt: now,
                               readCount: 0, unreadCount: c.members.count - 1, attachments: files)
            }
            return (message, true)
        } catch where StorageErrors.isUniqueViolation(error) {
            // The same client message raced itself: the first one won.
            guard let existing = try await existing(viewer.personId, clientId, conversation: c) else { throw error }
            return (existing, false)
        }
    }

    /// The message this sender already sent with this client id, for an idempotent retry. Client ids are
    /// unique per sender: one used before in another conversation is a client's mistake (409), not a
    /// retry, and must not reach the database's unique constraint as a 500.
    func existing(_ sender: String, _ clientId: String, conversation c: Conversation) async throws -> Message? {
        try await database.read { db in
            guard let row = try await db.raw("""
                SELECT seq, conversation_id FROM messages WHERE sender_id = \(bind: sender) AND client_msg_id = \(bind: clientId)
                """).first() else { return nil }
            guard try row.decode(column: "conversation_id", as: String.self) == c.id else {
                throw DomainError(.conflict, "client_msg_id_reused", "client_msg_id \(clientId) was already used for a message in another conversation")
            }
            let seq = try row.decode(column: "seq", as: Int64.self)
            return try await MessagingQueries.messages(db, conversation: c, beforeSeq: seq + 1, limit: 1).first
        }
    }

    /// Messages before `beforeSeq`, newest first, each with its read and unread counts.
    public func messages(_ conversationId: String, beforeSeq: Int64?, limit: Int, viewer: Viewer) async throws -> [Message] {
        guard (1...200).contains(limit) else { throw DomainError(.badRequest, "invalid_limit", "limit must be between 1 and 200") }
        let c = try await member(conversationId, viewer: viewer)
        return try await database.read { db in
            try await MessagingQueries.messages(db, conversation: c, beforeSeq: beforeSeq ?? Int64.max, limit: limit)
        }
    }

    /// Moves the viewer's read position forward to `seq` (never back) and tells the senders whose
    /// messages became read.
    public func markRead(_ conversationId: String, seq: Int64, viewer: Viewer) async throws {
        let c = try await member(conversationId, viewer: viewer)
        guard seq >= 0, seq <= c.lastSeq else { throw DomainError.invalid("seq", "seq must be between 0 and \(c.lastSeq)") }
        let before = c.members.first { $0.personId == viewer.personId }?.readSeq ?? 0
        guard seq > before else { return }
        try await write { db, events in
            try await db.raw("""
                UPDATE conversation_members SET read_seq = \(bind: seq)
                WHERE conversation_id = \(bind: c.id) AND person_id = \(bind: viewer.personId) AND read_seq < \(bind: seq)
                """).run()
            let senders = try await db.raw("""
                SELECT DISTINCT sender_id FROM messages WHERE conversation_id = \(bind: c.id) AND seq > \(bind: before) AND seq <= \(bind: seq)
                AND sender_id <> \(bind: viewer.personId)
                """).all().map { try $0.decode(column: "sender_id", as: String.self) }
            events.append(StagedEvent(type: "receipt", json: """
                {"conversation_id":"\(c.id)","reader_id":"\(viewer.personId)","read_seq":\(seq)}
                """, recipients: senders))
        }
    }

    /// Who has and has not read a message: its sender only.
    public func receipts(_ messageId: String, viewer: Viewer) async throws -> Receipts {
        try await database.read { db in
            guard let row = try await db.raw("SELECT conversation_id, seq, sender_id FROM messages WHERE id = \(bind: messageId)").first() else {
                throw DomainError.notFound("message")
            }
            let conversationId = try row.decode(column: "conversation_id", as: String.self)
            let seq = try row.decode(column: "seq", as: Int64.self)
            let sender = try row.decode(column: "sender_id", as: String.self)
            let members = try await db.raw("""
                SELECT person_id, read_seq, joined_seq FROM conversation_members WHERE conversation_id = \(bind: conversationId) ORDER BY person_id
                """).all().map { (try $0.decode(column: "person_id", as: String.self), try $0.decode(column: "read_seq", as: Int64.self),
                                  try $0.decode(column: "joined_seq", as: Int64.self)) }
            guard members.contains(where: { $0.0 == viewer.personId }) else { throw DomainError.notFound("message") }
            guard sender == viewer.personId else {
                throw DomainError(.forbidden, "not_sender", "only the sender sees who has read a message")
            }
            // Those who joined after the message was sent were never meant to read it.
            let others = members.filter { $0.0 != sender && $0.2 < seq }
            return Receipts(read: others.filter { $0.1 >= seq }.map(\.0), unread: others.filter { $0.1 < seq }.map(\.0))
        }
    }

    /// The conversation, if the viewer is a member: 404 if it does not exist, 403 if they are not in it.
    func member(_ id: String, viewer: Viewer) async throws -> Conversation {
        guard var c = try await database.read({ db in try await MessagingQueries.conversation(db, id) }) else {
            throw DomainError.notFound("conversation")
        }
        // Only a department group's membership can drift from the directory; bring it in step first.
        if c.kind == .org {
            try await syncOrgMembers(id)
            c = try await database.read({ db in try await MessagingQueries.conversation(db, id) }) ?? c
        }
        guard c.members.contains(where: { $0.personId == viewer.personId }) else {
            throw DomainError(.forbidden, "not_a_member", "you are not a member of this conversation")
        }
        return c
    }
}

enum MessagingQueries {
    static func directId(_ db: any SQLDatabase, key: String) async throws -> String? {
        try await db.raw("SELECT id FROM conversations WHERE direct_key = \(bind: key)").first()?.decode(column: "id", as: String.self)
    }

    static func addMember(_ db: any SQLDatabase, _ conversation: String, _ person: String, role: String, at: Int64) async throws {
        try await db.raw("""
            INSERT INTO conversation_members (conversation_id, person_id, role, read_seq, joined_seq, joined_at)
            VALUES (\(bind: conversation), \(bind: person), \(bind: role),
                    (SELECT last_seq FROM conversations WHERE id = \(bind: conversation)),
                    (SELECT last_seq FROM conversations WHERE id = \(bind: conversation)), \(bind: at))
            """).run()
    }

    /// Many members in multi-row statements of 500; they join at the conversation's current position.
    static func addMembers(_ db: any SQLDatabase, _ conversation: String, _ people: [String], role: String, at: Int64) async throws {
        guard !people.isEmpty else { return }
        let last = try await db.raw("SELECT last_seq FROM conversations WHERE id = \(bind: conversation)").first()?
            .decode(column: "last_seq", as: Int64.self) ?? 0
        for start in stride(from: 0, to: people.count, by: 500) {
            let rows = people[start..<min(start + 500, people.count)].map { p -> SQLQueryString in
                "(\(bind: conversation), \(bind: p), \(bind: role), \(bind: last), \(bind: last), \(bind: at))"
            }
            try await db.raw("""
                INSERT INTO conversation_members (conversation_id, person_id, role, read_seq, joined_seq, joined_at)
                VALUES \(rows.joined(separator: ", "))
                """).run()
        }
    }

    static func conversation(_ db: any SQLDatabase, _ id: String) async throws -> Conversation? {
        guard ID.isValid(id) else { return nil }
        return try await conversations(db, [id])[id]
    }

    /// Conversations with their members, by id: two queries per 500.
    static func conversations(_ db: any SQLDatabase, _ ids: [String]) async throws -> [String: Conversation] {
        var out: [String: Conversation] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            var members: [String: [Member]] = [:]
            for m in try await db.raw("""
                SELECT conversation_id, person_id, role, read_seq FROM conversation_members WHERE conversation_id IN (\(binds: chunk))
                ORDER BY conversation_id, joined_at, person_id
                """).all() {
                members[try m.decode(column: "conversation_id", as: String.self), default: []].append(
                    Member(personId: try m.decode(column: "person_id", as: String.self), role: try m.decode(column: "role", as: String.self),
                           readSeq: try m.decode(column: "read_seq", as: Int64.self)))
            }
            for r in try await db.raw("""
                SELECT id, kind, name, owner_id, last_seq, created_at, org_id, include_subtree FROM conversations WHERE id IN (\(binds: chunk))
                """).all() {
                let id = try r.decode(column: "id", as: String.self)
                out[id] = Conversation(id: id, kind: ConversationKind(rawValue: try r.decode(column: "kind", as: String.self)) ?? .group,
                                       name: try r.decode(column: "name", as: String?.self), ownerId: try r.decode(column: "owner_id", as: String?.self),
                                       lastSeq: try r.decode(column: "last_seq", as: Int64.self),
                                       createdAt: Date(millis: try r.decode(column: "created_at", as: Int64.self)), members: members[id] ?? [],
                                       orgId: try r.decode(column: "org_id", as: String?.self),
                                       includeSubtree: try r.decode(column: "include_subtree", as: Int.self) != 0)
            }
        }
        return out
    }

    /// Read counts come from members' read positions: one indexed count per message, whatever the group size.
    static func messages(_ db: any SQLDatabase, conversation c: Conversation, beforeSeq: Int64, limit: Int) async throws -> [Message] {
        try await withAttachments(db, try await rows(db, where: "m.conversation_id = \(bind: c.id) AND m.seq < \(bind: beforeSeq)",
                                                     limit: limit))
    }

    /// The newest message of each conversation that has one, in three queries whatever their number.
    static func lastMessages(_ db: any SQLDatabase, _ conversations: [Conversation]) async throws -> [String: Message] {
        let withMessages = conversations.filter { $0.lastSeq > 0 }
        guard !withMessages.isEmpty else { return [:] }
        let pairs = withMessages.map { c -> SQLQueryString in "(m.conversation_id = \(bind: c.id) AND m.seq = \(bind: c.lastSeq))" }
        let list = try await rows(db, where: "(" + pairs.joined(separator: " OR ") + ")", limit: withMessages.count)
        return Dictionary(try await withAttachments(db, list).map { ($0.conversationId, $0) }) { a, _ in a }
    }

    static func withAttachments(_ db: any SQLDatabase, _ messages: [Message]) async throws -> [Message] {
        var list = messages
        let files = try await MessagingService.attachments(db, messageIds: list.filter { !$0.recalled }.map(\.id))
        for i in list.indices { list[i].attachments = files[list[i].id] ?? [] }
        return list
    }

    static func rows(_ db: any SQLDatabase, where condition: SQLQueryString, limit: Int) async throws -> [Message] {
        try await db.raw("""
            SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.text, m.client_msg_id, m.reply_to, m.mentions, m.recalled, m.created_at,
                (SELECT COUNT(*) FROM conversation_members r WHERE r.conversation_id = m.conversation_id AND r.read_seq >= m.seq
                    AND r.joined_seq < m.seq AND r.person_id <> m.sender_id) AS read_count,
                (SELECT COUNT(*) FROM conversation_members r WHERE r.conversation_id = m.conversation_id
                    AND r.joined_seq < m.seq AND r.person_id <> m.sender_id) AS audience
            FROM messages m WHERE \(condition) ORDER BY m.seq DESC LIMIT \(bind: limit)
            """).all().map { r in
            let recalled = try r.decode(column: "recalled", as: Int.self) != 0
            let readCount = try r.decode(column: "read_count", as: Int.self)
            let audience = try r.decode(column: "audience", as: Int.self)
            return Message(id: try r.decode(column: "id", as: String.self), conversationId: try r.decode(column: "conversation_id", as: String.self),
                           seq: try r.decode(column: "seq", as: Int64.self),
                           senderId: try r.decode(column: "sender_id", as: String.self),
                           text: recalled ? "" : try r.decode(column: "text", as: String.self),
                           clientMsgId: try r.decode(column: "client_msg_id", as: String.self),
                           replyTo: try r.decode(column: "reply_to", as: String?.self),
                           mentions: (try r.decode(column: "mentions", as: String.self)).split(separator: "|").map(String.init),
                           recalled: recalled, createdAt: Date(millis: try r.decode(column: "created_at", as: Int64.self)),
                           readCount: readCount, unreadCount: max(0, audience - readCount))
        }
    }
}
