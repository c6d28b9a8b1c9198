import Foundation
import Logging
import SQLKit
import Storage
import Synchronization
import ZhengtongCore

/// Publishes committed events: directly on a single SQLite node; through PostgreSQL LISTEN/NOTIFY when
/// several nodes share one database, so every node (this one included) delivers every event once.
public final class EventBus: Sendable {
    public static let channel = "zhengtong_events"
    public let database: any Database
    public let hub: EventHub
    let logger: Logger
    /// The newest sequence this node has handed to its hub; a notification also covers any gap before it,
    /// so events committed while the listener was reconnecting are still delivered.
    private let delivered = Mutex<Int64>(-1)

    public init(database: any Database, hub: EventHub, logger: Logger) {
        self.database = database
        self.hub = hub
        self.logger = logger
    }

    /// The shape of every write that emits events: `body` changes rows and stages events in one
    /// transaction; the events are appended to the log in that same transaction and published only
    /// after it commits.
    public func transaction<T: Sendable>(at now: Date, _ body: (any SQLDatabase, inout [StagedEvent]) async throws -> T) async throws -> T {
        // Published as soon as it commits, before a later write can commit (on SQLite), so live clients
        // get events in sequence order.
        let (result, _) = try await database.transaction({ db -> (T, [Event]) in
            var staged: [StagedEvent] = []
            let r = try await body(db, &staged)
            return (r, try await EventLog.append(db, staged, at: now))
        }, committed: { committed($0.1) })
        return result
    }

    /// Call after the transaction that appended `events` has committed.
    public func committed(_ events: [Event]) {
        guard !events.isEmpty else { return }
        if !database.supportsNotify { hub.publish(events) }
    }

    /// Runs while the server runs: on PostgreSQL, turns notifications into local deliveries.
    public func run() async {
        guard database.supportsNotify else { return }
        let streak = FailureStreak()
        while !Task.isCancelled {
            do {
                try await database.listen(channel: Self.channel, listening: { [self] in
                    if streak.succeeded() { logger.info("event listener listening again") }
                    // Notifications sent while no connection listened (the database gone for a while)
                    // are lost; what they announced is in the log. At the first start there is nothing
                    // to catch up: live clients start from the head.
                    let head = try await EventLog.head(database)
                    let first = delivered.withLock { d -> Bool in
                        guard d < 0 else { return false }
                        d = head
                        return true
                    }
                    if !first { await deliver(through: head) }
                }) { [self] payload in
                    let parts = payload.split(separator: "-").compactMap { Int64($0) }
                    guard parts.count == 2 else { return }
                    await deliver(through: parts[1])
                }
            } catch {
                if Task.isCancelled { return }
                if let quiet = streak.failed() {
                    logger.warning("event listener lost its connection; reconnecting",
                                   metadata: ["error": "\(error)", "repeats_not_logged": "\(quiet)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Publishes the logged events after the last one delivered, through `last`.
    private func deliver(through last: Int64) async {
        let from = delivered.withLock { max($0 + 1, 0) }
        guard last >= from else { return }
        do {
            let events = try await EventLog.fetch(database, from: from, through: last)
            delivered.withLock { $0 = max($0, last) }
            hub.publish(events)
        } catch {
            // Shutting down cancels the fetch; that is no error worth logging.
            if Task.isCancelled { return }
            logger.error("could not fetch notified events", metadata: ["range": "\(from)-\(last)", "error": "\(error)"])
        }
    }
}
