import Foundation
import Logging
import SQLKit
import Storage
import Synchronization
import ZhengtongCore

/// Stored, scheduled work: a row per job, so a scheduled DING or an escalation still happens after a
/// restart. Any node may run a due job; claiming it is a conditional update, so exactly one does.
public final class JobQueue: Sendable {
    public typealias Handler = @Sendable (String) async throws -> Void
    public static let maxAttempts = 5

    let database: any Database
    let clock: any WallClock
    let logger: Logger
    private let handlers = Mutex<[String: Handler]>([:])

    public init(database: any Database, clock: any WallClock, logger: Logger) {
        self.database = database
        self.clock = clock
        self.logger = logger
    }

    public func register(_ kind: String, _ handler: @escaping Handler) {
        handlers.withLock { $0[kind] = handler }
    }

    /// Schedules a job inside the caller's transaction, so it exists exactly when the act that needs it does.
    public static func schedule(_ db: any SQLDatabase, kind: String, at date: Date, payload: String, now: Date) async throws {
        try await db.raw("""
            INSERT INTO jobs (id, kind, run_at, payload, created_at)
            VALUES (\(bind: ID.make(at: now)), \(bind: kind), \(bind: date.millis), \(bind: payload), \(bind: now.millis))
            """).run()
    }

    /// Runs every job that is due now; returns how many ran.
    @discardableResult
    public func runDue() async throws -> Int {
        let now = clock.now().millis
        let due = try await database.read { db in
            try await db.raw("SELECT id, kind, payload FROM jobs WHERE done_at IS NULL AND run_at <= \(bind: now) ORDER BY run_at, id LIMIT 100")
                .all().map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "kind", as: String.self),
                              try $0.decode(column: "payload", as: String.self)) }
        }
        var ran = 0
        for (id, kind, payload) in due {
            let claimed = try await database.transaction { db in
                try await db.raw("UPDATE jobs SET done_at = \(bind: now) WHERE id = \(bind: id) AND done_at IS NULL RETURNING id").all().count == 1
            }
            guard claimed, let handler = handlers.withLock({ $0[kind] }) else { continue }
            do {
                try await handler(payload)
                ran += 1
            } catch {
                // Give it back with a growing delay (30 s, 1, 2, 4 … minutes, at most 5 tries): a gateway that
                // is down for a while must not cost anyone their escalation.
                let retried = try await database.transaction { db -> Bool in
                    let attempts = try await db.raw("UPDATE jobs SET attempts = attempts + 1 WHERE id = \(bind: id) RETURNING attempts").first()?
                        .decode(column: "attempts", as: Int.self) ?? Self.maxAttempts
                    guard attempts < Self.maxAttempts else { return false }
                    let delay = 30.0 * Double(1 << (attempts - 1))
                    try await db.raw("""
                        UPDATE jobs SET done_at = NULL, run_at = \(bind: clock.now().addingTimeInterval(delay).millis) WHERE id = \(bind: id)
                        """).run()
                    return true
                }
                logger.error("job failed", metadata: ["kind": "\(kind)", "id": "\(id)", "retry": "\(retried)", "error": "\(error)"])
            }
        }
        return ran
    }

    /// Polls for due jobs until cancelled.
    public func run(every interval: Duration = .milliseconds(250)) async {
        let streak = FailureStreak()
        while !Task.isCancelled {
            do {
                try await runDue()
                if streak.succeeded() { logger.info("job polling works again") }
            } catch {
                if Task.isCancelled { return }
                if let quiet = streak.failed() {
                    logger.warning("job poll failed", metadata: ["error": "\(error)", "repeats_not_logged": "\(quiet)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
