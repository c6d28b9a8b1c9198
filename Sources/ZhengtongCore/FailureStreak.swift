import Synchronization

/// Which occurrences of a failure that repeats (a poll against a database that is down, every quarter
/// second) are worth a log line: the first, then one per interval saying how many were left out. A
/// success ends the streak. Without it an outage of a few minutes wrote thousands of identical lines.
public final class FailureStreak: Sendable {
    private struct State {
        var lastLogged: ContinuousClock.Instant?
        var quiet = 0
    }
    private let state = Mutex(State())
    private let interval: Duration

    public init(every interval: Duration = .seconds(60)) {
        self.interval = interval
    }

    /// Nil when this failure should stay quiet; otherwise how many were left out since the last line.
    public func failed(at now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { s in
            if let last = s.lastLogged, now - last < interval {
                s.quiet += 1
                return nil
            }
            defer { s = State(lastLogged: now, quiet: 0) }
            return s.quiet
        }
    }

    /// True if this success ends a streak of failures, which is worth saying once.
    public func succeeded() -> Bool {
        state.withLock { s in
            defer { s = State() }
            return s.lastLogged != nil
        }
    }
}
