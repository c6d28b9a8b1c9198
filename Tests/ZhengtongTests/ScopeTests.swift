import Foundation
import Testing

/// Delegated administration: what each admin may change, by region grant and org grant.
@Suite struct ScopeTests {
    @Test(arguments: Backend.available)
    func adminsActOnlyInsideTheirScope(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let tom = try await f.as_("tom")      // region 桐庐县
            let oscar = try await f.as_("oscar")  // org D2 (淳安县公安局 办公室)
            let alice = try await f.as_("alice")  // no grants

            // Region admin: units located in the region and everything below them.
            try expect(await tom.patch("/api/v1/orgs/\(f.orgs["U1"]!)", ["name": "桐庐县市场监管局"]), 200)
            try expect(await tom.post("/api/v1/orgs", ["name": "法规科", "kind": "department", "parent_id": f.orgs["U1"]!]), 201)
            try expect(await tom.post("/api/v1/orgs", ["name": "新单位", "kind": "unit", "region_code": "330122000000"]), 201)
            try expect(await tom.patch("/api/v1/orgs/\(f.orgs["U2"]!)", ["name": "x"]), 403)
            try expect(await tom.post("/api/v1/orgs", ["name": "y", "kind": "department", "parent_id": f.orgs["U2"]!]), 403)
            try expect(await tom.post("/api/v1/orgs", ["name": "z", "kind": "unit", "region_code": "330127000000"]), 403)
            try expect(await tom.patch("/api/v1/people/\(f.people["alice"]!)", ["rank": "一级科员"]), 200)
            try expect(await tom.delete("/api/v1/people/\(f.people["frank"]!)"), 403)
            try expect(await tom.post("/api/v1/admin/grants", ["person_id": f.people["alice"]!, "role": "directory_admin",
                                                                "org_id": f.orgs["D1"]!]), 201)
            try expect(await tom.post("/api/v1/admin/grants", ["person_id": f.people["alice"]!, "role": "directory_admin",
                                                                "region_code": "330127000000"]), 403)

            // Org admin: that org's subtree only; it cannot create units.
            try expect(await oscar.patch("/api/v1/orgs/\(f.orgs["D2"]!)", ["order": 3]), 200)
            try expect(await oscar.patch("/api/v1/orgs/\(f.orgs["U2"]!)", ["order": 3]), 403)
            try expect(await oscar.post("/api/v1/orgs", ["name": "u", "kind": "unit", "region_code": "330127000000"]), 403)
            try expect(await oscar.post("/api/v1/people", ["name": "新人", "username": "newbie",
                                                           "positions": [["org_id": f.orgs["D2"]!]]]), 201)
            try expect(await oscar.post("/api/v1/people", ["name": "外人", "username": "outsider",
                                                           "positions": [["org_id": f.orgs["D1"]!]]]), 403)
            try expect(await oscar.post("/api/v1/people", ["name": "无岗", "username": "nopos"]), 422)

            // No grants: no administration at all.
            try expect(await alice.post("/api/v1/orgs", ["name": "a", "kind": "department", "parent_id": f.orgs["D1"]!]), 201) // alice now administers D1 (tom's grant)
            let bob = try await f.as_("bob")
            try expect(await bob.post("/api/v1/orgs", ["name": "b", "kind": "department", "parent_id": f.orgs["D1"]!]), 403)
            try expect(await bob.get("/api/v1/admin/grants"), 403)
            try expect(await bob.get("/api/v1/admin/audit"), 403)
            try expect(await bob.patch("/api/v1/people/\(f.people["alice"]!)", ["rank": "x"]), 403)
            // Listing grants shows only those inside the caller's scope.
            let tomGrants = try expect(await tom.get("/api/v1/admin/grants"), 200)
            #expect(!tomGrants.items.contains { $0["org_id"] as? String == f.orgs["D2"] })
            let rootGrants = try expect(await f.root.get("/api/v1/admin/grants"), 200)
            #expect(rootGrants.items.count == 4)
        }
    }
}
