import Foundation

/// Something a person should learn about in real time. `seq` orders all events of the system; a
/// client's cursor is the last `seq` it has seen.
public struct Event: Sendable, Equatable {
    public var seq: Int64
    public var type: String
    /// The event's payload as JSON text, stored and sent as is.
    public var data: String
    public var createdAt: Date
    /// Who receives it: delivery goes to exactly this list, never to "everyone connected".
    public var recipients: [String]

    public init(seq: Int64, type: String, data: String, createdAt: Date, recipients: [String]) {
        self.seq = seq
        self.type = type
        self.data = data
        self.createdAt = createdAt
        self.recipients = recipients
    }

    public var cursor: String { String(seq) }

    /// The event as the stream sends it: `{"type", "cursor", "data"}`, with the stored JSON as is.
    public var wireText: String { #"{"type":"\#(type)","cursor":"\#(seq)","data":\#(data)}"# }

    public static func seq(fromCursor cursor: String) -> Int64? {
        guard let n = Int64(cursor), n >= 0 else { return nil }
        return n
    }
}

/// An event an action has decided to emit, not yet in the log. Actions stage events inside their
/// transaction; they are published only after it commits.
public struct StagedEvent: Sendable {
    public var type: String
    public var data: String
    public var recipients: [String]
    /// What the event is about (a message id), so its stored copy can be redacted later (a recall).
    public var ref: String? = nil

    public init<T: Encodable>(type: String, payload: T, recipients: [String]) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        self.type = type
        self.data = String(decoding: try encoder.encode(payload), as: UTF8.self)
        self.recipients = Array(Set(recipients)).sorted()
    }

    public init(type: String, json: String, recipients: [String]) {
        self.type = type
        self.data = json
        self.recipients = Array(Set(recipients)).sorted()
    }
}
