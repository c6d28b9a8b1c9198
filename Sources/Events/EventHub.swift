import Foundation
import Synchronization

/// Live delivery inside one node: each connected client has a bounded queue. A client that falls
/// behind by more than its queue is cut off (its stream ends) rather than slowing anyone else or
/// silently losing events; it reconnects with its cursor and replays from the log.
public final class EventHub: Sendable {
    public struct Subscription: Sendable {
        public let id: UUID
        public let personId: String
        public let events: AsyncStream<Event>
    }

    private struct Subscriber {
        var personId: String
        var continuation: AsyncStream<Event>.Continuation
    }

    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    private let byPerson = Mutex<[String: Set<UUID>]>([:])
    public let queueLimit: Int

    public init(queueLimit: Int = 1000) {
        self.queueLimit = queueLimit
    }

    public func subscribe(personId: String) -> Subscription {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingOldest(queueLimit))
        subscribers.withLock { $0[id] = Subscriber(personId: personId, continuation: continuation) }
        byPerson.withLock { _ = $0[personId, default: []].insert(id) }
        continuation.onTermination = { [weak self] _ in self?.remove(id, personId: personId) }
        return Subscription(id: id, personId: personId, events: stream)
    }

    public func unsubscribe(_ s: Subscription) {
        let c = subscribers.withLock { $0[s.id]?.continuation }
        c?.finish()
        remove(s.id, personId: s.personId)
    }

    private func remove(_ id: UUID, personId: String) {
        subscribers.withLock { _ = $0.removeValue(forKey: id) }
        byPerson.withLock { map in
            map[personId]?.remove(id)
            if map[personId]?.isEmpty == true { map.removeValue(forKey: personId) }
        }
    }

    /// Delivers committed events to their recipients' live connections, in order.
    public func publish(_ events: [Event]) {
        for e in events {
            for person in e.recipients {
                guard let ids = byPerson.withLock({ $0[person] }) else { continue }
                for id in ids {
                    guard let c = subscribers.withLock({ $0[id]?.continuation }) else { continue }
                    if case .dropped = c.yield(e) {
                        c.finish()
                    }
                }
            }
        }
    }

    public var connectionCount: Int { subscribers.withLock { $0.count } }
}
