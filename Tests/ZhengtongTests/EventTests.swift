import Events
import Foundation
import Logging
import Storage
import Testing

/// The event log and live delivery that the real-time stream is built on.
@Suite struct EventTests {
    struct Payload: Codable { var text: String }

    /// A fresh database of `backend` with its bus running (on PostgreSQL, listening) for `body`.
    static func withBus(_ backend: Backend, queueLimit: Int,
                        _ body: @Sendable (any Database, EventHub, EventBus) async throws -> Void) async throws {
        let url = try await backend.freshDatabaseURL()
        try await Databases.with(try DatabaseLocation(url: url), logger: Logger(label: "test")) { db in
            try await Migrations.migrate(db)
            let hub = EventHub(queueLimit: queueLimit)
            let bus = EventBus(database: db, hub: hub, logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await bus.run() }
                defer { group.cancelAll() }
                try await Task.sleep(for: .milliseconds(200))  // the PostgreSQL listener connects
                try await body(db, hub, bus)
            }
        }
    }

    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func appendReplayAndLiveDelivery(_ backend: Backend) async throws {
        try await Self.withBus(backend, queueLimit: 4) { db, hub, bus in
            let alice = hub.subscribe(personId: "alice")
            var live = alice.events.makeAsyncIterator()

            // A rolled-back transaction leaves no event and notifies nobody.
            struct Boom: Error {}
            _ = try? await db.transaction { c -> [Event] in
                _ = try await EventLog.append(c, [try StagedEvent(type: "test", payload: Payload(text: "lost"), recipients: ["alice"])], at: Date())
                throw Boom()
            }
            let events = try await db.transaction { c in
                try await EventLog.append(c, [
                    try StagedEvent(type: "message", payload: Payload(text: "一"), recipients: ["alice", "bob"]),
                    try StagedEvent(type: "message", payload: Payload(text: "二"), recipients: ["bob"]),
                    try StagedEvent(type: "message", payload: Payload(text: "三"), recipients: ["alice"]),
                ], at: Date())
            }
            bus.committed(events)
            #expect(events.map(\.seq) == [1, 2, 3])
            let first = await live.next(), second = await live.next()
            #expect(first?.seq == 1 && second?.seq == 3)
            #expect(first?.data == #"{"text":"一"}"#)

            // Replay returns exactly what a person was sent after a cursor, in order.
            #expect(try await EventLog.replay(db, personId: "alice", after: 0).map(\.seq) == [1, 3])
            #expect(try await EventLog.replay(db, personId: "alice", after: 1).map(\.seq) == [3])
            #expect(try await EventLog.replay(db, personId: "bob", after: 0).map(\.seq) == [1, 2])
            #expect(try await EventLog.head(db) == 3)

            // A client that falls behind its queue is cut off, not slowed down or silently skipped.
            let slow = hub.subscribe(personId: "carol")
            let burst = try await db.transaction { c in
                try await EventLog.append(c, (0..<10).map { i in
                    try StagedEvent(type: "message", payload: Payload(text: "\(i)"), recipients: ["carol"])
                }, at: Date())
            }
            bus.committed(burst)
            try await Task.sleep(for: .milliseconds(1000))
            var received: [Int64] = []
            for await e in slow.events { received.append(e.seq) }
            // The stream ends after about a queue's worth (one more if the reader was already waiting)…
            #expect(received.count >= 4 && received.count < 10)
            #expect(received == Array(burst.prefix(received.count).map(\.seq)), "in order, with nothing skipped")
            // …and everything is still there to replay.
            #expect(try await EventLog.replay(db, personId: "carol", after: received.last ?? 3).count == 10 - received.count)

            // A large fan-out is one event with many recipient rows.
            let many = (0..<2000).map { "p\($0)" }
            let big = try await db.transaction { c in
                try await EventLog.append(c, [try StagedEvent(type: "ding", payload: Payload(text: "x"), recipients: many)], at: Date())
            }
            #expect(try await EventLog.replay(db, personId: "p1999", after: 0).map(\.seq) == big.map(\.seq))
        }
    }

    /// Writes committed concurrently reach a live client in sequence order, the order a resume by cursor
    /// gives (on SQLite they are published before the next write can commit).
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func concurrentCommitsArriveInSequenceOrder(_ backend: Backend) async throws {
        try await Self.withBus(backend, queueLimit: 10_000) { _, hub, bus in
            let dora = hub.subscribe(personId: "dora")
            let writes = 200
            try await withThrowingTaskGroup(of: Void.self) { writers in
                for i in 0..<writes {
                    writers.addTask {
                        try await bus.transaction(at: Date()) { _, staged in
                            staged.append(try StagedEvent(type: "message", payload: Payload(text: "\(i)"), recipients: ["dora"]))
                        }
                    }
                }
                try await writers.waitForAll()
            }
            var seqs: [Int64] = []
            for await e in dora.events {
                seqs.append(e.seq)
                if seqs.count == writes { break }
            }
            #expect(seqs == seqs.sorted() && Set(seqs).count == writes, "\(seqs)")
        }
    }

    /// Two nodes on one PostgreSQL: an event committed through node A reaches a client of node B.
    @Test(.timeLimit(.minutes(5))) func twoNodesShareEventsThroughPostgres() async throws {
        guard Backend.available.contains(.postgres) else { return }
        let url = try await Backend.postgres.freshDatabaseURL()
        let location = try DatabaseLocation(url: url)
        try await Databases.with(location, logger: Logger(label: "a")) { a in
            try await Databases.with(location, logger: Logger(label: "b")) { b in
                try await Migrations.migrate(a)
                let hubA = EventHub(), hubB = EventHub()
                let busA = EventBus(database: a, hub: hubA, logger: Logger(label: "a"))
                let busB = EventBus(database: b, hub: hubB, logger: Logger(label: "b"))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await busA.run() }
                    group.addTask { await busB.run() }
                    defer { group.cancelAll() }
                    try await Task.sleep(for: .milliseconds(300))
                    let onB = hubB.subscribe(personId: "bob")
                    let onA = hubA.subscribe(personId: "bob")
                    let events = try await a.transaction { c in
                        try await EventLog.append(c, [try StagedEvent(type: "message", payload: Payload(text: "跨节点"), recipients: ["bob"])], at: Date())
                    }
                    busA.committed(events)
                    var itB = onB.events.makeAsyncIterator()
                    var itA = onA.events.makeAsyncIterator()
                    #expect(await itB.next()?.seq == events[0].seq)
                    #expect(await itA.next()?.seq == events[0].seq, "the sending node delivers it once too")
                }
            }
        }
    }
}
