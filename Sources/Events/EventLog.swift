import Foundation
import SQLKit
import Storage

/// The durable, ordered event log. Appending takes the `events_head` row first, so appenders are
/// serialised until they commit: sequence order is commit order, and a client resuming after seq N
/// can never later meet an event numbered below N that committed late.
public enum EventLog {
    /// Appends staged events inside the caller's transaction and returns them numbered.
    public static func append(_ db: any SQLDatabase, _ staged: [StagedEvent], at date: Date) async throws -> [Event] {
        let staged = staged.filter { !$0.recipients.isEmpty }
        guard !staged.isEmpty else { return [] }
        let row = try await db.raw("UPDATE events_head SET seq = seq + \(bind: staged.count) WHERE id = 1 RETURNING seq").first()
        guard let last = try row?.decode(column: "seq", as: Int64.self) else { throw StorageError.migration("events_head row is missing") }
        var seq = last - Int64(staged.count)
        var events: [Event] = []
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        for s in staged {
            seq += 1
            events.append(Event(seq: seq, type: s.type, data: s.data, createdAt: date, recipients: s.recipients))
            try await db.raw("INSERT INTO events (seq, type, data, ref, created_at) VALUES (\(bind: seq), \(bind: s.type), \(bind: s.data), \(bind: s.ref), \(bind: millis))").run()
            // Recipient rows in multi-row batches: a DING to 100,000 people is 200 statements, not 100,000.
            for start in stride(from: 0, to: s.recipients.count, by: 500) {
                let chunk = s.recipients[start..<min(start + 500, s.recipients.count)]
                var sql: SQLQueryString = "INSERT INTO event_recipients (person_id, seq) VALUES "
                var first = true
                for person in chunk {
                    if !first { sql += ", " }
                    first = false
                    sql += "(\(bind: person), \(bind: seq))"
                }
                try await db.raw(sql).run()
            }
        }
        if let range = events.first.map({ "\($0.seq)-\(events.last!.seq)" }) {
            try await db.notify(channel: EventBus.channel, payload: range)
        }
        return events
    }

    /// Replaces the stored payload of every event about `ref`, so that what a resuming client replays
    /// no longer holds what was erased.
    public static func redact(_ db: any SQLDatabase, ref: String, data: String) async throws {
        try await db.raw("UPDATE events SET data = \(bind: data) WHERE ref = \(bind: ref)").run()
    }

    /// The person's events after `seq`, oldest first.
    public static func replay(_ database: any Database, personId: String, after seq: Int64, limit: Int = 1000) async throws -> [Event] {
        try await database.read { db in
            try await db.raw("""
                SELECT e.seq, e.type, e.data, e.created_at FROM event_recipients r JOIN events e ON e.seq = r.seq
                WHERE r.person_id = \(bind: personId) AND r.seq > \(bind: seq) ORDER BY r.seq LIMIT \(bind: limit)
                """).all().map { r in
                Event(seq: try r.decode(column: "seq", as: Int64.self), type: try r.decode(column: "type", as: String.self),
                      data: try r.decode(column: "data", as: String.self),
                      createdAt: Date(timeIntervalSince1970: Double(try r.decode(column: "created_at", as: Int64.self)) / 1000),
                      recipients: [personId])
            }
        }
    }

    /// Events in a sequence range with all their recipients (what another node committed).
    public static func fetch(_ database: any Database, from: Int64, through: Int64) async throws -> [Event] {
        try await database.read { db in
            var events: [Int64: Event] = [:]
            for r in try await db.raw("SELECT seq, type, data, created_at FROM events WHERE seq >= \(bind: from) AND seq <= \(bind: through)").all() {
                let seq = try r.decode(column: "seq", as: Int64.self)
                events[seq] = Event(seq: seq, type: try r.decode(column: "type", as: String.self), data: try r.decode(column: "data", as: String.self),
                                    createdAt: Date(timeIntervalSince1970: Double(try r.decode(column: "created_at", as: Int64.self)) / 1000),
                                    recipients: [])
            }
            for r in try await db.raw("SELECT person_id, seq FROM event_recipients WHERE seq >= \(bind: from) AND seq <= \(bind: through)").all() {
                events[try r.decode(column: "seq", as: Int64.self)]?.recipients.append(try r.decode(column: "person_id", as: String.self))
            }
            return events.values.sorted { $0.seq < $1.seq }
        }
    }

    /// The newest sequence number: a fresh client's starting cursor.
    public static func head(_ database: any Database) async throws -> Int64 {
        try await database.read { db in
            try await db.raw("SELECT seq FROM events_head WHERE id = 1").first()?.decode(column: "seq", as: Int64.self) ?? 0
        }
    }
}
