import Foundation
import Testing

@Suite struct DirectoryAPITests {
    @Test(arguments: Backend.available)
    func searchByNamePinyinInitialsMobileAndTitle(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice")
            func ids(_ q: String, extra: String = "") async throws -> [String] {
                try expect(await alice.get("/api/v1/people?q=\(q)\(extra)&limit=200"), 200).items.compactMap { $0["id"] as? String }
            }
            let zs = f.people["alice"]!  // 张三丰
            #expect(try await ids("张三丰").first == zs)
            #expect(try await ids("三丰").contains(zs))
            #expect(try await ids("zhangsanfeng") == [zs])
            #expect(try await ids("zhang san feng") == [zs])
            #expect(try await ids("zhangs") == [zs])
            #expect(try await ids("ZSF") == [zs])
            #expect(try await ids("zs").contains(zs))
            #expect(try await ids("1380000000").contains(zs))
            #expect(try await ids("科员").contains(zs))
            // Polyphonic surnames read as surnames.
            for (user, pinyin) in [("bob", "shanxiongxin"), ("carol", "zengguofan"), ("dave", "ouzhiqiang"), ("erin", "qiuying"),
                                   ("frank", "xiejin"), ("grace", "zhaliangyong"), ("tom", "piaoshu"), ("oscar", "yuchigong")] {
                let root = f.root
                let found = try expect(await root.get("/api/v1/people?q=\(pinyin)"), 200).items.compactMap { $0["id"] as? String }
                #expect(found == [f.people[user]!], "\(pinyin)")
            }
            // Filters: region subtree, org subtree, line, rank, role.
            let inChunan = try await ids("", extra: "&region=330127000000")
            #expect(Set(inChunan) == Set(["frank", "grace", "tom", "oscar"].map { f.people[$0]! }))
            let inU1 = try await ids("", extra: "&org=\(f.orgs["U1"]!)")
            #expect(inU1.contains(zs) && inU1.contains(f.people["carol"]!) && !inU1.contains(f.people["frank"]!))
            #expect(!inU1.contains(f.people["dave"]!), "hidden department stays hidden under a filter")
            // A term within a filter: searched from the filter's own positions.
            #expect(try await ids("zs", extra: "&org=\(f.orgs["U1"]!)") == [zs])
            #expect(try await ids("三丰", extra: "&region=330122000000") == [zs])
            #expect(try await ids("张", extra: "&region=330127000000").isEmpty)
            #expect(try await ids("zhang", extra: "&org=\(f.orgs["D2"]!)").isEmpty)
            #expect(try await ids("大队长", extra: "&org=\(f.orgs["U1"]!)").isEmpty, "dave's hidden position stays hidden")
            let police = try await ids("", extra: "&line=公安")
            #expect(Set(police) == Set(inChunan))
            try expect(await f.root.patch("/api/v1/people/\(f.people["bob"]!)", ["rank": "一级主任科员"]), 200)
            #expect(try await ids("", extra: "&rank=一级主任科员") == [f.people["bob"]!])
            let pos = try expect(await f.root.get("/api/v1/people/\(f.people["frank"]!)"), 200)["positions"] as! [[String: Any]]
            try expect(await f.root.patch("/api/v1/positions/\(pos[0]["id"] as! String)", ["roles": ["联络员"]]), 200)
            #expect(try await ids("", extra: "&role=联络员") == [f.people["frank"]!])
            // Exact name matches come first.
            try expect(await f.root.post("/api/v1/people", ["name": "张三丰丰", "username": "zs2", "positions": [["org_id": f.orgs["D1"]!]]]), 201)
            let both = try await ids("张三丰")
            #expect(both.count == 2 && both.first == zs)
            // Paging: limit and cursor walk through everything exactly once.
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let page = try expect(await alice.get("/api/v1/people?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")), 200)
                seen += page.items.compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == Set(seen).count)
            #expect(seen.count == (try await ids("")).count)
            try expect(await alice.get("/api/v1/people?limit=201"), 400)
            try expect(await alice.get("/api/v1/people?cursor=garbage"), 400)
        }
    }

    @Test(arguments: Backend.available)
    func orgLifecycleMovesAndCycles(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let root = f.root
            let u1 = f.orgs["U1"]!, d1 = f.orgs["D1"]!, dh = f.orgs["DH"]!
            let sub = try expect(await root.post("/api/v1/orgs", ["name": "综合组", "kind": "department", "parent_id": d1]), 201).id
            // Region lists, children, members.
            let units = try expect(await root.get("/api/v1/regions/330122000000/orgs"), 200)
            #expect(units.items.map { $0["id"] as? String } == [u1])
            let kids = try expect(await root.get("/api/v1/regions/330100000000/children"), 200)
            #expect(kids.items.compactMap { $0["code"] as? String } == ["330122000000", "330127000000"])
            let d1Members = try expect(await root.get("/api/v1/orgs/\(d1)/members"), 200)
            #expect(Set(d1Members.items.compactMap { $0["username"] as? String }) == ["alice", "bob"])
            // A department cannot move under itself or its descendant.
            let cycle = try expect(await root.patch("/api/v1/orgs/\(d1)", ["parent_id": sub]), 422)
            #expect(cycle.errorCode == "invalid_parent_id")
            try expect(await root.patch("/api/v1/orgs/\(d1)", ["parent_id": d1]), 422)
            // Moving D1 under the hidden department hides it and its people from outsiders.
            try expect(await root.patch("/api/v1/orgs/\(d1)", ["parent_id": dh]), 200)
            let frank = try await f.as_("frank")
            try expect(await frank.get("/api/v1/orgs/\(d1)"), 404)
            try expect(await frank.get("/api/v1/orgs/\(sub)"), 404)
            try expect(await frank.get("/api/v1/people/\(f.people["alice"]!)"), 404)
            let dave = try await f.as_("dave")  // inside the hidden department, so he sees what moved under it
            try expect(await dave.get("/api/v1/orgs/\(sub)"), 200)
            try expect(await dave.get("/api/v1/people/\(f.people["alice"]!)"), 200)
            // Unhiding DH brings everything back.
            try expect(await root.patch("/api/v1/orgs/\(dh)", ["hidden": false]), 200)
            try expect(await frank.get("/api/v1/orgs/\(sub)"), 200)
            try expect(await frank.get("/api/v1/people/\(f.people["alice"]!)"), 200)
            // Lines follow the unit.
            try expect(await root.patch("/api/v1/orgs/\(u1)", ["lines": ["市场监管", "食品安全"]]), 200)
            let food = try expect(await frank.get("/api/v1/people?line=食品安全&limit=200"), 200)
            #expect(food.items.contains { $0["username"] as? String == "alice" })
            // Deleting: non-empty orgs are kept.
            let busy = try expect(await root.delete("/api/v1/orgs/\(u1)"), 409)
            #expect(busy.errorCode == "org_not_empty")
            try expect(await root.delete("/api/v1/orgs/\(sub)"), 204)
            try expect(await root.get("/api/v1/orgs/\(sub)"), 404)
        }
    }

    @Test(arguments: Backend.available)
    func peopleAndPositions(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let root = f.root
            let created = try expect(await root.post("/api/v1/people", [
                "name": "欧阳修", "username": "OuYang", "mobile": "13900000001", "email": "oy@example.gov.cn", "rank": "二级调研员",
                "password": "password-456",
                "positions": [["org_id": f.orgs["D1"]!, "title": "主任"], ["org_id": f.orgs["D2"]!, "title": "兼职", "main": true]],
            ]), 201)
            #expect(created["pinyin"] as? String == "ou yang xiu")
            #expect(created["username"] as? String == "ouyang")
            let positions = created["positions"] as! [[String: Any]]
            #expect(positions.filter { $0["main"] as? Bool == true }.map { $0["org_id"] as? String } == [f.orgs["D2"]])
            let id = created.id
            // The new person can sign in.
            let oy = try await api.login("ouyang", "password-456")
            try expect(await oy.get("/api/v1/me"), 200)
            // Duplicate username or mobile: 409, nothing written.
            try expect(await root.post("/api/v1/people", ["name": "x", "username": "ouyang", "positions": [["org_id": f.orgs["D1"]!]]]), 409)
            let dupMobile = try expect(await root.post("/api/v1/people", ["name": "x", "username": "other", "mobile": "13900000001",
                                                                          "positions": [["org_id": f.orgs["D1"]!]]]), 409)
            #expect(dupMobile.errorCode == "mobile_taken")
            try expect(await root.get("/api/v1/people?q=other"), 200)
            // Patch: rename recomputes pinyin; null clears the mobile.
            let renamed = try expect(await root.patch("/api/v1/people/\(id)", ["name": "曾巩", "mobile": NSNull()]), 200)
            #expect(renamed["pinyin"] as? String == "zeng gong")
            #expect(renamed["mobile"] is NSNull)
            // Positions: add, make main, remove.
            let added = try expect(await root.post("/api/v1/people/\(id)/positions", ["org_id": f.orgs["U1"]!, "title": "副局长"]), 201)
            try expect(await root.patch("/api/v1/positions/\(added.id)", ["main": true, "leader": true]), 200)
            let after = try expect(await root.get("/api/v1/people/\(id)"), 200)["positions"] as! [[String: Any]]
            #expect(after.count == 3)
            #expect(after.filter { $0["main"] as? Bool == true }.map { $0["id"] as? String } == [added.id])
            try expect(await root.delete("/api/v1/positions/\(added.id)"), 204)
            let final = try expect(await root.get("/api/v1/people/\(id)"), 200)["positions"] as! [[String: Any]]
            #expect(final.count == 2 && final.filter { $0["main"] as? Bool == true }.count == 1)
            // Disable ends sign-in.
            try expect(await root.delete("/api/v1/people/\(id)"), 204)
            try expect(await oy.get("/api/v1/me"), 401)
        }
    }
}
