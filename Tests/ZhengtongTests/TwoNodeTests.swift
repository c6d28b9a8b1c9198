import Foundation
import Testing

/// Two `zhengtong` servers on one PostgreSQL deliver each other's events in real time.
@Suite struct TwoNodeTests {
    @Test(.timeLimit(.minutes(5))) func aMessageSentOnNodeAArrivesOnNodeB() async throws {
        guard Backend.available.contains(.postgres) else { return }
        let url = try await Backend.postgres.freshDatabaseURL()
        try await TestServer.with(.postgres, url: url) { nodeA in
            let f = try await Fixture.build(nodeA)
            try await TestServer.with(.postgres, url: url) { nodeB in
                let aliceOnA = try await f.as_("alice")
                let bobOnB = try await nodeB.login("bob", Fixture.password)
                let conv = try expect(await aliceOnA.post("/api/v1/conversations", ["kind": "direct", "members": [f.people["bob"]!]]), 201).id
                let stream = StreamClient(port: nodeB.client.port!, token: bobOnB.token!)
                _ = await stream.untilReady()
                try await Task.sleep(for: .milliseconds(200))
                let started = Date()
                try expect(await aliceOnA.post("/api/v1/conversations/\(conv)/messages", ["text": "从A节点发出", "client_msg_id": "x"]), 201)
                let frame = await stream.next()
                #expect((frame?["data"] as? [String: Any])?["text"] as? String == "从A节点发出")
                #expect(Date().timeIntervalSince(started) < 2)
                // And back: bob answers on B, alice's stream on A receives it.
                let aliceStream = StreamClient(port: nodeA.client.port!, token: aliceOnA.token!)
                _ = await aliceStream.untilReady()
                try expect(await bobOnB.post("/api/v1/conversations/\(conv)/messages", ["text": "B节点收到", "client_msg_id": "y"]), 201)
                #expect((await aliceStream.next()?["data"] as? [String: Any])?["text"] as? String == "B节点收到")
                stream.close()
                aliceStream.close()
            }
        }
    }
}
