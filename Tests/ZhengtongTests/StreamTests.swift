import Events
import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
@testable import ZhengtongServer

/// The stream's WebSocket below the router: refusals, pings, and a client that cannot keep up.
@Suite struct StreamTests {
    /// An upgrade that is refused answers with the API's JSON error and the real status, not a bare 400.
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func refusedUpgradesSayWhy(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let bob = try await f.as_("bob")
            let port = api.client.port!
            let ws = RawSocket.upgradeHeaders
            func answer(_ target: String, _ headers: String = ws) async throws -> String {
                let s = try RawSocket(port: port)
                try s.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(headers)\r\n")
                return String(decoding: try await s.readUntilClosed(), as: UTF8.self)
            }
            let anonymous = try await answer("/api/v1/stream")
            #expect(anonymous.hasPrefix("HTTP/1.1 401") && anonymous.contains(#""code":"unauthenticated""#))
            #expect(try await answer("/api/v1/stream?token=nope").contains(#""code":"invalid_token""#))
            let badCursor = try await answer("/api/v1/stream?token=\(bob.token!)&since=yesterday")
            #expect(badCursor.hasPrefix("HTTP/1.1 400") && badCursor.contains(#""code":"invalid_cursor""#))
            let noKey = try await answer("/api/v1/stream?token=\(bob.token!)", "Connection: Upgrade\r\nUpgrade: websocket\r\nConnection: close\r\n")
            #expect(noKey.hasPrefix("HTTP/1.1 400") && noKey.contains(#""code":"invalid_upgrade""#))
            let plain = try await answer("/api/v1/stream?token=\(bob.token!)", "Connection: close\r\n")
            #expect(plain.hasPrefix("HTTP/1.1 426") && plain.contains(#""code":"upgrade_required""#))
            // An upgrade to something else (h2c) is served as the plain request it also is.
            #expect(try await answer("/healthz", "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n")
                .hasPrefix("HTTP/1.1 200"))
            // And the stream itself opens.
            let (_, opened) = try await RawSocket.stream(port: port, token: bob.token!)
            #expect(String(decoding: opened, as: UTF8.self).hasPrefix("HTTP/1.1 101"))
        }
    }

    /// The server pings every stream; one that does not answer by the next ping is closed. A client that
    /// answers (as every WebSocket client does) stays.
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func silentPeersAreDroppedAndLiveOnesStay(_ backend: Backend) async throws {
        try await TestServer.with(backend, configure: { $0.streamPingSeconds = 1 }) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice"), bob = try await f.as_("bob")
            let port = api.client.port!
            let conv = try expect(await alice.post("/api/v1/conversations", ["kind": "direct", "members": [f.people["bob"]!]]), 201).id
            let live = StreamClient(port: port, token: bob.token!)
            _ = await live.untilReady()
            let (silent, opened) = try await RawSocket.stream(port: port, token: bob.token!)
            let started = Date()
            let rest = try await silent.readUntilClosed(timeout: 10)
            let lasted = Date().timeIntervalSince(started)
            // Everything before the ping is ASCII (the 101 and the ready frame), so its first byte is findable.
            #expect((opened + rest).contains(0x89), "a ping came")
            #expect(lasted < 5, "closed after an unanswered ping (\(lasted) s)")
            // Then a close frame (0x88) with code 4002 (0x0FA2), before the connection goes.
            let all = opened + rest
            #expect(all.indices.dropLast(3).contains { all[$0] == 0x88 && all[$0 + 2] == 0x0F && all[$0 + 3] == 0xA2 }, "close code 4002 came")
            try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "在吗", "client_msg_id": "p1"]), 201)
            #expect(await live.next()?["type"] as? String == "message.new", "the client that answers pings still receives")
            live.close()
        }
    }

    /// A client's close frame is echoed with its code before the server hangs up; a client that only
    /// half-closes its side (FIN) is let go at once rather than kept until a write fails.
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func clientCloseAndHalfCloseEndTheStream(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let bob = try await f.as_("bob")
            let port = api.client.port!
            func open() async throws -> RawSocket { try await RawSocket.stream(port: port, token: bob.token!).0 }
            // A masked close frame with code 1000 (0x03E8), as clients must send it.
            let closing = try await open()
            let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
            try closing.send(bytes: [0x88, 0x82] + mask + [0x03 ^ mask[0], 0xE8 ^ mask[1]])
            let echo = try await closing.readUntilClosed(timeout: 5)
            #expect(echo == [0x88, 0x02, 0x03, 0xE8], "the close was echoed with 1000, then the connection closed")

            let leaving = try await open()
            leaving.halfClose()
            let after = try await leaving.readUntilClosed(timeout: 3)
            #expect(after.isEmpty, "nothing comes after the FIN, yet got \(after.prefix(64)) \(String(decoding: after.prefix(200), as: UTF8.self))")
        }
    }

    /// A client that stops reading is held to a bounded backlog, then told to resume from its cursor
    /// (close code 4000); events that arrive while a replay runs follow it, minus what it covered.
    @Test func backlogIsBoundedAndReplayHandsOverToLive() throws {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        let handler = StreamHandler(personId: "p", limit: 3, delivered: DeliveryMarker())
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        func event(_ seq: Int64) -> Event { Event(seq: seq, type: "message.new", data: #"{"n":\#(seq)}"#, createdAt: Date(), recipients: ["p"]) }
        func sent() throws -> [String] {
            var out: [String] = []
            while let frame = try channel.readOutbound(as: WebSocketFrame.self) {
                var data = frame.data
                out.append(frame.opcode == .connectionClose ? "close \(data.readInteger(as: UInt16.self) ?? 0)" : data.readString(length: data.readableBytes) ?? "")
            }
            return out
        }
        // Live events during the replay are held; after `ready`, only those past the replay are sent.
        handler.live(event(5), frame: ByteBuffer(string: event(5).wireText))
        handler.live(event(7), frame: ByteBuffer(string: event(7).wireText))
        _ = handler.replay([event(4), event(5)], on: channel.eventLoop)
        handler.goLive(cursor: 5)
        #expect(try sent() == [event(4).wireText, event(5).wireText, #"{"type":"ready","cursor":"5","data":{}}"#, event(7).wireText])

        // The socket stops draining: three events wait, the fourth is one too many.
        channel.isWritable = false
        for seq: Int64 in 8...10 { handler.live(event(seq), frame: ByteBuffer(string: event(seq).wireText)) }
        #expect(try sent().isEmpty)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(try sent() == (Int64(8)...10).map { event($0).wireText }, "drained in order once writable")
        channel.isWritable = false
        for seq: Int64 in 11...14 { handler.live(event(seq), frame: ByteBuffer(string: event(seq).wireText)) }
        #expect(try sent() == ["close 4000"])
    }
}
