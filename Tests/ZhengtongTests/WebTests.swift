import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// The server side of the web app: cookie sign-in, CSRF and origin checks, and the server-rendered
/// pages with the same privacy and scope rules as the API. The browser end-to-end suite is `web-tests/`.
@Suite struct WebTests {
    @Test(arguments: Backend.available)
    func cookieSignInAndCSRF(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let b = Browser(api)
            let login = try await b.get("/login")
            #expect(login.status == .ok)
            #expect(login.contains(#"id="login-form""#))
            let csrf = await b.csrf
            #expect(csrf.count == 64)
            #expect(login.csrfMeta == csrf)
            #expect(login.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)

            // Without the token (a cross-site form), nothing happens.
            let forged = try await b.post("/login", [("username", "alice"), ("password", Fixture.password)], csrf: false)
            #expect(forged.status == .forbidden)
            #expect(await b.cookies["zt_session"] == nil)
            // A wrong password shows the error on the page.
            let wrong = try await b.post("/login", [("username", "alice"), ("password", "wrong-password")])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.contains(#"id="login-error""#))

            let ok = try await b.post("/login", [("username", "alice"), ("password", Fixture.password), ("next", "/directory")])
            #expect(ok.status == .seeOther)
            #expect(ok.location == "/directory")
            let sessionLine = await b.setCookieLines.first { $0.hasPrefix("zt_session=") } ?? ""
            #expect(sessionLine.contains("HttpOnly") && sessionLine.contains("SameSite=Lax"))
            #expect(!sessionLine.contains("Secure"), "plain HTTP: a Secure cookie would never come back")
            // Behind a TLS-terminating proxy the cookies are Secure.
            let tls = Browser(api)
            _ = try await tls.get("/login", headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            _ = try await tls.post("/login", [("username", "bob"), ("password", Fixture.password)],
                                   headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            let secure = await tls.setCookieLines
            #expect(secure.contains { $0.hasPrefix("zt_session=") && $0.contains("Secure") })
            #expect(secure.contains { $0.hasPrefix("zt_csrf=") && $0.contains("Secure") })
            let home = try await b.get("/")
            #expect(home.status == .ok)
            #expect(home.contains("张三丰"))

            // The JSON API with the cookie: reads work, writes need the token header and a same-origin Origin.
            let me = try await b.api(.get, "/api/v1/me", csrfHeader: false)
            #expect(me.status == .ok && me.id == f.people["alice"])
            let body: [String: any Sendable] = ["kind": "direct", "members": [f.people["bob"]!]]
            let noToken = try await b.api(.post, "/api/v1/conversations", body, csrfHeader: false)
            #expect(noToken.status == .forbidden && noToken.errorCode == "csrf_failed")
            let foreign = try await b.api(.post, "/api/v1/conversations", body, headers: [.origin: "https://evil.example"])
            #expect(foreign.status == .forbidden && foreign.errorCode == "csrf_failed")
            #expect(try await b.api(.get, "/api/v1/conversations").items.isEmpty)
            let created = try await b.api(.post, "/api/v1/conversations", body)
            #expect(created.status == .created)

            // The person card's chat button opens the conversation and lands in it.
            let open = try await b.post("/chat/open", [("person_id", f.people["bob"]!)])
            #expect(open.status == .seeOther)
            #expect(open.location == "/chat?c=\(created.id)")

            // Signing out ends the session the cookie held.
            let out = try await b.post("/logout", [])
            #expect(out.status == .seeOther && out.location == "/login")
            #expect(await b.cookies["zt_session"] == nil)
            let gone = try await b.get("/directory")
            #expect(gone.status == .seeOther)
            #expect(gone.location == "/login?next=%2Fdirectory")
        }
    }

    @Test(arguments: Backend.available)
    func streamTakesTheCookieFromItsOwnOrigin(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            _ = try await Fixture.build(api)
            let b = Browser(api)
            try await b.signIn("alice", Fixture.password)
            let port = api.client.port!
            let cookie = "zt_session=\(await b.cookies["zt_session"]!)"
            // The upgrade as a browser sends it, with an `Origin` of our choosing (WebSocket clients add their own).
            func upgrade(origin: String) async throws -> String {
                let s = try RawSocket(port: port)
                try s.send("GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(RawSocket.upgradeHeaders)"
                    + "Origin: \(origin)\r\nCookie: \(cookie)\r\n\r\n")
                return String(decoding: try await s.read(until: "\r\n"), as: UTF8.self)
            }
            #expect(try await upgrade(origin: "http://127.0.0.1:\(port)").hasPrefix("HTTP/1.1 101"))
            // Another site's page cannot open the stream with the user's cookie: the refusal says why.
            #expect(try await upgrade(origin: "https://evil.example").hasPrefix("HTTP/1.1 403"))
            #expect(try await upgrade(origin: "http://127.0.0.1:1").hasPrefix("HTTP/1.1 403"))
        }
    }

    @Test(arguments: Backend.available)
    func redirectsLanguageAndSessionsPage(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            _ = try await Fixture.build(api)
            let b = Browser(api)
            // Only a local path is a redirect target.
            for next in ["//evil.example/x", "https://evil.example", "/\\evil.example"] {
                let r = try await b.signIn("alice", Fixture.password, next: next)
                #expect(r.location == "/", "next=\(next)")
            }
            let sessions = try await b.get("/me/sessions")
            #expect(sessions.status == .ok)
            #expect(sessions.html.components(separatedBy: "data-session-id=").count - 1 == 3)
            // Revoking another session of mine from the page.
            let other = sessions.html.components(separatedBy: "/revoke\"")[0].components(separatedBy: "/me/sessions/").last!
            #expect(try await b.post("/me/sessions/\(other)/revoke", []).status == .seeOther)
            #expect(try await b.get("/me/sessions").html.components(separatedBy: "data-session-id=").count - 1 == 2)

            // Language: zh-CN by default, English after the switch; unknown languages do not exist.
            #expect(try await b.get("/directory").contains(#"<html lang="zh-CN">"#))
            let sw = try await b.get("/lang/en?back=/directory")
            #expect(sw.status == .seeOther && sw.location == "/directory")
            let en = try await b.get("/directory")
            #expect(en.contains(#"<html lang="en">"#) && en.contains("Directory"))
            #expect(try await b.get("/lang/fr").status == .notFound)
        }
    }

    @Test(arguments: Backend.available)
    func directoryPagesApplyPrivacy(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let alice = Browser(api)
            try await alice.signIn("alice", Fixture.password)
            let unit = try await alice.get("/directory/orgs/\(f.orgs["U1"]!)")
            #expect(unit.status == .ok)
            #expect(unit.contains("办公室") && !unit.contains("稽查大队"), "a hidden department is not listed")
            #expect(try await alice.get("/directory/orgs/\(f.orgs["DH"]!)").status == .notFound)
            #expect(try await alice.get("/directory/people/\(f.people["dave"]!)").status == .notFound)
            // Search by initials; a hidden mobile is not shown, a visible one is.
            let search = try await alice.get("/directory/search?q=zsf")
            #expect(search.contains("张三丰"))
            let bob = try await alice.get("/directory/people/\(f.people["bob"]!)")
            #expect(bob.contains("单雄信") && !bob.contains(f.mobiles["bob"]!))
            #expect(bob.contains(#"id="chat-button""#) && bob.contains(#"id="ding-button""#))
            let frank = try await alice.get("/directory/people/\(f.people["frank"]!)")
            #expect(frank.contains(f.mobiles["frank"]!))
            // No administration for someone without a grant: no link, no page.
            #expect(!bob.contains(#"id="nav-admin""#))
            #expect(try await alice.get("/admin").status == .notFound)
            #expect(try await alice.get("/admin/orgs/\(f.orgs["D1"]!)").status == .notFound)
        }
    }

    @Test(arguments: Backend.available)
    func administrationStaysInScope(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let tom = Browser(api)   // administers the region 桐庐县 (U1 and below), not 淳安县 (U2)
            try await tom.signIn("tom", Fixture.password)
            let home = try await tom.get("/admin")
            #expect(home.status == .ok && home.contains("桐庐县"))
            #expect(!home.contains(#"id="audit-link""#))
            #expect(try await tom.get("/admin/audit").status == .notFound)

            let d1 = try await tom.get("/admin/orgs/\(f.orgs["D1"]!)")
            #expect(d1.contains(#"id="org-form""#))
            let saved = try await tom.post("/admin/orgs/\(f.orgs["D1"]!)", [("name", "综合办公室"), ("lines", "市场监管"), ("order", "2"),
                                                                            ("visibility", "all")])
            #expect(saved.status == .seeOther)
            let org = try expect(await f.root.get("/api/v1/orgs/\(f.orgs["D1"]!)"), 200)
            #expect(org["name"] as? String == "综合办公室")
            let audit = try expect(await f.root.get("/api/v1/admin/audit?limit=1"), 200).items.first ?? [:]
            #expect(audit["action"] as? String == "org.update")
            #expect(audit["actor_id"] as? String == f.people["tom"])

            // Out of scope: not offered, not shown, not changed.
            #expect(try await tom.get("/admin/orgs/\(f.orgs["U2"]!)").status == .notFound)
            #expect(try await tom.get("/admin/orgs/\(f.orgs["D2"]!)").status == .notFound)
            #expect(try await tom.post("/admin/orgs/\(f.orgs["D2"]!)", [("name", "被改了")]).status == .notFound)
            #expect(try expect(await f.root.get("/api/v1/orgs/\(f.orgs["D2"]!)"), 200)["name"] as? String == "办公室")
            #expect(try await tom.get("/admin/people/\(f.people["frank"]!)").status == .notFound)

            // A bad value is refused with the reason and changes nothing.
            let bad = try await tom.post("/admin/orgs/\(f.orgs["D1"]!)", [("name", "综合办公室"), ("order", "first")])
            #expect(bad.status == .unprocessableContent && bad.contains(#"id="error-message""#))
            // A form without the CSRF token changes nothing either.
            #expect(try await tom.post("/admin/orgs/\(f.orgs["D1"]!)", [("name", "伪造")], csrf: false).status == .forbidden)
            #expect(try expect(await f.root.get("/api/v1/orgs/\(f.orgs["D1"]!)"), 200)["name"] as? String == "综合办公室")

            // New person in scope, then a position added and removed.
            let created = try await tom.post("/admin/people", [("org_id", f.orgs["D1"]!), ("name", "新同事"), ("username", "newbie"),
                                                               ("title", "科员"), ("password", "password-456")])
            #expect(created.status == .seeOther)
            let personId = created.location!.components(separatedBy: "/").last!.components(separatedBy: "?").first!
            let page = try await tom.get("/admin/people/\(personId)")
            #expect(page.contains("新同事") && page.contains(#"id="position-form""#))
            #expect(try await tom.post("/admin/people/\(personId)/positions", [("org_id", f.orgs["U1"]!), ("title", "兼职")]).status == .seeOther)
            let person = try expect(await f.root.get("/api/v1/people/\(personId)"), 200)
            #expect((person["positions"] as? [[String: Any]])?.count == 2)
            // The new person can sign in with the password the admin set.
            #expect(try await Browser(api).signIn("newbie", "password-456").location == "/")
        }
    }
}
