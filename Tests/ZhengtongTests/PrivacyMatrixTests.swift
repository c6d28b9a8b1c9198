import Foundation
import Testing

/// The privacy rules (hidden orgs, senior mode, hidden mobiles, self-only orgs) as a matrix of
/// viewer × target × rule, checked on every read path through the real server, on both databases.
@Suite struct PrivacyMatrixTests {
    @Test(arguments: Backend.available)
    func mobileVisibility(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            // (viewer, target, mobile visible?)
            let matrix: [(String, String, Bool)] = [
                ("alice", "frank", true),   // ordinary person: everyone sees the mobile
                ("alice", "bob", false),    // hide_mobile: hidden from others…
                ("bob", "bob", true),       // …but not from themself
                ("tom", "bob", true),       // …nor from an admin in scope
                ("oscar", "bob", false),    // an admin out of scope is just another viewer
                ("alice", "carol", false),  // senior mode: hidden from ordinary staff…
                ("grace", "carol", true),   // …visible to other senior-mode people
                ("tom", "carol", true),     // …and to admins in scope
                ("frank", "grace", false),
                ("oscar", "grace", true),   // oscar administers D2, where grace works
            ]
            var sessions: [String: API] = [:]
            for (viewer, target, visible) in matrix {
                if sessions[viewer] == nil { sessions[viewer] = try await f.as_(viewer) }
                let v = sessions[viewer]!
                let person = try expect(await v.get("/api/v1/people/\(f.people[target]!)"), 200)
                #expect(person.object.keys.contains("mobile"), "mobile key is always present")
                if visible {
                    #expect(person["mobile"] as? String == f.mobiles[target], "\(viewer) should see \(target)'s mobile")
                } else {
                    #expect(person["mobile"] is NSNull, "\(viewer) must not see \(target)'s mobile")
                }
                // Searching by the number finds the person exactly when the number is visible.
                let found = try expect(await v.get("/api/v1/people?q=\(f.mobiles[target]!)"), 200)
                #expect(found.items.contains { $0["id"] as? String == f.people[target] } == visible,
                        "\(viewer) searching \(target)'s mobile")
                // And in member listings the mobile is masked the same way.
                let members = try expect(await v.get("/api/v1/orgs/\(f.orgs["U1"]!)/members?recursive=true&limit=200"), 200)
                if let row = members.items.first(where: { $0["id"] as? String == f.people[target] }) {
                    #expect((row["mobile"] is NSNull) == !visible)
                }
            }
        }
    }

    @Test(arguments: Backend.available)
    func hiddenOrgs(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let dh = f.orgs["DH"]!, u1 = f.orgs["U1"]!
            // (viewer, may see the hidden department and dave inside it?)
            for (viewer, sees) in [("alice", false), ("frank", false), ("oscar", false), ("dave", true), ("tom", true)] {
                let v = try await f.as_(viewer)
                #expect(Int(try await v.get("/api/v1/orgs/\(dh)").status.code) == (sees ? 200 : 404), "\(viewer) GET hidden org")
                #expect(Int(try await v.get("/api/v1/people/\(f.people["dave"]!)").status.code) == (sees ? 200 : 404), "\(viewer) GET dave")
                let children = try expect(await v.get("/api/v1/orgs/\(u1)/children"), 200)
                #expect(children.items.contains { $0["id"] as? String == dh } == sees, "\(viewer) children")
                let members = try expect(await v.get("/api/v1/orgs/\(u1)/members?recursive=true&limit=200"), 200)
                #expect(members.items.contains { $0["id"] as? String == f.people["dave"] } == sees, "\(viewer) members")
                let search = try expect(await v.get("/api/v1/people?q=区志强"), 200)
                #expect(search.items.contains { $0["id"] as? String == f.people["dave"] } == sees, "\(viewer) search by name")
                let byTitle = try expect(await v.get("/api/v1/people?q=大队长"), 200)
                #expect(byTitle.items.contains { $0["id"] as? String == f.people["dave"] } == sees, "\(viewer) search by title")
                #expect(Int(try await v.get("/api/v1/orgs/\(dh)/members").status.code) == (sees ? 200 : 404))
            }
        }
    }

    @Test(arguments: Backend.available)
    func selfOnlyOrgs(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let erin = try await f.as_("erin")
            // erin (self-only 纪检监察组) sees herself and nobody outside her org's subtree.
            let all = try expect(await erin.get("/api/v1/people?limit=200"), 200)
            #expect(all.items.map { $0["id"] as? String } == [f.people["erin"]])
            #expect(Int(try await erin.get("/api/v1/people/\(f.people["alice"]!)").status.code) == 404)
            let d1 = try expect(await erin.get("/api/v1/orgs/\(f.orgs["D1"]!)/members"), 200)
            #expect(d1.items.isEmpty)
            // Others are not restricted by erin's org: alice can see erin.
            let alice = try await f.as_("alice")
            try expect(await alice.get("/api/v1/people/\(f.people["erin"]!)"), 200)
            let everyone = try expect(await alice.get("/api/v1/people?limit=200"), 200)
            #expect(everyone.items.count >= 8)
        }
    }
}
