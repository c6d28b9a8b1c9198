import Foundation
import Testing

/// The directory's change log: every change in commit order, in the same transaction as the change,
/// readable by cursor across a restart; nothing for a refused change.
@Suite struct DirectoryChangesTests {
    func all(_ api: API, since: String = "0") async throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var cursor = since
        while true {
            let page = try expect(await api.get("/api/v1/directory/changes?since=\(cursor)&limit=7"), 200)
            out += page.items
            let next = page["next_cursor"] as! String
            if page.items.isEmpty { #expect(next == cursor); return out }
            cursor = next
        }
    }

    @Test(arguments: Backend.available)
    func everyChangeInOrderAcrossARestart(_ backend: Backend) async throws {
        let url = try await backend.freshDatabaseURL()
        let (fixture, firstHead) = try await TestServer.with(backend, url: url) { api -> (Fixture, String) in
            let f = try await Fixture.build(api)
            let changes = try await all(f.root)
            // 4 regions, 6 orgs, 9 people each with one position, 2 grants.
            let expected = 4 + 6 + 9 * 2 + 2
            #expect(changes.count == expected)
            let seqs = changes.map { Int($0["seq"] as! String)! }
            #expect(seqs == Array(1...seqs.count), "numbered without gaps, in order")
            #expect(changes.prefix(4).allSatisfy { $0["kind"] as? String == "region" && $0["op"] as? String == "create" })
            let alice = changes.first { ($0["data"] as? [String: Any])?["username"] as? String == "alice" }!
            #expect(alice["kind"] as? String == "person" && alice["id"] as? String == f.people["alice"])
            let position = changes.first { $0["kind"] as? String == "position" && ($0["data"] as? [String: Any])?["person_id"] as? String == f.people["alice"] }
            #expect((position?["data"] as? [String: Any])?["org_id"] as? String == f.orgs["D1"])

            // Refused changes leave no trace.
            let head = try expect(await f.root.get("/api/v1/directory/changes?limit=1"), 200)["head"] as! String
            try expect(await f.root.patch("/api/v1/orgs/\(f.orgs["D1"]!)", ["name": ""]), 422)
            let tom = try await f.as_("tom")
            try expect(await tom.patch("/api/v1/orgs/\(f.orgs["D2"]!)", ["name": "越权"]), 403)
            #expect(try expect(await f.root.get("/api/v1/directory/changes?limit=1"), 200)["head"] as? String == head)

            // Only the root administrator follows the whole directory.
            try expect(await tom.get("/api/v1/directory/changes"), 403)
            try expect(await f.as_("alice").get("/api/v1/directory/changes"), 403)
            try expect(await f.root.get("/api/v1/directory/changes?since=abc"), 400)
            try expect(await f.root.get("/api/v1/directory/changes?limit=0"), 400)
            return (f, head)
        }
        try await TestServer.with(backend, url: url) { api in
            let root = try await api.login("admin", TestServer.adminPassword)
            try expect(await root.patch("/api/v1/orgs/\(fixture.orgs["D1"]!)", ["name": "综合办公室"]), 200)
            let erin = try expect(await root.get("/api/v1/people/\(fixture.people["erin"]!)"), 200)
            let positionId = (erin["positions"] as? [[String: Any]])?.first?["id"] as? String ?? ""
            try expect(await root.delete("/api/v1/positions/\(positionId)"), 204)
            // A follower that stopped at the old head gets exactly the new changes, in order.
            let after = try await all(root, since: firstHead)
            #expect(after.map { "\($0["kind"]!).\($0["op"]!)" } == ["org.update", "position.delete"])
            #expect(after.map { Int($0["seq"] as! String)! } == [Int(firstHead)! + 1, Int(firstHead)! + 2])
            #expect((after[0]["data"] as? [String: Any])?["name"] as? String == "综合办公室")
            #expect(after[1]["data"] is NSNull)
        }
    }

    @Test(arguments: Backend.available)
    func concurrentWritersGetConsecutiveNumbers(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let head = Int(try expect(await f.root.get("/api/v1/directory/changes?limit=1"), 200)["head"] as! String)!
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        try expect(await f.root.post("/api/v1/orgs", ["name": "专班\(i)", "kind": "department", "parent_id": f.orgs["U1"]!]), 201)
                    }
                }
                try await group.waitForAll()
            }
            let changes = try await all(f.root, since: String(head))
            #expect(changes.map { Int($0["seq"] as! String)! } == Array(head + 1...head + 12))
            #expect(Set(changes.compactMap { ($0["data"] as? [String: Any])?["name"] as? String }).count == 12)
        }
    }
}
