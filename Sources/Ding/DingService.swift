import Directory
import Events
import Foundation
import Jobs
import SQLKit
import Storage
import ZhengtongCore

public struct NewDing: Sendable {
    public var text: String
    public var people: [String], orgs: [String], regions: [String]
    public var channels: [String]
    public var smsAfterMinutes: Int?, voiceAfterMinutes: Int?
    public var sendAt: Date?
    public init(text: String, people: [String], orgs: [String], regions: [String], channels: [String],
                smsAfterMinutes: Int?, voiceAfterMinutes: Int?, sendAt: Date?) {
        self.text = text; self.people = people; self.orgs = orgs; self.regions = regions; self.channels = channels
        self.smsAfterMinutes = smsAfterMinutes; self.voiceAfterMinutes = voiceAfterMinutes; self.sendAt = sendAt
    }
}

public struct Exclusion: Sendable, Equatable, Codable {
    public var id: String
    public var kind: String
    public var reason: String
}

public struct DingStats: Sendable, Equatable, Codable {
    public var recipients = 0, delivered = 0, read = 0, confirmed = 0
    public var arrivalRate = 0.0, confirmationRate = 0.0
    public var meanConfirmSeconds: Double? = nil
}

public struct Ding: Sendable, Equatable {
    public var id: String
    public var senderId: String
    public var text: String
    public var channels: [String]
    public var smsAfterMinutes: Int?, voiceAfterMinutes: Int?
    public var sendAt: Date
    public var sent: Bool
    public var createdAt: Date
    /// The viewer's own times when the viewer is a recipient.
    public var myDeliveredAt: Date?, myReadAt: Date?, myConfirmedAt: Date?
    /// Present for the sender only.
    public var stats: DingStats?
}

public struct DingRecipientStatus: Sendable, Equatable {
    public var personId: String
    public var name: String
    public var deliveredAt: Date?, readAt: Date?, confirmedAt: Date?, smsAt: Date?, voiceAt: Date?
}

/// DING: messages that must reach. Recipients are resolved against the directory when the DING is sent;
/// every recipient's delivery, reading and confirmation is recorded; still-unconfirmed recipients are
/// escalated to SMS and then voice by stored jobs.
public struct DingService: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public let directory: DirectoryService
    public let bus: EventBus
    public let sms: any NotificationGateway
    public let voice: any NotificationGateway
    public static let remindInterval: TimeInterval = 5 * 60

    public init(database: any Database, clock: any WallClock, directory: DirectoryService, bus: EventBus,
                sms: any NotificationGateway, voice: any NotificationGateway, jobs: JobQueue) {
        self.database = database
        self.clock = clock
        self.directory = directory
        self.bus = bus
        self.sms = sms
        self.voice = voice
        let me = self
        jobs.register("ding.send") { id in try await me.release(id) }
        jobs.register("ding.escalate") { payload in
            let parts = payload.split(separator: ":").map(String.init)
            guard parts.count == 2 else { return }
            try await me.escalate(parts[0], channel: parts[1])
        }
    }

    func write<T: Sendable>(_ body: (any SQLDatabase, inout [StagedEvent]) async throws -> T) async throws -> T {
        try await bus.transaction(at: clock.now(), body)
    }

    public func send(_ input: NewDing, viewer: Viewer) async throws -> (Ding, recipientCount: Int, excluded: [Exclusion]) {
        let text = input.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw DomainError.invalid("text", "text must not be empty") }
        guard input.text.count <= 5000 else { throw DomainError.invalid("text", "text is longer than 5000 characters") }
        var channels = ["app"]
        for c in input.channels where !channels.contains(c) {
            guard ["sms", "voice"].contains(c) else { throw DomainError.invalid("channels", "channels are app, sms and voice") }
            channels.append(c)
        }
        for (name, minutes) in [("sms_after_minutes", input.smsAfterMinutes), ("voice_after_minutes", input.voiceAfterMinutes)] {
            if let m = minutes, !(1...1440).contains(m) { throw DomainError.invalid(name, "\(name) must be between 1 and 1440") }
        }
        guard input.people.count + input.orgs.count + input.regions.count > 0 else {
            throw DomainError.invalid("recipients", "name at least one person, org or region")
        }
        let now = clock.now()
        let sendAt = max(input.sendAt ?? now, now)
        let resolved = try await directory.resolveRecipients(people: input.people, orgs: input.orgs, regions: input.regions, viewer: viewer)
        var excluded = resolved.missingPeople.map { Exclusion(id: $0, kind: "person", reason: "not_found") }
            + resolved.missingOrgs.map { Exclusion(id: $0, kind: "org", reason: "not_found") }
            + resolved.missingRegions.map { Exclusion(id: $0, kind: "region", reason: "not_found") }
        var recipients: [ResolvedRecipient] = []
        for r in resolved.recipients where r.personId != viewer.personId {
            // Ordinary staff cannot DING a leader in senior mode; other senior-mode people and their admins can.
            if r.seniorMode && !viewer.seniorMode && !r.administered {
                excluded.append(Exclusion(id: r.personId, kind: "person", reason: "senior_mode"))
            } else {
                recipients.append(r)
            }
        }
        guard !recipients.isEmpty else {
            throw DomainError.invalid("recipients", "nobody left to receive this DING")
        }
        let id = ID.make(at: now)
        let immediate = sendAt <= now
        try await write { db, events in
            try await db.raw("""
                INSERT INTO dings (id, sender_id, text, channels, sms_after_minutes, voice_after_minutes, send_at, sent, recipient_count, created_at)
                VALUES (\(bind: id), \(bind: viewer.personId), \(bind: text), \(bind: "|" + channels.joined(separator: "|") + "|"),
                        \(bind: input.smsAfterMinutes), \(bind: input.voiceAfterMinutes), \(bind: sendAt.millis), \(bind: immediate ? 1 : 0),
                        \(bind: recipients.count), \(bind: now.millis))
                """).run()
            for start in stride(from: 0, to: recipients.count, by: 500) {
                var sql: SQLQueryString = "INSERT INTO ding_recipients (ding_id, person_id) VALUES "
                sql += recipients[start..<min(start + 500, recipients.count)].map { r -> SQLQueryString in "(\(bind: id), \(bind: r.personId))" }
                    .joined(separator: ", ")
                try await db.raw(sql).run()
            }
            if immediate {
                events.append(Self.dingEvent(id: id, sender: viewer.personId, text: text, recipients: recipients.map(\.personId)))
            } else {
                try await JobQueue.schedule(db, kind: "ding.send", at: sendAt, payload: id, now: now)
            }
            if channels.contains("sms"), let m = input.smsAfterMinutes {
                try await JobQueue.schedule(db, kind: "ding.escalate", at: sendAt.addingTimeInterval(Double(m) * 60), payload: "\(id):sms", now: now)
            }
            if channels.contains("voice"), let m = input.voiceAfterMinutes {
                try await JobQueue.schedule(db, kind: "ding.escalate", at: sendAt.addingTimeInterval(Double(m) * 60), payload: "\(id):voice", now: now)
            }
        }
        return (try await ding(id, viewer: viewer), recipients.count, excluded)
    }

    struct DingPayload: Encodable { var dingId: String, senderId: String, text: String, remind: Bool }

    static func dingEvent(id: String, sender: String, text: String, recipients: [String], remind: Bool = false) -> StagedEvent {
        let payload = DingPayload(dingId: id, senderId: sender, text: text, remind: remind)
        return (try? StagedEvent(type: "ding.new", payload: payload, recipients: recipients))
            ?? StagedEvent(type: "ding.new", json: "{}", recipients: recipients)
    }

    /// A scheduled DING whose time has come.
    func release(_ id: String) async throws {
        try await write { db, events in
            guard let row = try await db.raw("SELECT sender_id, text, sent FROM dings WHERE id = \(bind: id)").first(),
                  try row.decode(column: "sent", as: Int.self) == 0 else { return }
            try await db.raw("UPDATE dings SET sent = 1 WHERE id = \(bind: id)").run()
            let recipients = try await db.raw("SELECT person_id FROM ding_recipients WHERE ding_id = \(bind: id)").all()
                .map { try $0.decode(column: "person_id", as: String.self) }
            events.append(Self.dingEvent(id: id, sender: try row.decode(column: "sender_id", as: String.self),
                                         text: try row.decode(column: "text", as: String.self), recipients: recipients))
        }
    }

    /// Sends the DING by SMS or voice to every recipient who has not confirmed yet.
    func escalate(_ id: String, channel: String) async throws {
        let gateway = channel == "voice" ? voice : sms
        let column = channel == "voice" ? "voice_at" : "sms_at"
        let pending = try await database.read { db in
            try await db.raw("""
                SELECT r.person_id, p.mobile, d.text FROM ding_recipients r JOIN people p ON p.id = r.person_id JOIN dings d ON d.id = r.ding_id
                WHERE r.ding_id = \(bind: id) AND r.confirmed_at IS NULL AND r.\(unsafeRaw: column) IS NULL AND p.mobile IS NOT NULL
                """).all().map { (try $0.decode(column: "person_id", as: String.self), try $0.decode(column: "mobile", as: String.self),
                                  try $0.decode(column: "text", as: String.self)) }
        }
        // Everyone is tried; recipients already sent to are marked, so a retry of the job reaches only the rest.
        var failures: [any Error] = []
        for (person, mobile, text) in pending {
            do {
                try await gateway.send(GatewayMessage(channel: channel, dingId: id, personId: person, mobile: mobile, text: text))
            } catch {
                failures.append(error)
                continue
            }
            try await database.transaction { db in
                try await db.raw("UPDATE ding_recipients SET \(unsafeRaw: column) = \(bind: clock.now().millis) WHERE ding_id = \(bind: id) AND person_id = \(bind: person)").run()
            }
        }
        if let first = failures.first { throw first }
    }
}
