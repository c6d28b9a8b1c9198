import Foundation
import Testing
import ZhengtongCore

@Suite struct AuthTests {
    @Test(arguments: Backend.available)
    func loginSessionsAndLogout(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            // By username and by mobile.
            let byName = try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": Fixture.password]), 200)
            #expect((byName["person"] as? [String: Any])?["username"] as? String == "alice")
            #expect(byName["expires_at"] is String)
            let byMobile = try expect(await api.post("/api/v1/auth/login", ["username": "13800000001", "password": Fixture.password]), 200)
            let t1 = byName["token"] as! String, t2 = byMobile["token"] as! String
            #expect(t1 != t2)
            let me = try expect(await api.get("/api/v1/me", token: t1), 200)
            #expect(me["id"] as? String == f.people["alice"])
            #expect((me["positions"] as? [[String: Any]])?.count == 1)
            #expect(me["grants"] is [Any])
            let sessions = try expect(await api.get("/api/v1/me/sessions", token: t1), 200)
            #expect(sessions.items.count == 2)
            let other = sessions.items.first { $0["current"] as? Bool == false }!["id"] as! String
            try expect(await api.delete("/api/v1/me/sessions/\(other)", token: t1), 204)
            try expect(await api.get("/api/v1/me", token: t2), 401)
            // Someone else's session cannot be revoked (it does not exist for them).
            let bob = try await f.as_("bob")
            let bobSession = try expect(await bob.get("/api/v1/me/sessions"), 200).items[0]["id"] as! String
            try expect(await api.delete("/api/v1/me/sessions/\(bobSession)", token: t1), 404)
            try expect(await bob.get("/api/v1/me"), 200)
            // Logout ends the session.
            try expect(await api.post("/api/v1/auth/logout", token: t1), 204)
            let after = try expect(await api.get("/api/v1/me", token: t1), 401)
            #expect(after.errorCode == "invalid_token")
            try expect(await api.get("/api/v1/me"), 401)
            try expect(await api.get("/api/v1/me", token: "zt_not-a-token"), 401)
        }
    }

    @Test(arguments: Backend.available)
    func wrongPasswordsLockTheAccount(_ backend: Backend) async throws {
        let clock = ManualClock()
        try await TestServer.with(backend, clock: clock) { api in
            _ = try await Fixture.build(api)
            let bad = try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": "wrong-one"]), 401)
            #expect(bad.errorCode == "invalid_credentials")
            // Unknown users get exactly the same answer.
            let unknown = try expect(await api.post("/api/v1/auth/login", ["username": "nobody", "password": "wrong-one"]), 401)
            #expect(unknown.errorCode == "invalid_credentials")
            for _ in 0..<3 { try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": "wrong-one"]), 401) }
            let locked = try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": "wrong-one"]), 429)
            #expect((locked["error"] as? [String: Any])?["retry_after"] as? Int == 900)
            #expect(locked.headers[.retryAfter] == "900")
            // Even the right password is refused while locked.
            let still = try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": Fixture.password]), 429)
            #expect(still.errorCode == "account_locked")
            clock.advance(by: 14 * 60)
            try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": Fixture.password]), 429)
            clock.advance(by: 61)
            try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": Fixture.password]), 200)
            // A success resets the count: four more failures do not lock.
            for _ in 0..<4 { try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": "wrong-one"]), 401) }
            try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": Fixture.password]), 200)
            // Failures and the lockout are audited.
            let root = try await api.login("admin", TestServer.adminPassword)
            let audit = try expect(await root.get("/api/v1/admin/audit?limit=200"), 200)
            let actions = audit.items.compactMap { $0["action"] as? String }
            #expect(actions.contains("auth.lockout"))
            #expect(actions.filter { $0 == "auth.login_failed" }.count >= 9)
            #expect(actions.contains("auth.login_refused_locked"))
        }
    }

    @Test(arguments: Backend.available)
    func disabledPeopleCannotSignIn(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice")
            try expect(await f.root.delete("/api/v1/people/\(f.people["alice"]!)"), 204)
            try expect(await alice.get("/api/v1/me"), 401)  // sessions ended
            let r = try expect(await api.post("/api/v1/auth/login", ["username": "alice", "password": Fixture.password]), 403)
            #expect(r.errorCode == "account_disabled")
            // A disabled person no longer shows up for ordinary viewers, but does for the admin.
            let bob = try await f.as_("bob")
            try expect(await bob.get("/api/v1/people/\(f.people["alice"]!)"), 404)
            let seen = try expect(await f.root.get("/api/v1/people/\(f.people["alice"]!)"), 200)
            #expect(seen["status"] as? String == "disabled")
        }
    }

    @Test(arguments: Backend.available)
    func sessionsExpire(_ backend: Backend) async throws {
        let clock = ManualClock()
        try await TestServer.with(backend, clock: clock) { api in
            let root = try await api.login("admin", TestServer.adminPassword)
            try expect(await root.get("/api/v1/me"), 200)
            clock.advance(by: 337 * 3600)
            try expect(await root.get("/api/v1/me"), 401)
        }
    }
}
