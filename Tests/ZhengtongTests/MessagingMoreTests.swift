import Foundation
import Testing
import ZhengtongCore

@Suite struct MessagingMoreTests {
    /// The conversation list pages by key: a conversation that rises to the top while a client pages
    /// through the list neither pushes another onto the next page twice nor hides one.
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func conversationPagesNeitherRepeatNorSkip(_ backend: Backend) async throws {
        let clock = ManualClock()
        try await TestServer.with(backend, clock: clock) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice")
            var groups: [String] = []
            for i in 1...5 {
                clock.advance(by: 1)
                groups.append(try expect(await alice.post("/api/v1/conversations", ["kind": "group", "name": "组\(i)", "members": [f.people["bob"]!]]), 201).id)
            }
            func ids(_ r: Reply) -> [String] { r.items.compactMap { $0["id"] as? String } }
            let first = try expect(await alice.get("/api/v1/conversations?limit=2"), 200)
            #expect(ids(first) == [groups[4], groups[3]])
            // The oldest rises to the top before the next page is asked for.
            clock.advance(by: 1)
            try expect(await alice.post("/api/v1/conversations/\(groups[0])/messages", ["text": "顶上来", "client_msg_id": "rise"]), 201)
            let cursor = try #require(first["next_cursor"] as? String)
            let second = try expect(await alice.get("/api/v1/conversations?limit=2&cursor=\(cursor)"), 200)
            #expect(ids(second) == [groups[2], groups[1]], "nothing from the first page again")
            #expect(second["next_cursor"] is NSNull, "the risen one is above the cursor, not below it")
            #expect(ids(try expect(await alice.get("/api/v1/conversations?limit=200"), 200)) == [groups[0], groups[4], groups[3], groups[2], groups[1]])
            #expect(try expect(await alice.get("/api/v1/conversations?cursor=\(Data("k:12:nope".utf8).base64EncodedString())"), 400).errorCode == "invalid_cursor")
            // Each summary on a page has its own newest message and unread count (read for the page at once).
            clock.advance(by: 1)
            try expect(await alice.post("/api/v1/conversations/\(groups[2])/messages", ["text": "第二条", "client_msg_id": "two-a"]), 201)
            try expect(await alice.post("/api/v1/conversations/\(groups[2])/messages", ["text": "第三条", "client_msg_id": "two-b"]), 201)
            let bob = try await f.as_("bob")
            let summaries = try expect(await bob.get("/api/v1/conversations?limit=200"), 200).items
            func summary(_ id: String) -> (String?, Int?) {
                let s = summaries.first { $0["id"] as? String == id }
                return ((s?["last_message"] as? [String: Any])?["text"] as? String, s?["unread_count"] as? Int)
            }
            #expect(summary(groups[2]) == ("第三条", 2) && summary(groups[0]) == ("顶上来", 1))
            #expect(summary(groups[1]) == (nil, 0) && summary(groups[4]) == (nil, 0))
        }
    }

    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func recallRules(_ backend: Backend) async throws {
        let clock = ManualClock()
        try await TestServer.with(backend, clock: clock) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice"), bob = try await f.as_("bob")
            let conv = try expect(await alice.post("/api/v1/conversations", ["kind": "group", "name": "组", "members": [f.people["bob"]!]]), 201).id
            let fromBob = try expect(await bob.post("/api/v1/conversations/\(conv)/messages", ["text": "说错了", "client_msg_id": "b1"]), 201).id
            let alsoBob = try expect(await bob.post("/api/v1/conversations/\(conv)/messages", ["text": "旧消息", "client_msg_id": "b2"]), 201).id
            let stream = StreamClient(port: api.client.port!, token: alice.token!)
            _ = await stream.untilReady()
            // The sender recalls within 24 hours; everyone sees "recalled", the text is gone.
            let recalled = try expect(await bob.post("/api/v1/messages/\(fromBob)/recall"), 200)
            #expect(recalled["recalled"] as? Bool == true && recalled["text"] as? String == "")
            let event = await stream.next()
            #expect(event?["type"] as? String == "message.recalled")
            // A client resuming from before the message replays it recalled, not the text.
            let replay = await StreamClient(port: api.client.port!, token: alice.token!, since: "0").untilReady().replayed
            let replayedText = replay.filter { $0["type"] as? String == "message.new" }.compactMap { ($0["data"] as? [String: Any])?["text"] as? String }
            #expect(!replayedText.contains("说错了"))
            let seen = try expect(await alice.get("/api/v1/conversations/\(conv)/messages"), 200).items
            #expect(seen.first { $0["id"] as? String == fromBob }?["text"] as? String == "")
            // Others may not recall someone's message; after 24 hours the sender may not either…
            try expect(await alice.post("/api/v1/messages/\(fromBob)/recall"), 200) // alice owns the group
            clock.advance(by: 24 * 3600 + 1)
            let late = try expect(await bob.post("/api/v1/messages/\(alsoBob)/recall"), 403)
            #expect(late.errorCode == "recall_expired")
            #expect(try expect(await alice.get("/api/v1/conversations/\(conv)/messages"), 200).items
                .first { $0["id"] as? String == alsoBob }?["text"] as? String == "旧消息", "nothing changed")
            // …but the group's owner may, at any time.
            try expect(await alice.post("/api/v1/messages/\(alsoBob)/recall"), 200)
            let carol = try await f.as_("carol")
            try expect(await carol.post("/api/v1/messages/\(alsoBob)/recall"), 403)
            try expect(await carol.post("/api/v1/messages/0000000000000000/recall"), 404)
            // The owner's recall of bob's message is audited; bob's own was not (nor alice's second try, a no-op).
            let recalls = try expect(await f.root.get("/api/v1/admin/audit?limit=50"), 200).items.filter { $0["action"] as? String == "message.recall" }
            #expect(recalls.map { $0["target_id"] as? String } == [alsoBob] && recalls.first?["actor_id"] as? String == f.people["alice"])
            stream.close()
        }
    }

    /// Read receipts in a large group: each read is one write, counts stay exact.
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func receiptsInALargeGroup(_ backend: Backend) async throws {
        try await TestServer.with(backend, demo: "county") { api in
            let staff = try await api.login("staff", "zhengtong")
            var members: [String] = []
            var cursor: String? = nil
            repeat {
                let page = try expect(await staff.get("/api/v1/people?limit=200" + (cursor.map { "&cursor=\($0)" } ?? "")), 200)
                members += page.items.compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil && members.count < 1000
            let me = try expect(await staff.get("/api/v1/me"), 200).id
            var readers: [API] = []
            var readerIds: [String] = []
            for username in ["leader", "countyadmin", "deptadmin"] {
                let reader = try await api.login(username, "zhengtong")
                readers.append(reader)
                readerIds.append(try expect(await reader.get("/api/v1/me"), 200).id)
            }
            members = Array((readerIds + members.filter { $0 != me && !readerIds.contains($0) }).prefix(999))
            let conv = try expect(await staff.post("/api/v1/conversations", ["kind": "group", "name": "全县通知", "members": members]), 201)
            #expect((conv["members"] as? [[String: Any]])?.count == 1000)
            let msg = try expect(await staff.post("/api/v1/conversations/\(conv.id)/messages", ["text": "请今天下班前回复", "client_msg_id": "n1"]), 201)
            #expect(msg["unread_count"] as? Int == 999)
            // Three members read it.
            for reader in readers {
                try expect(await reader.post("/api/v1/conversations/\(conv.id)/read", ["seq": 1]), 204)
            }
            let after = try expect(await staff.get("/api/v1/conversations/\(conv.id)/messages"), 200).items[0]
            #expect(after["read_count"] as? Int == 3 && after["unread_count"] as? Int == 996)
            let receipts = try expect(await staff.get("/api/v1/messages/\(msg.id)/receipts"), 200)
            #expect((receipts["read"] as? [String])?.count == 3 && (receipts["unread"] as? [String])?.count == 996)
        }
    }
}

@Suite struct OrgGroupTests {
    /// A department group's membership follows the directory: new positions join it, ended ones leave.
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func departmentGroupFollowsTheDirectory(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice"), frank = try await f.as_("frank")
            // U1 with its subtree: alice, bob (D1), carol (U1), dave (DH), erin (DS).
            let group = try expect(await alice.post("/api/v1/conversations", ["kind": "org", "org_id": f.orgs["U1"]!, "include_subtree": true]), 201)
            let members = Set((group["members"] as? [[String: Any]] ?? []).compactMap { $0["person_id"] as? String })
            #expect(members == Set(["alice", "bob", "carol", "dave", "erin"].map { f.people[$0]! }))
            #expect(try expect(await alice.post("/api/v1/conversations", ["kind": "org", "org_id": f.orgs["U1"]!, "include_subtree": true]), 200).id == group.id)
            // Without the subtree: only U1's own people, and only they (or its admins) open it.
            try expect(await alice.post("/api/v1/conversations", ["kind": "org", "org_id": f.orgs["U1"]!]), 403)
            let carol = try await f.as_("carol")
            let own = try expect(await carol.post("/api/v1/conversations", ["kind": "org", "org_id": f.orgs["U1"]!]), 201)
            #expect((own["members"] as? [[String: Any]])?.count == 1)
            // Outsiders cannot open it.
            try expect(await frank.post("/api/v1/conversations", ["kind": "org", "org_id": f.orgs["U1"]!]), 403)
            // frank takes a position in D1: the group appears in his list and reaches him.
            let pos = try expect(await f.root.post("/api/v1/people/\(f.people["frank"]!)/positions", ["org_id": f.orgs["D1"]!, "title": "借调"]), 201).id
            let mine = try expect(await frank.get("/api/v1/conversations"), 200)
            #expect(mine.items.contains { $0["id"] as? String == group.id })
            try expect(await alice.post("/api/v1/conversations/\(group.id)/messages", ["text": "欢迎", "client_msg_id": "w"]), 201)
            #expect(try expect(await frank.get("/api/v1/conversations/\(group.id)/messages"), 200).items.count == 1)
            // The position ends: he leaves the group.
            try expect(await f.root.delete("/api/v1/positions/\(pos)"), 204)
            try expect(await alice.post("/api/v1/conversations/\(group.id)/messages", ["text": "再见", "client_msg_id": "z"]), 201)
            try expect(await frank.get("/api/v1/conversations/\(group.id)/messages"), 403)
            // Its membership is the directory's business: no manual adds.
            try expect(await alice.post("/api/v1/conversations/\(group.id)/members", ["members": [f.people["frank"]!]]), 422)
        }
    }
}

@Suite struct MessageSearchTests {
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func chineseFullTextOverMyConversationsOnly(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice"), bob = try await f.as_("bob"), frank = try await f.as_("frank")
            let ab = try expect(await alice.post("/api/v1/conversations", ["kind": "direct", "members": [f.people["bob"]!]]), 201).id
            let af = try expect(await alice.post("/api/v1/conversations", ["kind": "direct", "members": [f.people["frank"]!]]), 201).id
            let texts = ["明天上午九点开会，请准时参加", "防汛工作部署会议纪要已上传", "开会地点改到三楼会议室", "Typhoon In-Fa update"]
            var ids: [String] = []
            for (i, t) in texts.enumerated() {
                ids.append(try expect(await alice.post("/api/v1/conversations/\(ab)/messages", ["text": t, "client_msg_id": "t\(i)"]), 201).id)
            }
            try expect(await alice.post("/api/v1/conversations/\(af)/messages", ["text": "给frank的开会通知", "client_msg_id": "f1"]), 201)
            func found(_ who: API, _ q: String) async throws -> [String] {
                try expect(await who.get("/api/v1/search/messages?q=\(q)"), 200).items.compactMap { $0["text"] as? String }
            }
            // Two-character words, newest first, only where the searcher is a member.
            #expect(try await found(bob, "开会") == ["开会地点改到三楼会议室", "明天上午九点开会，请准时参加"])
            #expect(try await found(alice, "开会").count == 3)
            #expect(try await found(frank, "开会") == ["给frank的开会通知"])
            #expect(try await found(bob, "会议").count == 2)
            #expect(try await found(bob, "部署会议纪要") == ["防汛工作部署会议纪要已上传"])
            #expect(try await found(bob, "typhoon in") == ["Typhoon In-Fa update"])
            #expect(try await found(bob, "开完会").isEmpty)
            // Recalled messages are no longer found.
            try expect(await alice.post("/api/v1/messages/\(ids[2])/recall"), 200)
            #expect(try await found(bob, "开会") == ["明天上午九点开会，请准时参加"])
            // Paging.
            let page = try expect(await alice.get("/api/v1/search/messages?q=会&limit=1"), 422)
            #expect(page.errorCode == "invalid_q")
            let first = try expect(await alice.get("/api/v1/search/messages?q=开会&limit=1"), 200)
            let next = try expect(await alice.get("/api/v1/search/messages?q=开会&limit=1&cursor=\(first["next_cursor"] as! String)"), 200)
            #expect(first.items.first?["id"] as? String != next.items.first?["id"] as? String)
        }
    }
}

@Suite struct AttachmentTests {
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: UInt8(7), count: 200))

    func upload(_ who: API, _ data: Data, type: String, name: String = "图.png") async throws -> Reply {
        try await who.upload("/api/v1/attachments?name=\(name)", data, contentType: type)
    }

    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func uploadAttachDownloadAndRecall(_ backend: Backend) async throws {
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("zt-files-\(UUID().uuidString)")
        try await TestServer.with(backend, configure: { $0.attachmentsDir = files.path }) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice"), bob = try await f.as_("bob"), frank = try await f.as_("frank")
            let conv = try expect(await alice.post("/api/v1/conversations", ["kind": "direct", "members": [f.people["bob"]!]]), 201).id
            let up = try expect(await upload(alice, Self.png, type: "image/png"), 201)
            #expect(up["size"] as? Int == Self.png.count && (up["sha256"] as? String)?.count == 64)
            // Content type is checked against the bytes; unknown types and oversize files are refused.
            #expect(try expect(await upload(alice, Data("MZ not a png".utf8), type: "image/png"), 422).errorCode == "content_mismatch")
            #expect(try expect(await upload(alice, Data([1, 2, 3]), type: "application/x-msdownload"), 422).errorCode == "unsupported_content_type")
            #expect(try expect(await upload(alice, Data(repeating: 0x41, count: 3 << 20), type: "text/plain"), 413).errorCode == "file_too_large")
            // Sent with a message: members may download it, others may not.
            let msg = try expect(await alice.post("/api/v1/conversations/\(conv)/messages",
                                                  ["text": "截图", "client_msg_id": "a1", "attachments": [up.id]]), 201)
            #expect((msg["attachments"] as? [[String: Any]])?.first?["id"] as? String == up.id)
            let got = try await bob.raw("/api/v1/attachments/\(up.id)")
            #expect(got.status == .ok && got.body == Self.png && got.contentType == "image/png")
            #expect(try await frank.raw("/api/v1/attachments/\(up.id)").status == .notFound)
            // An upload is attached once, and only by its uploader.
            try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "again", "client_msg_id": "a2", "attachments": [up.id]]), 422)
            let other = try expect(await upload(bob, Self.png, type: "image/png"), 201).id
            try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "steal", "client_msg_id": "a3", "attachments": [other]]), 422)
            // Recall erases the file too, from the disk, once the recall has committed.
            let onDisk = files.appendingPathComponent(up.id).path
            #expect(FileManager.default.fileExists(atPath: onDisk))
            try expect(await alice.post("/api/v1/messages/\(msg.id)/recall"), 200)
            #expect(try await bob.raw("/api/v1/attachments/\(up.id)").status == .notFound)
            #expect(!FileManager.default.fileExists(atPath: onDisk))
        }
    }
}

@Suite struct GroupAdminTests {
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func renameAdminsAndOwnerTransfer(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice"), bob = try await f.as_("bob"), frank = try await f.as_("frank")
            let (bobID, frankID) = (f.people["bob"]!, f.people["frank"]!)
            let conv = try expect(await alice.post("/api/v1/conversations", ["kind": "group", "name": "旧名", "members": [bobID, frankID]]), 201).id
            // Members may not rename; the owner may; admins may once appointed.
            #expect(try expect(await bob.patch("/api/v1/conversations/\(conv)", ["name": "新名"]), 403).errorCode == "not_group_admin")
            #expect(try expect(await alice.patch("/api/v1/conversations/\(conv)", ["name": "新名"]), 200)["name"] as? String == "新名")
            try expect(await alice.patch("/api/v1/conversations/\(conv)", ["name": ""]), 422)
            try expect(await bob.patch("/api/v1/conversations/\(conv)/members/\(frankID)", ["role": "admin"]), 403)
            try expect(await alice.patch("/api/v1/conversations/\(conv)/members/\(bobID)", ["role": "admin"]), 200)
            try expect(await bob.patch("/api/v1/conversations/\(conv)", ["name": "再改"]), 200)
            try expect(await bob.post("/api/v1/conversations/\(conv)/messages", ["text": "全体注意", "client_msg_id": "b", "mentions": ["all"]]), 201)
            // Ownership moves to frank; alice stays as an admin and may now leave.
            try expect(await bob.post("/api/v1/conversations/\(conv)/owner", ["person_id": frankID]), 403)
            let moved = try expect(await alice.post("/api/v1/conversations/\(conv)/owner", ["person_id": frankID]), 200)
            #expect(moved["owner_id"] as? String == frankID)
            let roles = Dictionary(uniqueKeysWithValues: (moved["members"] as? [[String: Any]] ?? []).map { ($0["person_id"] as! String, $0["role"] as! String) })
            #expect(roles[frankID] == "owner" && roles[f.people["alice"]!] == "admin")
            try expect(await frank.post("/api/v1/conversations/\(conv)/owner", ["person_id": f.people["dave"]!]), 422)
            try expect(await alice.delete("/api/v1/conversations/\(conv)/members/\(f.people["alice"]!)"), 204)
            try expect(await frank.delete("/api/v1/conversations/\(conv)/members/\(bobID)"), 204)
            // The administration is in the audit log, each act under its actor; leaving and refused acts are not.
            let rows = try expect(await f.root.get("/api/v1/admin/audit?limit=50"), 200).items.filter { $0["target_id"] as? String == conv }
            #expect(rows.allSatisfy { $0["client_address"] as? String == "127.0.0.1" }, "each row says where the act came from")
            let audit = rows
                .map { "\($0["action"] as? String ?? "?") by \($0["actor_id"] as? String == f.people["alice"] ? "alice" : $0["actor_id"] as? String == bobID ? "bob" : "frank")" }
            #expect(audit.reversed() == ["conversation.rename by alice", "conversation.set_role by alice", "conversation.rename by bob",
                                         "conversation.transfer_owner by alice", "conversation.remove_member by frank"], "\(audit)")
        }
    }
}

@Suite struct StreamSessionTests {
    /// Revoking a session (or signing out) ends its live stream within the re-check interval.
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func aRevokedSessionStopsReceiving(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice"), bob = try await f.as_("bob")
            let conv = try expect(await alice.post("/api/v1/conversations", ["kind": "direct", "members": [f.people["bob"]!]]), 201).id
            let stream = StreamClient(port: api.client.port!, token: bob.token!)
            _ = await stream.untilReady()
            try expect(await bob.post("/api/v1/auth/logout"), 204)
            try await Task.sleep(for: .milliseconds(1500))
            try expect(await alice.post("/api/v1/conversations/\(conv)/messages", ["text": "还在吗", "client_msg_id": "x"]), 201)
            #expect(await stream.next(within: 1.5) == nil, "the stream was closed")
        }
    }
}
