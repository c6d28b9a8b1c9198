import Foundation
import Logging
import SQLKit
import Storage
import Synchronization
import ZhengtongCore
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

/// The session behind a token is kept for a second: a revocation in this process is seen by the next
/// request; one made elsewhere (another node, a tool writing to the database) within the second.
@Suite struct SessionCacheTests {
    @Test(arguments: Backend.available)
    func aSessionRevokedElsewhereEndsWithinASecond(_ backend: Backend) async throws {
        let url = try await backend.freshDatabaseURL()
        try await TestServer.with(backend, url: url) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice")
            try expect(await alice.get("/api/v1/me"), 200)
            // Another node's revocation: straight into the shared database, unseen by this process.
            try await Databases.with(try DatabaseLocation(url: url), logger: Logger(label: "test")) { db in
                try await db.transaction { sql in
                    try await sql.raw("UPDATE sessions SET revoked_at = 1 WHERE person_id = \(bind: f.people["alice"]!)").run()
                }
            }
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try expect(await alice.get("/api/v1/me"), 401).errorCode == "invalid_token")
        }
    }

    @Test func entriesFollowTheGenerationAndTheLifetime() async throws {
        let cache = RecentCache<Int>(lifetime: .milliseconds(300))
        final class Loads: Sendable { let count = Atomic<Int>(0) }
        let loads = Loads()
        func get(_ key: String, _ generation: Int) async throws -> Int? {
            try await cache.value(key, generation: generation) { loads.count.add(1, ordering: .relaxed).newValue }
        }
        #expect(try await get("a", 0) == 1)
        #expect(try await get("a", 0) == 1, "kept")
        #expect(try await get("b", 0) == 2, "per key")
        #expect(try await get("a", 1) == 3, "a new generation loads again")
        try await Task.sleep(for: .milliseconds(350))
        #expect(try await get("a", 1) == 4, "and so does an expired entry")
        // Nothing found is not kept.
        #expect(try await cache.value("c", generation: 1) { nil } == nil)
        #expect(try await get("c", 1) == 5)
    }
}
