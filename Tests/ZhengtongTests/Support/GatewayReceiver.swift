import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local HTTP server standing in for an SMS or voice gateway: it records every POST it receives.
final class GatewayReceiver: Sendable {
    struct Received: Sendable { var path: String; var body: Data; var signature: String? }
    private let received = Mutex<[Received]>([])
    private let portBox = Mutex<Int?>(nil)
    /// How many requests to refuse (500) before accepting: a gateway that is down for a while.
    private let failuresLeft: Mutex<Int>

    init(failFirst: Int = 0) { failuresLeft = Mutex(failFirst) }

    var requests: [Received] { received.withLock { $0 } }
    var port: Int { portBox.withLock { $0 } ?? 0 }

    /// Runs the receiver for the duration of `body`.
    func run<T: Sendable>(_ body: @Sendable (GatewayReceiver) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/{channel}") { request, context -> HTTPResponse.Status in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let item = Received(path: request.uri.path, body: Data(buffer: buffer), signature: request.headers[HTTPField.Name("X-Zhengtong-Signature")!])
            self.received.withLock { $0.append(item) }
            let fail = self.failuresLeft.withLock { n -> Bool in
                if n > 0 { n -= 1; return true }
                return false
            }
            return fail ? .internalServerError : .ok
        }
        let (started, startedCont) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in startedCont.yield(channel.localAddress?.port ?? 0) },
                              logger: Logger(label: "gateway"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var it = started.makeAsyncIterator()
            let port = await it.next() ?? 0
            portBox.withLock { $0 = port }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }

    /// Waits until at least `count` requests arrived (or `seconds` pass) and returns them.
    func waitFor(_ count: Int, seconds: Double = 5) async -> [Received] {
        let deadline = Date().addingTimeInterval(seconds)
        while requests.count < count && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return requests
    }
}
