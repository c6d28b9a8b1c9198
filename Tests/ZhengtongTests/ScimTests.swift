import Foundation
import HTTPTypes
import Testing
import ZhengtongCore

/// SCIM 2.0 within a provisioning token's subtree. (Conformance as a whole is scim2-tester's job, run
/// by scim-tests/run; these pin down scope, filters, PATCH paths, ETags and what reaches the directory.)
@Suite struct ScimTests {
    static func users(_ r: Reply) -> [String] {
        (r["Resources"] as? [[String: Any]] ?? []).compactMap { $0["userName"] as? String }
    }

    func token(_ f: Fixture, as admin: API, org: String) async throws -> API {
        let r = try expect(await admin.post("/api/v1/admin/provisioning-tokens", ["name": "统一身份认证", "org_id": org]), 201)
        var client = admin
        client.token = try #require(r["token"] as? String)
        #expect(client.token!.hasPrefix("ztp_"))
        return client
    }

    @Test(arguments: Backend.available)
    func aTokenReachesOnlyItsSubtree(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let tom = try await f.as_("tom")
            try expect(await tom.post("/api/v1/admin/provisioning-tokens", ["name": "x", "org_id": f.orgs["U2"]!]), 403)
            try expect(await f.as_("alice").post("/api/v1/admin/provisioning-tokens", ["name": "x", "org_id": f.orgs["D1"]!]), 403)
            let scim = try await token(f, as: tom, org: f.orgs["U1"]!)
            #expect(try expect(await tom.get("/api/v1/admin/provisioning-tokens"), 200).items.count == 1)

            // Everyone in U1 and below (the hidden department included: the token administers it), nobody else.
            let all = try expect(await scim.get("/scim/v2/Users?sortBy=userName"), 200)
            #expect(all.headers[.contentType] == "application/scim+json")
            #expect(Self.users(all) == ["alice", "bob", "carol", "dave", "erin"])
            let frank = try expect(await scim.get("/scim/v2/Users/\(f.people["frank"]!)"), 404)
            #expect(frank["schemas"] as? [String] == ["urn:ietf:params:scim:api:messages:2.0:Error"] && frank["status"] as? String == "404")
            try expect(await scim.get("/scim/v2/Groups/\(f.orgs["D2"]!)"), 404)
            // A new User lands in the token's org; a person outside cannot be made a member.
            let u = try expect(await scim.post("/scim/v2/Users", ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                                                 "userName": "Zhao.Yun", "displayName": "赵云", "externalId": "hr-0042",
                                                                 "emails": [["value": "zhaoyun@example.gov.cn", "primary": true]]]), 201)
            #expect(u["userName"] as? String == "zhao.yun" && u["externalId"] as? String == "hr-0042")
            #expect(u.headers[.location] == (u["meta"] as? [String: Any])?["location"] as? String)
            let person = try expect(await f.root.get("/api/v1/people/\(u.id)"), 200)
            #expect((person["positions"] as? [[String: Any]])?.first?["org_id"] as? String == f.orgs["U1"])
            #expect(person["email"] as? String == "zhaoyun@example.gov.cn")
            let g = try expect(await scim.post("/scim/v2/Groups", ["displayName": "专班", "members": [["value": u.id]]]), 201)
            try expect(await scim.put("/scim/v2/Groups/\(g.id)", ["displayName": "专班", "members": [["value": f.people["frank"]!]]]), 400)
            // The same username again is a uniqueness conflict.
            let again = try expect(await scim.post("/scim/v2/Users", ["userName": "zhao.yun", "displayName": "赵云"]), 409)
            #expect(again["scimType"] as? String == "uniqueness")
            // Audited in the issuing administrator's name, marked as the SCIM client.
            let audit = try expect(await f.root.get("/api/v1/admin/audit?limit=20"), 200).items
            #expect(audit.contains { $0["action"] as? String == "person.create" && $0["actor_name"] as? String == "SCIM: 统一身份认证" })

            // Bearer sessions are not provisioning tokens; a revoked token stops working.
            try expect(await scim.get("/scim/v2/Users", token: f.root.token), 401)
            let id = try expect(await tom.get("/api/v1/admin/provisioning-tokens"), 200).items[0]["id"] as! String
            try expect(await tom.delete("/api/v1/admin/provisioning-tokens/\(id)"), 204)
            try expect(await scim.get("/scim/v2/Users"), 401)
        }
    }

    @Test(arguments: Backend.available)
    func filtersSortingPagingAndProjection(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let scim = try await token(f, as: f.root, org: f.orgs["U1"]!)
            func names(_ filter: String, _ extra: String = "") async throws -> [String] {
                Self.users(try expect(await scim.get("/scim/v2/Users?sortBy=userName&filter=\(filter)\(extra)"), 200))
            }
            #expect(try await names(#"userName eq "ALICE""#) == ["alice"])
            #expect(try await names(#"displayName co "国""#) == ["carol"])
            #expect(try await names(#"userName sw "b" or userName sw "c""#) == ["bob", "carol"])
            #expect(try await names(#"groups[display eq "办公室"] and not (userName eq "bob")"#) == ["alice"])
            #expect(try await names(#"title pr"#) == ["alice", "carol", "dave"])
            #expect(try await names(#"active eq false"#) == [])
            let page = try expect(await scim.get("/scim/v2/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=2"), 200)
            #expect(Self.users(page) == ["dave", "carol"] && page["totalResults"] as? Int == 5 && page["startIndex"] as? Int == 2)
            let bad = try expect(await scim.get("/scim/v2/Users?filter=userName%20eq"), 400)
            #expect(bad["scimType"] as? String == "invalidFilter")
            // attributes: only what is asked (id and schemas always); the directory's own data on request.
            let one = try expect(await scim.get("/scim/v2/Users/\(f.people["carol"]!)?attributes=userName"), 200).object
            #expect(Set(one.keys) == ["id", "schemas", "userName"])
            let ext = "urn:zhengtong:params:scim:schemas:extension:2.0:User"
            let plain = try expect(await scim.get("/scim/v2/Users/\(f.people["carol"]!)"), 200).object
            #expect(plain[ext] == nil)
            let asked = try expect(await scim.get("/scim/v2/Users/\(f.people["carol"]!)?attributes=\(ext):seniorMode,\(ext):positions"), 200)
            let positions = (asked[ext] as? [String: Any])?["positions"] as? [[String: Any]]
            #expect((asked[ext] as? [String: Any])?["seniorMode"] as? Bool == true && positions?.first?["leader"] as? Bool == true)
            let search = try expect(await scim.post("/scim/v2/Users/.search", ["schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                                                              "filter": #"userName eq "erin""#]), 200)
            #expect(Self.users(search) == ["erin"])
            // Discovery, and SCIM's 404 and 405.
            let types = try expect(await scim.get("/scim/v2/ResourceTypes"), 200)
            #expect((types["Resources"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["User", "Group"])
            try expect(await scim.get("/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"), 200)
            try expect(await scim.post("/scim/v2/ServiceProviderConfig", [:]), 405)
            try expect(await scim.get("/scim/v2/Nothing"), 404)
        }
    }

    /// `meta.lastModified` follows the person's positions too, not only the person's own row.
    @Test(arguments: Backend.available)
    func positionChangesMoveLastModified(_ backend: Backend) async throws {
        let clock = ManualClock()
        try await TestServer.with(backend, clock: clock) { api in
            let f = try await Fixture.build(api)
            let scim = try await token(f, as: f.root, org: f.orgs["U1"]!)
            let alice = f.people["alice"]!
            func lastModified() async throws -> String {
                let meta = try expect(await scim.get("/scim/v2/Users/\(alice)"), 200)["meta"] as? [String: Any]
                return try #require(meta?["lastModified"] as? String)
            }
            var seen = [try await lastModified()]
            clock.advance(by: 60)
            let position = try expect(await f.root.post("/api/v1/people/\(alice)/positions", ["org_id": f.orgs["DS"]!, "title": "联络员"]), 201).id
            seen.append(try await lastModified())
            clock.advance(by: 60)
            try expect(await f.root.patch("/api/v1/positions/\(position)", ["title": "组员"]), 200)
            seen.append(try await lastModified())
            clock.advance(by: 60)
            try expect(await f.root.delete("/api/v1/positions/\(position)"), 204)
            seen.append(try await lastModified())
            #expect(seen == seen.sorted() && Set(seen).count == 4, "\(seen)")
        }
    }

    @Test(arguments: Backend.available)
    func patchEtagsAndDelete(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let scim = try await token(f, as: f.root, org: f.orgs["U1"]!)
            let alice = f.people["alice"]!
            let before = try expect(await scim.get("/scim/v2/Users/\(alice)"), 200)
            let etag = try #require(before.headers[.eTag])
            try expect(await scim.get("/scim/v2/Users/\(alice)", headers: [.ifNoneMatch: etag]), 304)
            let op = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
            let patched = try expect(await scim.patch("/scim/v2/Users/\(alice)", ["schemas": [op], "Operations": [
                ["op": "replace", "path": "displayName", "value": "张三"],
                ["op": "add", "path": "urn:zhengtong:params:scim:schemas:extension:2.0:User:rank", "value": "一级科员"],
                ["op": "replace", "value": ["active": false]],
            ]], headers: [.ifMatch: etag]), 200)
            #expect(patched["displayName"] as? String == "张三" && patched["active"] as? Bool == false)
            let person = try expect(await f.root.get("/api/v1/people/\(alice)"), 200)
            #expect(person["name"] as? String == "张三" && person["rank"] as? String == "一级科员" && person["status"] as? String == "disabled")
            // The old version no longer matches; the username cannot change.
            let stale = try expect(await scim.patch("/scim/v2/Users/\(alice)", ["schemas": [op], "Operations": [["op": "replace", "path": "title", "value": "x"]]],
                                                    headers: [.ifMatch: etag]), 412)
            #expect(stale["status"] as? String == "412")
            let fixed = try expect(await scim.patch("/scim/v2/Users/\(alice)", ["schemas": [op], "Operations": [["op": "replace", "path": "userName", "value": "zz"]]]), 400)
            #expect(fixed["scimType"] as? String == "mutability")

            // Members: removed by a value filter, which removes the position.
            let d1 = f.orgs["D1"]!
            let group = try expect(await scim.get("/scim/v2/Groups/\(d1)"), 200)
            #expect((group["members"] as? [[String: Any]])?.count == 2)
            try expect(await scim.patch("/scim/v2/Groups/\(d1)", ["schemas": [op], "Operations": [
                ["op": "remove", "path": "members[value eq \"\(f.people["bob"]!)\"]"]]]), 200)
            #expect((try expect(await f.root.get("/api/v1/people/\(f.people["bob"]!)"), 200)["positions"] as? [Any])?.isEmpty == true)
            // Deleting a User removes their positions here and, with none left, disables them: gone for SCIM.
            try expect(await scim.delete("/scim/v2/Users/\(f.people["dave"]!)"), 204)
            try expect(await scim.get("/scim/v2/Users/\(f.people["dave"]!)"), 404)
            #expect(try expect(await f.root.get("/api/v1/people/\(f.people["dave"]!)"), 200)["status"] as? String == "disabled")
            // The token's own org cannot be deleted through it.
            try expect(await scim.delete("/scim/v2/Groups/\(f.orgs["U1"]!)"), 403)
        }
    }
}
