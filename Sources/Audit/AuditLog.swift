import Crypto
import Foundation
import SQLKit
import Storage
import ZhengtongCore

public struct AuditRecord: Sendable, Codable, Equatable {
    public var seq: Int
    public var id: String
    public var at: Date
    public var actorId: String?
    public var actorName: String?
    public var action: String
    public var targetType: String
    public var targetId: String?
    public var clientAddress: String?
    public var detail: String
    public var digest: String
}

/// The hash-chained audit log. Appends happen inside the caller's transaction, so an act and its audit
/// row commit or vanish together.
public enum AuditLog {
    /// Appends one row. `before` and `after` are digested (SHA-256 of their JSON), never stored whole,
    /// so the log proves what changed without copying personal data or secrets into it.
    public static func append<B: Encodable, A: Encodable>(
        _ db: any SQLDatabase, actor: ActingContext, action: String, targetType: String, targetId: String?,
        detail: [String: String] = [:], before: B?, after: A?, at: Date
    ) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let b = try before.map { try encoder.encode($0) } ?? Data("null".utf8)
        let a = try after.map { try encoder.encode($0) } ?? Data("null".utf8)
        let digest = Hex.string(SHA256.hash(data: b + Data("|".utf8) + a))
        let detailJSON = String(decoding: try encoder.encode(detail), as: UTF8.self)

        let head = try await db.raw("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").first()
        guard let head else { throw StorageError.migration("audit_head row is missing") }
        let seq = try head.decode(column: "seq", as: Int.self)
        let prev = try head.decode(column: "hash", as: String.self)
        let record = AuditRecord(seq: seq, id: ID.make(at: at), at: at, actorId: actor.personId, actorName: actor.name,
                                 action: action, targetType: targetType, targetId: targetId,
                                 clientAddress: actor.clientAddress, detail: detailJSON, digest: digest)
        let hash = chainHash(prev: prev, record)
        try await db.raw("""
            INSERT INTO audit_log (seq, id, at, actor_id, actor_name, action, target_type, target_id, client_address,
                                   detail, digest, prev_hash, hash)
            VALUES (\(bind: seq), \(bind: record.id), \(bind: at.millis), \(bind: record.actorId), \(bind: record.actorName),
                    \(bind: action), \(bind: targetType), \(bind: targetId), \(bind: record.clientAddress),
                    \(bind: detailJSON), \(bind: digest), \(bind: prev), \(bind: hash))
            """).run()
        try await db.raw("UPDATE audit_head SET hash = \(bind: hash) WHERE id = 1").run()
    }

    /// Convenience for acts with nothing to digest.
    public static func append(
        _ db: any SQLDatabase, actor: ActingContext, action: String, targetType: String, targetId: String?,
        detail: [String: String] = [:], at: Date
    ) async throws {
        try await append(db, actor: actor, action: action, targetType: targetType, targetId: targetId,
                         detail: detail, before: String?.none, after: String?.none, at: at)
    }

    static func chainHash(prev: String, _ r: AuditRecord) -> String {
        // Unit separators keep field boundaries unambiguous.
        let fields: [String] = [prev, String(r.seq), r.id, String(r.at.millis), r.actorId ?? "", r.actorName ?? "",
                                r.action, r.targetType, r.targetId ?? "", r.clientAddress ?? "", r.detail, r.digest]
        return Hex.string(SHA256.hash(data: Data(fields.joined(separator: "\u{1F}").utf8)))
    }

    public enum VerifyResult: Sendable, Equatable {
        case intact(rows: Int)
        case broken(seq: Int, reason: String)
    }

    /// Walks the chain from the first row. The first row whose hash, link or sequence does not hold is
    /// named: a changed row fails its own hash, a removed row leaves a gap, a removed tail disagrees with the head.
    public static func verify(_ database: any Database) async throws -> VerifyResult {
        try await database.read { db in
            var prev = String(repeating: "0", count: 64)
            var expected = 1
            var lastSeq = 0
            let pageSize = 5000
            while true {
                let rows = try await db.raw("""
                    SELECT seq, id, at, actor_id, actor_name, action, target_type, target_id, client_address, detail,
                           digest, prev_hash, hash FROM audit_log WHERE seq > \(bind: lastSeq) ORDER BY seq LIMIT \(bind: pageSize)
                    """).all()
                for row in rows {
                    let r = try record(row)
                    if r.seq != expected {
                        return .broken(seq: expected, reason: "row \(expected) is missing (next row is \(r.seq))")
                    }
                    let storedPrev = try row.decode(column: "prev_hash", as: String.self)
                    if storedPrev != prev {
                        return .broken(seq: r.seq, reason: "row \(r.seq) does not link to row \(r.seq - 1)")
                    }
                    let hash = try row.decode(column: "hash", as: String.self)
                    if chainHash(prev: prev, r) != hash {
                        return .broken(seq: r.seq, reason: "row \(r.seq) was changed after it was written")
                    }
                    prev = hash
                    expected += 1
                    lastSeq = r.seq
                }
                if rows.count < pageSize { break }
            }
            let head = try await db.raw("SELECT seq, hash FROM audit_head WHERE id = 1").first()
            let headSeq = try head?.decode(column: "seq", as: Int.self) ?? 0
            let headHash = try head?.decode(column: "hash", as: String.self) ?? ""
            if headSeq != lastSeq || headHash != prev {
                return .broken(seq: lastSeq + 1, reason: "row \(lastSeq + 1) is missing (the log should end at row \(headSeq))")
            }
            return .intact(rows: lastSeq)
        }
    }

    public static func list(_ database: any Database, afterSeq: Int?, limit: Int) async throws -> [AuditRecord] {
        try await database.read { db in
            let before = afterSeq ?? Int.max
            return try await db.raw("""
                SELECT seq, id, at, actor_id, actor_name, action, target_type, target_id, client_address, detail, digest
                FROM audit_log WHERE seq < \(bind: before) ORDER BY seq DESC LIMIT \(bind: limit)
                """).all().map(record)
        }
    }

    static func record(_ row: any SQLRow) throws -> AuditRecord {
        AuditRecord(
            seq: try row.decode(column: "seq", as: Int.self), id: try row.decode(column: "id", as: String.self),
            at: Date(millis: try row.decode(column: "at", as: Int64.self)),
            actorId: try row.decode(column: "actor_id", as: String?.self),
            actorName: try row.decode(column: "actor_name", as: String?.self),
            action: try row.decode(column: "action", as: String.self),
            targetType: try row.decode(column: "target_type", as: String.self),
            targetId: try row.decode(column: "target_id", as: String?.self),
            clientAddress: try row.decode(column: "client_address", as: String?.self),
            detail: try row.decode(column: "detail", as: String.self),
            digest: try row.decode(column: "digest", as: String.self))
    }
}
