import Directory
import Events
import Foundation
import SQLKit
import ZhengtongCore

extension DingService {
    static let columns = "d.id, d.sender_id, d.text, d.channels, d.sms_after_minutes, d.voice_after_minutes, d.send_at, d.sent, d.created_at"

    static func ding(_ r: any SQLRow) throws -> Ding {
        func date(_ c: String) throws -> Date? { try r.decode(column: c, as: Int64?.self).map(Date.init(millis:)) }
        return Ding(id: try r.decode(column: "id", as: String.self), senderId: try r.decode(column: "sender_id", as: String.self),
                    text: try r.decode(column: "text", as: String.self),
                    channels: try r.decode(column: "channels", as: String.self).split(separator: "|").map(String.init),
                    smsAfterMinutes: try r.decode(column: "sms_after_minutes", as: Int?.self),
                    voiceAfterMinutes: try r.decode(column: "voice_after_minutes", as: Int?.self),
                    sendAt: Date(millis: try r.decode(column: "send_at", as: Int64.self)), sent: try r.decode(column: "sent", as: Int.self) != 0,
                    createdAt: Date(millis: try r.decode(column: "created_at", as: Int64.self)),
                    myDeliveredAt: r.contains(column: "delivered_at") ? try date("delivered_at") : nil,
                    myReadAt: r.contains(column: "read_at") ? try date("read_at") : nil,
                    myConfirmedAt: r.contains(column: "confirmed_at") ? try date("confirmed_at") : nil, stats: nil)
    }

    /// The DING as the viewer may see it: its sender gets the statistics, a recipient their own times.
    public func ding(_ id: String, viewer: Viewer) async throws -> Ding {
        try await database.read { db in
            guard ID.isValid(id), let row = try await db.raw("""
                SELECT \(unsafeRaw: Self.columns), r.delivered_at, r.read_at, r.confirmed_at FROM dings d
                LEFT JOIN ding_recipients r ON r.ding_id = d.id AND r.person_id = \(bind: viewer.personId) WHERE d.id = \(bind: id)
                """).first() else { throw DomainError.notFound("ding") }
            var d = try Self.ding(row)
            let isRecipient = try await db.raw(
                "SELECT 1 AS x FROM ding_recipients WHERE ding_id = \(bind: id) AND person_id = \(bind: viewer.personId)").first() != nil
            guard d.senderId == viewer.personId || (isRecipient && d.sent) else { throw DomainError.notFound("ding") }
            if d.senderId == viewer.personId { d.stats = try await Self.stats(db, where: "r.ding_id = \(bind: id)") }
            return d
        }
    }

    /// Counts, rates and mean time to confirm over the recipient rows `condition` selects.
    static func stats(_ db: any SQLDatabase, where condition: SQLQueryString, from: SQLQueryString = "ding_recipients r JOIN dings d ON d.id = r.ding_id") async throws -> DingStats {
        let sql: SQLQueryString = "SELECT COUNT(*) AS n, COUNT(r.delivered_at) AS delivered, COUNT(r.read_at) AS read_n, COUNT(r.confirmed_at) AS confirmed, "
            + "CAST(SUM(CASE WHEN r.confirmed_at IS NOT NULL THEN r.confirmed_at - d.send_at ELSE 0 END) AS BIGINT) AS confirm_ms FROM " + from
            + " WHERE d.sent = 1 AND " + condition
        guard let r = try await db.raw(sql).first() else { return DingStats() }
        var s = DingStats()
        s.recipients = try r.decode(column: "n", as: Int.self)
        s.delivered = try r.decode(column: "delivered", as: Int.self)
        s.read = try r.decode(column: "read_n", as: Int.self)
        s.confirmed = try r.decode(column: "confirmed", as: Int.self)
        if s.recipients > 0 {
            s.arrivalRate = Double(s.delivered) / Double(s.recipients)
            s.confirmationRate = Double(s.confirmed) / Double(s.recipients)
        }
        if s.confirmed > 0 {
            s.meanConfirmSeconds = Double(try r.decode(column: "confirm_ms", as: Int64?.self) ?? 0) / 1000 / Double(s.confirmed)
        }
        return s
    }

    /// The viewer's inbox (DINGs to them that have been sent) or sent box. Listing the inbox counts as
    /// delivery to a device.
    public func list(box: String, viewer: Viewer, page: PageRequest) async throws -> Page<Ding> {
        switch box {
        case "inbox":
            let rows = try await database.read { db in
                try await db.raw("""
                    SELECT \(unsafeRaw: Self.columns), r.delivered_at, r.read_at, r.confirmed_at FROM ding_recipients r JOIN dings d ON d.id = r.ding_id
                    WHERE r.person_id = \(bind: viewer.personId) AND d.sent = 1 ORDER BY d.send_at DESC, d.id DESC
                    LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                    """).all().map(Self.ding)
            }
            var p = page.page(rows)
            let undelivered = p.items.filter { $0.myDeliveredAt == nil }.map(\.id)
            try await markDelivered(undelivered, personId: viewer.personId)
            let now = clock.now()
            for i in p.items.indices where p.items[i].myDeliveredAt == nil { p.items[i].myDeliveredAt = now }
            return p
        case "sent":
            let rows = try await database.read { db in
                try await db.raw("""
                    SELECT \(unsafeRaw: Self.columns) FROM dings d WHERE d.sender_id = \(bind: viewer.personId) ORDER BY d.created_at DESC, d.id DESC
                    LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                    """).all().map(Self.ding)
            }
            return page.page(rows)
        default:
            throw DomainError(.badRequest, "invalid_box", "box must be inbox or sent")
        }
    }

    public func recipients(_ id: String, status: String?, viewer: Viewer, page: PageRequest) async throws -> Page<DingRecipientStatus> {
        let d = try await ding(id, viewer: viewer)
        guard d.senderId == viewer.personId else { throw DomainError(.forbidden, "not_sender", "only the sender sees the recipients' status") }
        let filter: SQLQueryString
        switch status {
        case nil: filter = "1=1"
        case "unconfirmed": filter = "r.confirmed_at IS NULL"
        case "confirmed": filter = "r.confirmed_at IS NOT NULL"
        case "unread": filter = "r.read_at IS NULL"
        case "read": filter = "r.read_at IS NOT NULL"
        case "undelivered": filter = "r.delivered_at IS NULL"
        default: throw DomainError(.badRequest, "invalid_status", "status must be unconfirmed, confirmed, unread, read or undelivered")
        }
        let rows = try await database.read { db in
            try await db.raw("""
                SELECT r.person_id, p.name, r.delivered_at, r.read_at, r.confirmed_at, r.sms_at, r.voice_at FROM ding_recipients r
                JOIN people p ON p.id = r.person_id WHERE r.ding_id = \(bind: id) AND \(filter)
                ORDER BY p.pinyin_compact, r.person_id LIMIT \(bind: page.fetchLimit) OFFSET \(bind: page.offset)
                """).all().map { r in
                func date(_ c: String) throws -> Date? { try r.decode(column: c, as: Int64?.self).map(Date.init(millis:)) }
                return DingRecipientStatus(personId: try r.decode(column: "person_id", as: String.self), name: try r.decode(column: "name", as: String.self),
                                           deliveredAt: try date("delivered_at"), readAt: try date("read_at"), confirmedAt: try date("confirmed_at"),
                                           smsAt: try date("sms_at"), voiceAt: try date("voice_at"))
            }
        }
        return page.page(rows)
    }

    /// Records that a device of the person received these DINGs (the stream wrote them, or the inbox listed them).
    public func markDelivered(_ ids: [String], personId: String) async throws {
        guard !ids.isEmpty else { return }
        try await database.transaction { db in
            try await db.raw("""
                UPDATE ding_recipients SET delivered_at = \(bind: clock.now().millis)
                WHERE person_id = \(bind: personId) AND ding_id IN (\(binds: ids)) AND delivered_at IS NULL
                """).run()
        }
    }

    /// Marks many deliveries at once (DINGs written to live streams), in one transaction.
    public func markDelivered(_ pairs: [(dingId: String, personId: String)]) async throws {
        guard !pairs.isEmpty else { return }
        let now = clock.now().millis
        let byDing = Dictionary(grouping: pairs, by: \.dingId).mapValues { $0.map(\.personId) }
        try await database.transaction { db in
            for (ding, people) in byDing {
                for start in stride(from: 0, to: people.count, by: 500) {
                    let chunk = Array(people[start..<min(start + 500, people.count)])
                    try await db.raw("""
                        UPDATE ding_recipients SET delivered_at = \(bind: now)
                        WHERE ding_id = \(bind: ding) AND person_id IN (\(binds: chunk)) AND delivered_at IS NULL
                        """).run()
                }
            }
        }
    }

    public func markRead(_ id: String, viewer: Viewer) async throws -> Ding { try await mark(id, confirm: false, viewer: viewer) }
    public func confirm(_ id: String, viewer: Viewer) async throws -> Ding { try await mark(id, confirm: true, viewer: viewer) }

    func mark(_ id: String, confirm: Bool, viewer: Viewer) async throws -> Ding {
        let d = try await ding(id, viewer: viewer)
        let isRecipient = try await database.read { db in
            try await db.raw("SELECT 1 AS x FROM ding_recipients WHERE ding_id = \(bind: id) AND person_id = \(bind: viewer.personId)").first() != nil
        }
        guard isRecipient else { throw DomainError(.forbidden, "not_recipient", "only a recipient reads or confirms a DING") }
        let now = clock.now().millis
        try await write { db, events in
            var sets: SQLQueryString = "delivered_at = COALESCE(delivered_at, \(bind: now)), read_at = COALESCE(read_at, \(bind: now))"
            if confirm { sets += ", confirmed_at = COALESCE(confirmed_at, \(bind: now))" }
            let changed = try await db.raw("UPDATE ding_recipients SET " + sets
                + " WHERE ding_id = \(bind: id) AND person_id = \(bind: viewer.personId) AND \(unsafeRaw: confirm ? "confirmed_at" : "read_at") IS NULL RETURNING person_id").all().count
            if changed > 0 {
                events.append(StagedEvent(type: "ding.updated", json: """
                    {"ding_id":"\(id)","person_id":"\(viewer.personId)","status":"\(confirm ? "confirmed" : "read")"}
                    """, recipients: [d.senderId]))
            }
        }
        return try await ding(id, viewer: viewer)
    }

    /// Re-DINGs everyone who has not confirmed, at most once per five minutes per DING.
    public func remind(_ id: String, viewer: Viewer) async throws -> Int {
        let d = try await ding(id, viewer: viewer)
        guard d.senderId == viewer.personId else { throw DomainError(.forbidden, "not_sender", "only the sender reminds") }
        let now = clock.now()
        return try await write { db, events in
            let claimed = try await db.raw("""
                UPDATE dings SET last_remind_at = \(bind: now.millis) WHERE id = \(bind: id) AND sent = 1
                AND (last_remind_at IS NULL OR last_remind_at <= \(bind: now.addingTimeInterval(-Self.remindInterval).millis)) RETURNING id
                """).all().count
            guard claimed == 1 else {
                let last = try await db.raw("SELECT last_remind_at FROM dings WHERE id = \(bind: id)").first()?.decode(column: "last_remind_at", as: Int64?.self)
                let retry = last.map { Int((Double($0 - now.millis) / 1000 + Self.remindInterval).rounded(.up)) } ?? Int(Self.remindInterval)
                throw DomainError(.tooManyRequests(retryAfter: max(1, retry)), "remind_too_soon", "a DING can be re-sent once every 5 minutes")
            }
            let pending = try await db.raw("SELECT person_id FROM ding_recipients WHERE ding_id = \(bind: id) AND confirmed_at IS NULL").all()
                .map { try $0.decode(column: "person_id", as: String.self) }
            events.append(Self.dingEvent(id: id, sender: d.senderId, text: d.text, recipients: pending, remind: true))
            return pending.count
        }
    }

    /// The seeds' three figures over DINGs sent in [from, to) to people of an org or region subtree.
    public func aggregate(orgId: String?, regionCode: String?, from: Date?, to: Date?, viewer: Viewer) async throws -> DingStats {
        var scope: SQLQueryString
        guard !viewer.scope.isEmpty else { throw DomainError(.forbidden, "forbidden", "DING statistics are for administrators") }
        if let orgId {
            let o = try await directory.org(orgId, viewer: viewer)
            guard viewer.scope.covers(o) else { throw DomainError.forbidden }
            scope = "EXISTS (SELECT 1 FROM positions x WHERE x.person_id = r.person_id AND x.org_path >= \(bind: o.path) AND x.org_path < \(bind: o.path + "\u{7F}"))"
        } else if let regionCode {
            let region = try await directory.region(regionCode)
            guard viewer.scope.covers(regionCode: region.code) else { throw DomainError.forbidden }
            scope = "EXISTS (SELECT 1 FROM positions x WHERE x.person_id = r.person_id AND x.region_code >= \(bind: region.prefix) AND x.region_code < \(bind: region.prefix + "\u{7F}"))"
        } else {
            throw DomainError.invalid("scope", "give org or region")
        }
        scope += " AND d.send_at >= \(bind: (from ?? .distantPast).millis) AND d.send_at < \(bind: (to ?? .distantFuture).millis)"
        return try await database.read { db in try await Self.stats(db, where: scope) }
    }
}
