import Foundation
import HummingbirdWSClient
import Logging
import Testing

/// A real WebSocket client on `/api/v1/stream`, collecting frames as parsed JSON.
final class StreamClient: Sendable {
    private let frames: AsyncStream<String>
    private let iterator: IteratorBox
    private let task: Task<Void, any Error>

    final class IteratorBox: @unchecked Sendable {
        // @unchecked: used only by the one test task that reads frames, never concurrently.
        var it: AsyncStream<String>.Iterator
        init(_ it: AsyncStream<String>.Iterator) { self.it = it }
    }

    init(port: Int, token: String, since: String? = nil) {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        frames = stream
        iterator = IteratorBox(stream.makeAsyncIterator())
        var url = "ws://127.0.0.1:\(port)/api/v1/stream?token=\(token)"
        if let since { url += "&since=\(since)" }
        task = Task {
            defer { continuation.finish() }
            try await WebSocketClient.connect(url: url, logger: Logger(label: "ws-test")) { inbound, _, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let s) = message { continuation.yield(s) }
                }
            }
        }
    }

    /// The next frame, or nil if none arrives within `seconds`.
    func next(within seconds: Double = 5) async -> [String: Any]? {
        let box = iterator
        let text: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask { await box.it.next() }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let text, let data = text.data(using: .utf8) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// Frames until the next `ready`, which ends a replay.
    func untilReady() async -> (replayed: [[String: Any]], cursor: String?) {
        var out: [[String: Any]] = []
        while let f = await next() {
            if f["type"] as? String == "ready" { return (out, f["cursor"] as? String) }
            out.append(f)
        }
        return (out, nil)
    }

    func close() { task.cancel() }

    /// A test that throws or is cancelled before it calls `close` must not leave the connection open: the
    /// server's shutdown waits for every connection.
    deinit { task.cancel() }
}
