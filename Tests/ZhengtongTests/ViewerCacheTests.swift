import Foundation
import Testing

/// The viewer behind a token is kept between requests, but a directory change is seen by the very next
/// request: a new grant works at once, a revoked one stops at once, a new position shows a hidden
/// department at once.
@Suite struct ViewerCacheTests {
    @Test(arguments: Backend.available)
    func directoryChangesTakeEffectOnTheNextRequest(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice")
            let d1 = f.orgs["D1"]!, dh = f.orgs["DH"]!
            // Warm: alice is no administrator and cannot see the hidden department.
            try expect(await alice.patch("/api/v1/orgs/\(d1)", ["order": 3]), 403)
            try expect(await alice.get("/api/v1/orgs/\(dh)"), 404)

            let grant = try expect(await f.root.post("/api/v1/admin/grants", ["person_id": f.people["alice"]!, "role": "directory_admin",
                                                                              "org_id": d1]), 201).id
            try expect(await alice.patch("/api/v1/orgs/\(d1)", ["order": 3]), 200)
            try expect(await f.root.delete("/api/v1/admin/grants/\(grant)"), 204)
            try expect(await alice.patch("/api/v1/orgs/\(d1)", ["order": 4]), 403)

            try expect(await f.root.post("/api/v1/people/\(f.people["alice"]!)/positions", ["org_id": dh]), 201)
            try expect(await alice.get("/api/v1/orgs/\(dh)"), 200)
        }
    }
}
