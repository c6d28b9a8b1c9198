import Foundation
import NIOCore
import Synchronization

/// Where live events go: a WebSocket connection, or an in-process consumer. `receive` must not block;
/// each sink bounds its own queue and, when a client falls behind it, cuts the client off (it
/// reconnects with its cursor and replays from the log).
public protocol EventSink: AnyObject, Sendable {
    /// The event loop `receive` runs on, or nil for a sink that takes events on any thread. The hub
    /// hands each loop one batch per event, not one task per recipient.
    var eventLoop: (any EventLoop)? { get }
    /// `frame` is the event as the stream sends it, encoded once for every recipient.
    func receive(_ event: Event, frame: ByteBuffer)
}

/// Live delivery inside one node: committed events go to the sinks of exactly their recipients.
public final class EventHub: Sendable {
    public struct Subscription: Sendable {
        public let personId: String
        public let events: AsyncStream<Event>
        let sink: QueueSink
    }

    private let sinks = Mutex<[String: [any EventSink]]>([:])
    /// How many events an in-process subscription may hold before it is cut off.
    public let queueLimit: Int

    public init(queueLimit: Int = 1000) {
        self.queueLimit = queueLimit
    }

    public func attach(_ sink: any EventSink, personId: String) {
        sinks.withLock { $0[personId, default: []].append(sink) }
    }

    public func detach(_ sink: any EventSink, personId: String) {
        sinks.withLock { map in
            guard var list = map[personId], let i = list.firstIndex(where: { $0 === sink }) else { return }
            list.remove(at: i)
            map[personId] = list.isEmpty ? nil : list
        }
    }

    /// An in-process subscription as an async sequence that ends when it falls `queueLimit` behind.
    public func subscribe(personId: String) -> Subscription {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingOldest(queueLimit))
        let sink = QueueSink(continuation)
        attach(sink, personId: personId)
        continuation.onTermination = { [weak self, weak sink] _ in
            if let self, let sink { self.detach(sink, personId: personId) }
        }
        return Subscription(personId: personId, events: stream, sink: sink)
    }

    public func unsubscribe(_ s: Subscription) {
        s.sink.continuation.finish()
        detach(s.sink, personId: s.personId)
    }

    /// Delivers committed events to their recipients' live sinks, in order.
    public func publish(_ events: [Event]) {
        for e in events {
            let targets = sinks.withLock { map -> [any EventSink] in
                var out: [any EventSink] = []
                for person in e.recipients { if let list = map[person] { out.append(contentsOf: list) } }
                return out
            }
            guard !targets.isEmpty else { continue }
            let frame = ByteBuffer(string: e.wireText)
            var byLoop: [ObjectIdentifier: (loop: any EventLoop, sinks: [any EventSink])] = [:]
            for t in targets {
                guard let loop = t.eventLoop else { t.receive(e, frame: frame); continue }
                byLoop[ObjectIdentifier(loop), default: (loop, [])].sinks.append(t)
            }
            for (loop, sinks) in byLoop.values {
                loop.execute { for s in sinks { s.receive(e, frame: frame) } }
            }
        }
    }
}

final class QueueSink: EventSink {
    let continuation: AsyncStream<Event>.Continuation
    init(_ continuation: AsyncStream<Event>.Continuation) { self.continuation = continuation }

    var eventLoop: (any EventLoop)? { nil }

    func receive(_ event: Event, frame: ByteBuffer) {
        if case .dropped = continuation.yield(event) { continuation.finish() }
    }
}
