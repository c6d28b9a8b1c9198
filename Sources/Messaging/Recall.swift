import Directory
import Events
import Foundation
import SQLKit
import ZhengtongCore

extension MessagingService {
    public static let recallWindow: TimeInterval = 24 * 3600

    /// Recalls a message: its sender within 24 hours, a group's owner at any time. The text is erased
    /// from the database, not just hidden, and every member is told.
    public func recall(_ messageId: String, viewer: Viewer, from address: String? = nil) async throws -> Message {
        guard ID.isValid(messageId), let row = try await database.read({ db in
            try await db.raw("SELECT conversation_id, sender_id, created_at, recalled FROM messages WHERE id = \(bind: messageId)").first()
        }) else { throw DomainError.notFound("message") }
        let conversationId = try row.decode(column: "conversation_id", as: String.self)
        let sender = try row.decode(column: "sender_id", as: String.self)
        let sentAt = Date(millis: try row.decode(column: "created_at", as: Int64.self))
        let c = try await member(conversationId, viewer: viewer)
        let isOwner = c.kind == .group && c.ownerId == viewer.personId
        guard sender == viewer.personId || isOwner else {
            throw DomainError(.forbidden, "not_sender", "only the sender or the group's owner may recall a message")
        }
        if !isOwner && clock.now().timeIntervalSince(sentAt) > Self.recallWindow {
            throw DomainError(.forbidden, "recall_expired", "a message can be recalled within 24 hours of sending")
        }
        if try row.decode(column: "recalled", as: Int.self) == 0 {
            let files = try await write { db, events -> [String] in
                // A recall that lost a race with another one finds nothing left to do, and says nothing twice.
                let changed = try await db.raw("""
                    UPDATE messages SET recalled = 1, text = '' WHERE id = \(bind: messageId) AND recalled = 0 RETURNING id
                    """).all()
                guard !changed.isEmpty else { return [String]() }
                try await db.raw("DELETE FROM message_grams WHERE message_id = \(bind: messageId)").run()
                let files = try await db.raw("SELECT id FROM attachments WHERE message_id = \(bind: messageId)").all()
                    .map { try $0.decode(column: "id", as: String.self) }
                try await db.raw("DELETE FROM attachments WHERE message_id = \(bind: messageId)").run()
                try await EventLog.redact(db, ref: messageId, data: """
                    {"id":"\(messageId)","conversation_id":"\(c.id)","sender_id":"\(sender)","text":"","recalled":true}
                    """)
                events.append(StagedEvent(type: "message.recalled", json: """
                    {"conversation_id":"\(c.id)","message_id":"\(messageId)","recalled_by":"\(viewer.personId)"}
                    """, recipients: c.members.map(\.personId)))
                // An owner taking back someone else's message is moderation, and audited (last: see addMembers).
                if sender != viewer.personId {
                    try await audit(db, viewer.acting.from(address), "message.recall", messageId, ["conversation_id": c.id, "sender_id": sender], targetType: "message")
                }
                return files
            }
            // The files go too, once the recall has committed: a recall erases content, it does not hide
            // it, and a recall that rolled back must still find them.
            for f in files { attachmentStore.delete(id: f) }
        }
        return try await database.read { db in
            let seq = try await db.raw("SELECT seq FROM messages WHERE id = \(bind: messageId)").first()!.decode(column: "seq", as: Int64.self)
            return try await MessagingQueries.messages(db, conversation: c, beforeSeq: seq + 1, limit: 1)[0]
        }
    }
}
