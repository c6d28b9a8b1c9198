import Foundation
import Synchronization

/// Wall-clock time, injectable so that lockouts, expiries and escalations can be tested without sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>
    public init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = Mutex(start) }
    public func now() -> Date { current.withLock { $0 } }
    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    public func set(_ date: Date) { current.withLock { $0 = date } }
}

extension Date {
    /// Milliseconds since the epoch: how every timestamp is stored, identical on SQLite and PostgreSQL.
    public var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    public init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }

    public var iso8601: String {
        let f = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return f.format(self)
    }
}
