import Foundation
import Testing

@Suite struct MessagingTests {
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func directChatWithLiveDeliveryReceiptsAndResume(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice"), bob = try await f.as_("bob"), carol = try await f.as_("carol")
            let port = api.client.port!
            let bobID = f.people["bob"]!, aliceID = f.people["alice"]!

            // Opening a direct chat twice, from either side, gives the same conversation.
            let conv = try expect(await alice.post("/api/v1/conversations", ["kind": "direct", "members": [bobID]]), 201).id
            #expect(try expect(await alice.post("/api/v1/conversations", ["kind": "direct", "members": [bobID]]), 200).id == conv)
            #expect(try expect(await bob.post("/api/v1/conversations", ["kind": "direct", "members": [aliceID]]), 200).id == conv)
            // Nobody can open a chat with someone they cannot see.
            try expect(await alice.post("/api/v1/conversations", ["kind": "direct", "members": [f.people["dave"]!]]), 422)

            let bobStream = StreamClient(port: port, token: bob.token!)
            let aliceStream = StreamClient(port: port, token: alice.token!)
            let ready = await bobStream.untilReady()
            _ = await aliceStream.untilReady()
            #expect(ready.cursor != nil)

            let sent = try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "你好，单雄信", "client_msg_id": "m1"]), 201)
            #expect(sent["seq"] as? Int == 1)
            #expect(sent["sender_id"] as? String == aliceID && sent["conversation_id"] as? String == conv)
            let live = await bobStream.next()
            #expect(live?["type"] as? String == "message.new")
            #expect((live?["data"] as? [String: Any])?["text"] as? String == "你好，单雄信")
            let cursorAfterFirst = live?["cursor"] as? String
            // The sender's other devices see it too.
            #expect(await aliceStream.next()?["type"] as? String == "message.new")

            // A retry with the same client message id is the same message, sent once.
            let retry = try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "你好，单雄信", "client_msg_id": "m1"]), 200)
            #expect(retry.id == sent.id)
            #expect(await bobStream.next(within: 0.5) == nil)
            // The same client id in another conversation is not a retry: 409, and nothing is sent there.
            let other = try expect(await alice.post("/api/v1/conversations", ["kind": "group", "name": "另一组", "members": [f.people["tom"]!]]), 201).id
            let reused = try expect(await alice.post("/api/v1/conversations/\(other)/messages", ["text": "又一条", "client_msg_id": "m1"]), 409)
            #expect((reused["error"] as? [String: Any])?["code"] as? String == "client_msg_id_reused")
            #expect(try expect(await alice.get("/api/v1/conversations/\(other)/messages"), 200).items.isEmpty)
            #expect(await aliceStream.next()?["type"] as? String == "conversation.created")

            // Unread counts and read receipts.
            let bobList = try expect(await bob.get("/api/v1/conversations"), 200)
            #expect(bobList.items.first?["unread_count"] as? Int == 1)
            #expect((bobList.items.first?["last_message"] as? [String: Any])?["id"] as? String == sent.id)
            var msgs = try expect(await alice.get("/api/v1/conversations/\(conv)/messages"), 200).items
            #expect(msgs.first?["read_count"] as? Int == 0 && msgs.first?["unread_count"] as? Int == 1)
            #expect(try expect(await alice.get("/api/v1/messages/\(sent.id)/receipts"), 200)["unread"] as? [String] == [bobID])
            try expect(await bob.post("/api/v1/conversations/\(conv)/read", ["seq": 1]), 204)
            let receipt = await aliceStream.next()
            #expect(receipt?["type"] as? String == "receipt")
            #expect((receipt?["data"] as? [String: Any])?["reader_id"] as? String == bobID)
            msgs = try expect(await alice.get("/api/v1/conversations/\(conv)/messages"), 200).items
            #expect(msgs.first?["read_count"] as? Int == 1 && msgs.first?["unread_count"] as? Int == 0)
            let receipts = try expect(await alice.get("/api/v1/messages/\(sent.id)/receipts"), 200)
            #expect(receipts["read"] as? [String] == [bobID] && (receipts["unread"] as? [String])?.isEmpty == true)
            try expect(await bob.get("/api/v1/messages/\(sent.id)/receipts"), 403)
            #expect(try expect(await bob.get("/api/v1/conversations"), 200).items.first?["unread_count"] as? Int == 0)

            // Disconnect, miss two messages, resume from the cursor: exactly those two, in order, once.
            bobStream.close()
            for (i, text) in ["第二条", "第三条"].enumerated() {
                try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": text, "client_msg_id": "m\(i + 2)"]), 201)
            }
            let resumed = StreamClient(port: port, token: bob.token!, since: cursorAfterFirst)
            let replay = await resumed.untilReady()
            #expect(replay.replayed.compactMap { ($0["data"] as? [String: Any])?["text"] as? String } == ["第二条", "第三条"])
            try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "第四条", "client_msg_id": "m4"]), 201)
            #expect((await resumed.next()?["data"] as? [String: Any])?["text"] as? String == "第四条")
            #expect(await resumed.next(within: 0.5) == nil, "nothing arrives twice")

            // Bad input is refused and changes nothing.
            let before = try expect(await alice.get("/api/v1/conversations/\(conv)/messages?limit=200"), 200).items.count
            #expect(try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "  ", "client_msg_id": "x1"]), 422).errorCode == "invalid_text")
            #expect(try expect(await alice.post("/api/v1/conversations/\(conv)/messages",
                                                ["text": String(repeating: "字", count: 5001), "client_msg_id": "x2"]), 422).errorCode == "invalid_text")
            try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": String(repeating: "字", count: 5000), "client_msg_id": "x3"]), 201)
            try expect(await alice.post("/api/v1/conversations/0000000000000000/messages", ["text": "hi", "client_msg_id": "x4"]), 404)
            #expect(try expect(await carol.post("/api/v1/conversations/\(conv)/messages", ["text": "hi", "client_msg_id": "x5"]), 403).errorCode == "not_a_member")
            try expect(await carol.get("/api/v1/conversations/\(conv)/messages"), 403)
            try expect(await bob.post("/api/v1/conversations/\(conv)/read", ["seq": 99]), 422)
            try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "hi"]), 400)
            #expect(try expect(await alice.get("/api/v1/conversations/\(conv)/messages?limit=200"), 200).items.count == before + 1)
            resumed.close()
            aliceStream.close()
        }
    }

    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func groupsAndResumeAcrossARestart(_ backend: Backend) async throws {
        let url = try await backend.freshDatabaseURL()
        let (conv, cursor, bobToken): (String, String, String) = try await TestServer.with(backend, url: url) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice"), bob = try await f.as_("bob"), frank = try await f.as_("frank")
            let members = ["bob", "carol", "frank"].map { f.people[$0]! }
            let group = try expect(await alice.post("/api/v1/conversations", ["kind": "group", "name": "项目组", "members": members]), 201)
            #expect((group["members"] as? [[String: Any]])?.count == 4)
            let conv = group.id
            try expect(await alice.post("/api/v1/conversations", ["kind": "group", "name": "", "members": members]), 422)
            // Only the owner or admins add members; anyone may leave; the owner may not.
            try expect(await frank.post("/api/v1/conversations/\(conv)/members", ["members": [f.people["erin"]!]]), 403)
            try expect(await alice.post("/api/v1/conversations/\(conv)/members", ["members": [f.people["tom"]!]]), 200)
            try expect(await frank.delete("/api/v1/conversations/\(conv)/members/\(f.people["frank"]!)"), 204)
            try expect(await frank.get("/api/v1/conversations/\(conv)"), 404)
            try expect(await bob.delete("/api/v1/conversations/\(conv)/members/\(f.people["alice"]!)"), 403)
            try expect(await alice.delete("/api/v1/conversations/\(conv)/members/\(f.people["alice"]!)"), 409)
            // @all is for owners and admins.
            try expect(await bob.post("/api/v1/conversations/\(conv)/messages", ["text": "大家好", "client_msg_id": "b1", "mentions": ["all"]]), 403)
            try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "开会", "client_msg_id": "a1", "mentions": ["all"]]), 201)
            let stream = StreamClient(port: api.client.port!, token: bob.token!)
            let ready = await stream.untilReady()
            stream.close()
            return (conv, ready.cursor!, bob.token!)
        }
        // Messages sent while bob is away, then the server restarts.
        try await TestServer.with(backend, url: url) { api in
            let alice = try await api.login("alice", Fixture.password)
            for i in 1...3 {
                try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "离线消息\(i)", "client_msg_id": "r\(i)"]), 201)
            }
        }
        try await TestServer.with(backend, url: url) { api in
            let stream = StreamClient(port: api.client.port!, token: bobToken, since: cursor)
            let replay = await stream.untilReady()
            #expect(replay.replayed.compactMap { ($0["data"] as? [String: Any])?["text"] as? String } == ["离线消息1", "离线消息2", "离线消息3"])
            let bob = API(client: api.client, token: bobToken)
            let msgs = try expect(await bob.get("/api/v1/conversations/\(conv)/messages?limit=2"), 200)
            #expect(msgs.items.compactMap { $0["seq"] as? Int } == [4, 3])
            let older = try expect(await bob.get("/api/v1/conversations/\(conv)/messages?before_seq=3"), 200)
            #expect(older.items.compactMap { $0["seq"] as? Int } == [2, 1])
            stream.close()
        }
    }
}
