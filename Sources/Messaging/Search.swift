import Directory
import Foundation
import SQLKit
import ZhengtongCore

extension MessagingService {
    static func indexText(_ db: any SQLDatabase, messageId: String, conversationId: String, text: String) async throws {
        let grams = TextGrams.bigrams(text)
        for start in stride(from: 0, to: grams.count, by: 300) {
            var sql: SQLQueryString = "INSERT INTO message_grams (gram, message_id, conversation_id) VALUES "
            sql += grams[start..<min(start + 300, grams.count)].map { g -> SQLQueryString in
                "(\(bind: g), \(bind: messageId), \(bind: conversationId))"
            }.joined(separator: ", ")
            try await db.raw(sql).run()
        }
    }

    /// Messages containing `q` in conversations the viewer belongs to, newest first. Walks one character
    /// pair's index entries from the newest and confirms the whole term, so it stops after a page.
    public func search(_ q: String, viewer: Viewer, limit: Int, before: String?) async throws -> [Message] {
        let term = q.trimmingCharacters(in: .whitespacesAndNewlines)
        guard term.filter({ !$0.isWhitespace }).count >= 2 else {
            throw DomainError.invalid("q", "search for at least two characters")
        }
        guard term.count <= 100 else { throw DomainError.invalid("q", "q is longer than 100 characters") }
        guard (1...200).contains(limit) else { throw DomainError(.badRequest, "invalid_limit", "limit must be between 1 and 200") }
        let gram = TextGrams.bigrams(term)[0]
        let like = "%" + term.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
        return try await database.read { db in
            let rows = try await db.raw("""
                SELECT g.message_id, g.conversation_id FROM message_grams g JOIN messages m ON m.id = g.message_id
                WHERE g.gram = \(bind: gram) AND g.message_id < \(bind: before ?? "~")
                  AND EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = g.conversation_id AND cm.person_id = \(bind: viewer.personId))
                  AND m.recalled = 0 AND LOWER(m.text) LIKE \(bind: like) ESCAPE '\\'
                ORDER BY g.message_id DESC LIMIT \(bind: limit)
                """).all().map { (try $0.decode(column: "message_id", as: String.self), try $0.decode(column: "conversation_id", as: String.self)) }
            var out: [Message] = []
            var conversations: [String: Conversation] = [:]
            for (id, conversationId) in rows {
                if conversations[conversationId] == nil { conversations[conversationId] = try await MessagingQueries.conversation(db, conversationId) }
                guard let c = conversations[conversationId],
                      let seq = try await db.raw("SELECT seq FROM messages WHERE id = \(bind: id)").first()?.decode(column: "seq", as: Int64.self),
                      let m = try await MessagingQueries.messages(db, conversation: c, beforeSeq: seq + 1, limit: 1).first else { continue }
                out.append(m)
            }
            return out
        }
    }
}
