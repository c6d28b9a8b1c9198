import Accounts
import Ding
import Events
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Every open stream on this node, for the sweeps and for shutdown.
final class StreamRegistry: Sendable {
    private let open = Mutex<[ObjectIdentifier: StreamConnection]>([:])

    func add(_ c: StreamConnection) { open.withLock { $0[ObjectIdentifier(c)] = c } }
    func remove(_ c: StreamConnection) { _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(c)) } }
    var all: [StreamConnection] { open.withLock { Array($0.values) } }
    var count: Int { open.withLock { $0.count } }
}

/// DINGs written to live streams, recorded as delivered in batches: a DING to thousands of connected
/// people is a few statements, not one transaction per recipient.
final class DeliveryMarker: Sendable {
    private let pending = Mutex<[(dingId: String, personId: String)]>([])
    private let signal: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init() {
        (signal, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func add(dingId: String, personId: String) {
        pending.withLock { $0.append((dingId, personId)) }
        wake.yield()
    }

    /// Writes what has gathered whenever something arrives; what arrives during a write goes in the next.
    func run(dings: DingService, logger: Logger) async {
        for await _ in signal {
            let batch = pending.withLock { p -> [(dingId: String, personId: String)] in defer { p = [] }; return p }
            do { try await dings.markDelivered(batch) } catch {
                logger.error("could not record DING deliveries", metadata: ["count": "\(batch.count)", "error": "\(error)"])
            }
        }
    }

    func finish() { wake.finish() }
}

/// The streams' background work, one task for all connections rather than tasks per connection:
/// re-checking sessions (a revoked session, an expired one or a disabled person stops receiving),
/// pinging to find dead peers, recording DING deliveries; and on shutdown, closing every stream.
struct StreamService: Service {
    let registry: StreamRegistry
    let delivered: DeliveryMarker
    let accounts: AccountService
    let dings: DingService
    let recheck: Duration
    let ping: Duration
    let logger: Logger

    func run() async throws {
        await withDiscardingTaskGroup { outer in
            // Ends when `finish` is called below, after writing what is left: the last deliveries are
            // recorded, not cancelled, at shutdown. (Deliveries exist only once streams do, so after the
            // migrations.)
            outer.addTask { await delivered.run(dings: dings, logger: logger) }
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while (try? await Task.sleep(for: recheck)) != nil {
                        await recheckSessions()
                    }
                }
                group.addTask {
                    // Spread over the interval, a slice a second: 5,000 pings at once (and their 5,000
                    // pongs) would be a burst that delays every message in flight.
                    let slices = max(1, Int(ping.components.seconds))
                    var tick = 0
                    while (try? await Task.sleep(for: ping / slices)) != nil {
                        tick += 1
                        for c in registry.all where UInt(bitPattern: ObjectIdentifier(c).hashValue) % UInt(slices) == UInt(tick % slices) {
                            c.ping()
                        }
                    }
                }
                try? await gracefulShutdown()
                // The server has closed the streams on its way down (NIO's quiesce); any left are closed here.
                for c in registry.all { c.shutDown() }
                for _ in 0..<50 where registry.count > 0 { try? await Task.sleep(for: .milliseconds(20)) }
                for c in registry.all { c.channel.close(promise: nil) }
                group.cancelAll()
            }
            delivered.finish()
        }
    }

    func recheckSessions() async {
        let open = registry.all
        guard !open.isEmpty else { return }
        do {
            let live = try await accounts.liveSessions(among: Array(Set(open.map(\.ticket.sessionId))))
            for c in open where !live.contains(c.ticket.sessionId) {
                c.close(code: StreamHandler.closeSessionEnded, reason: "session ended; sign in again")
            }
        } catch {
            logger.warning("could not re-check stream sessions", metadata: ["error": "\(error)"])
        }
    }
}
