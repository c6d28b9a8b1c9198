import Audit
import Foundation
import Synchronization
import SQLKit
import Storage
import ZhengtongCore

/// One entry of the change log: what changed, how, and its state afterwards (`nil` once deleted).
public struct DirectoryChange: Sendable, Equatable {
    public var seq: Int64
    public var kind: String
    public var op: String
    public var targetId: String
    /// The object after the change as JSON (snake_case keys), or nil after a delete.
    public var data: String?
    public var actorId: String?
    public var at: Date
}

/// The directory's durable, ordered change log. Every directory action records its change in its own
/// transaction, next to its audit row; as in the event log, a head row serialises writers so that the
/// sequence order is the commit order and a follower never misses a change that committed late.
public enum DirectoryChanges {
    /// Records the audit row and the change row of one directory action.
    static func record<B: Encodable, A: Encodable>(
        _ db: any SQLDatabase, actor: ActingContext, action: String, targetType: String, targetId: String,
        detail: [String: String] = [:], before: B?, after: A?, at: Date
    ) async throws {
        try await AuditLog.append(db, actor: actor, action: action, targetType: targetType, targetId: targetId,
                                  detail: detail, before: before, after: after, at: at)
        let op = String(action.split(separator: ".").last ?? "")
        try await append(db, kind: targetType, op: op, targetId: targetId, data: after, actorId: actor.personId, at: at)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(date.iso8601)
        }
        return e
    }()

    public static func append<A: Encodable>(_ db: any SQLDatabase, kind: String, op: String, targetId: String, data: A?,
                                            actorId: String?, at: Date) async throws {
        let json = try data.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let row = try await db.raw("UPDATE directory_changes_head SET seq = seq + 1 WHERE id = 1 RETURNING seq").first()
        guard let seq = try row?.decode(column: "seq", as: Int64.self) else { throw StorageError.migration("directory_changes_head row is missing") }
        try await db.raw("""
            INSERT INTO directory_changes (seq, kind, op, target_id, data, actor_id, created_at)
            VALUES (\(bind: seq), \(bind: kind), \(bind: op), \(bind: targetId), \(bind: json), \(bind: actorId), \(bind: at.millis))
            """).run()
    }

    /// Changes after `seq`, oldest first.
    public static func list(_ database: any Database, after seq: Int64, limit: Int) async throws -> [DirectoryChange] {
        try await database.read { db in
            try await db.raw("""
                SELECT seq, kind, op, target_id, data, actor_id, created_at FROM directory_changes
                WHERE seq > \(bind: seq) ORDER BY seq LIMIT \(bind: limit)
                """).all().map { r in
                DirectoryChange(seq: try r.decode(column: "seq", as: Int64.self), kind: try r.decode(column: "kind", as: String.self),
                                op: try r.decode(column: "op", as: String.self), targetId: try r.decode(column: "target_id", as: String.self),
                                data: try r.decode(column: "data", as: String?.self), actorId: try r.decode(column: "actor_id", as: String?.self),
                                at: Date(millis: try r.decode(column: "created_at", as: Int64.self)))
            }
        }
    }

    /// The newest sequence number: where a follower that has just taken a full snapshot starts.
    public static func head(_ database: any Database) async throws -> Int64 {
        try await database.read { db in
            try await db.raw("SELECT seq FROM directory_changes_head WHERE id = 1").first()?.decode(column: "seq", as: Int64.self) ?? 0
        }
    }
}
