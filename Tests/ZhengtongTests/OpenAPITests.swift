import Foundation
import Hummingbird
import Testing

/// Keeps `Sources/ZhengtongServer/Resources/openapi.json` true: every documented operation is called on a
/// running server, and every answer is checked against the document's schema for its path, method and status.
@Suite struct OpenAPITests {
    @Test(arguments: Backend.available)
    func everyOperationAnswersAsDocumented(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let c = try await OpenAPIContract.load(api)
            let spec = c.spec
            #expect(spec.root["openapi"] as? String == "3.1.0")
            #expect(spec.unresolvedReferences().isEmpty, "unresolved $refs: \(spec.unresolvedReferences())")

            // Public endpoints; /openapi.json serves exactly the file in Sources.
            let served = try await c.call(api, .get, "/openapi.json", expect: 200)
            let servedBytes = try OpenAPIDocument.canonical(try #require(served.json))
            let sourceBytes = try OpenAPIDocument.canonical(try OpenAPIDocument.sourceFile())
            #expect(servedBytes == sourceBytes, "GET /openapi.json differs from Sources/ZhengtongServer/Resources/openapi.json")
            try await c.call(api, .get, "/healthz", expect: 200)
            try await c.call(api, .get, "/readyz", expect: 200)

            let f = try await Fixture.build(api)
            let root = f.root
            let bob = try await f.as_("bob")
            let tom = try await f.as_("tom")
            let (u1, u2, d1, d2) = (f.orgs["U1"]!, f.orgs["U2"]!, f.orgs["D1"]!, f.orgs["D2"]!)
            let aliceId = f.people["alice"]!
            let missing = "0000000000000000"  // a well-formed id that names nothing
            let login = "/api/v1/auth/login"

            // Sign-in, lockout, sessions, logout.
            let alice = try await c.signIn(api, "alice")
            try await c.call(api, .post, login, raw: "{", expect: 400)
            try await c.call(api, .post, login, ["username": "alice", "password": "wrong-password"], expect: 401)
            for _ in 0..<4 { try await c.call(api, .post, login, ["username": "grace", "password": "wrong-password"], expect: 401) }
            let locked = try await c.call(api, .post, login, ["username": "grace", "password": "wrong-password"], expect: 429)
            #expect((locked["error"] as? [String: Any])?["retry_after"] as? Int == 900)
            #expect(locked.headers[.retryAfter] == "900")

            let me = try await c.call(alice, .get, "/api/v1/me", expect: 200)
            #expect(me["grants"] is [Any])
            let aliceB = try await c.signIn(api, "alice")
            let sessions = try await c.call(alice, .get, "/api/v1/me/sessions", expect: 200)
            let other = try #require(sessions.items.first(where: { $0["current"] as? Bool == false })?["id"] as? String)
            try await c.call(alice, .delete, "/api/v1/me/sessions/\(other)", expect: 204)
            try await c.call(alice, .delete, "/api/v1/me/sessions/\(missing)", expect: 404)
            try await c.call(aliceB, .get, "/api/v1/me", expect: 401)
            let aliceC = try await c.signIn(api, "alice")
            try await c.call(aliceC, .post, "/api/v1/auth/logout", expect: 204)
            var forged = api
            forged.token = "zt_not-a-token"
            try await c.call(forged, .get, "/api/v1/me", expect: 401)

            // Regions.
            let county = ["code": "330182000000", "name": "建德市", "level": "county", "parent_code": "330100000000"]
            try await c.call(root, .post, "/api/v1/regions", county, expect: 201)
            try await c.call(root, .post, "/api/v1/regions", county, expect: 409)
            try await c.call(root, .post, "/api/v1/regions", ["code": "330183000000", "name": "富阳区"], expect: 400)
            try await c.call(root, .post, "/api/v1/regions", ["code": "330183000000", "name": "富阳区", "level": "planet"], expect: 422)
            try await c.call(alice, .post, "/api/v1/regions",
                             ["code": "330183000000", "name": "富阳区", "level": "county", "parent_code": "330100000000"], expect: 403)
            try await c.call(alice, .get, "/api/v1/regions/330100000000", expect: 200)
            try await c.call(alice, .get, "/api/v1/regions/999999999999", expect: 404)
            let children = try await c.call(alice, .get, "/api/v1/regions/330100000000/children?limit=1", expect: 200)
            let regionCursor = try #require(children["next_cursor"] as? String)
            try await c.call(alice, .get, "/api/v1/regions/330100000000/children?limit=1&cursor=\(regionCursor)", expect: 200)
            try await c.call(alice, .get, "/api/v1/regions/330100000000/children?limit=0", expect: 400)
            try await c.call(alice, .get, "/api/v1/regions/999999999999/children", expect: 404)
            try await c.call(alice, .get, "/api/v1/regions/330122000000/orgs", expect: 200)
            try await c.call(alice, .get, "/api/v1/regions/999999999999/orgs", expect: 404)

            // Orgs.
            let dept = try await c.call(root, .post, "/api/v1/orgs", ["name": "法规科", "kind": "department", "parent_id": u1], expect: 201).id
            try await c.call(root, .post, "/api/v1/orgs", ["name": "x", "kind": "team", "region_code": "330122000000"], expect: 422)
            try await c.call(root, .post, "/api/v1/orgs", raw: "[]", expect: 400)
            try await c.call(bob, .post, "/api/v1/orgs", ["name": "b", "kind": "department", "parent_id": d1], expect: 403)
            try await c.call(alice, .get, "/api/v1/orgs/\(u1)", expect: 200)
            try await c.call(alice, .get, "/api/v1/orgs/\(missing)", expect: 404)
            try await c.call(root, .patch, "/api/v1/orgs/\(dept)", ["name": "法规与政策科", "order": 2] as [String: Any], expect: 200)
            try await c.call(root, .patch, "/api/v1/orgs/\(dept)", ["order": "first"], expect: 400)
            try await c.call(root, .patch, "/api/v1/orgs/\(dept)", ["visibility": "secret"], expect: 422)
            try await c.call(tom, .patch, "/api/v1/orgs/\(u2)", ["name": "x"], expect: 403)
            try await c.call(root, .patch, "/api/v1/orgs/\(missing)", ["name": "x"], expect: 404)
            try await c.call(root, .delete, "/api/v1/orgs/\(u1)", expect: 409)
            try await c.call(tom, .delete, "/api/v1/orgs/\(d2)", expect: 403)
            try await c.call(root, .delete, "/api/v1/orgs/\(dept)", expect: 204)
            try await c.call(root, .delete, "/api/v1/orgs/\(dept)", expect: 404)
            try await c.call(alice, .get, "/api/v1/orgs/\(u1)/children", expect: 200)
            try await c.call(alice, .get, "/api/v1/orgs/\(missing)/children", expect: 404)
            let members = try await c.call(alice, .get, "/api/v1/orgs/\(u1)/members?recursive=true", expect: 200)
            #expect(!members.items.isEmpty)
            try await c.call(alice, .get, "/api/v1/orgs/\(u1)/members?recursive=maybe", expect: 400)
            try await c.call(alice, .get, "/api/v1/orgs/\(missing)/members", expect: 404)

            // People.
            let newcomer: [String: Any] = ["name": "韩信", "username": "hanxin", "mobile": "13900000001", "password": Fixture.password,
                                           "positions": [["org_id": d1, "title": "科员"]]]
            let hanxin = try await c.call(root, .post, "/api/v1/people", newcomer, expect: 201).id
            try await c.call(root, .post, "/api/v1/people", newcomer, expect: 409)
            try await c.call(root, .post, "/api/v1/people", ["name": " ", "username": "blank"], expect: 422)
            try await c.call(root, .post, "/api/v1/people", ["name": "无名"], expect: 400)
            try await c.call(bob, .post, "/api/v1/people",
                             ["name": "外人", "username": "outsider", "positions": [["org_id": d1]]] as [String: Any], expect: 403)
            try await c.call(alice, .get, "/api/v1/people?q=zhang", expect: 200)
            try await c.call(alice, .get, "/api/v1/people?q=zhang&region=330122000000&org=\(u1)&line=市场监管&rank=科员&role=x&limit=10",
                             expect: 200)
            let firstPeople = try await c.call(alice, .get, "/api/v1/people?limit=1", expect: 200)
            let peopleCursor = try #require(firstPeople["next_cursor"] as? String)
            try await c.call(alice, .get, "/api/v1/people?limit=1&cursor=\(peopleCursor)", expect: 200)
            try await c.call(alice, .get, "/api/v1/people?cursor=not-a-cursor", expect: 400)
            try await c.call(alice, .get, "/api/v1/people?q=\(String(repeating: "x", count: 101))", expect: 400)
            try await c.call(alice, .get, "/api/v1/people?region=999999999999", expect: 404)
            let seen = try await c.call(bob, .get, "/api/v1/people/\(aliceId)", expect: 200)
            #expect(seen["grants"] == nil, "grants appear only on /me")
            try await c.call(bob, .get, "/api/v1/people/\(missing)", expect: 404)
            let patched = try await c.call(root, .patch, "/api/v1/people/\(hanxin)",
                                           ["rank": "一级科员", "email": NSNull()] as [String: Any], expect: 200)
            #expect(patched["rank"] as? String == "一级科员")
            try await c.call(root, .patch, "/api/v1/people/\(hanxin)", ["mobile": "123"], expect: 422)
            try await c.call(root, .patch, "/api/v1/people/\(hanxin)", ["mobile": f.mobiles["alice"]!], expect: 409)
            try await c.call(root, .patch, "/api/v1/people/\(hanxin)", ["name": 5], expect: 400)
            try await c.call(bob, .patch, "/api/v1/people/\(aliceId)", ["rank": "x"], expect: 403)
            try await c.call(root, .patch, "/api/v1/people/\(missing)", ["rank": "x"], expect: 404)

            var walk = Walk(c: c, api: api, f: f, alice: alice, bob: bob, tom: tom)
            walk.rootId = try await Self.positionsGrantsAndAudit(walk, hanxin: hanxin)
            let (carol, frank) = try await Self.messagingOperations(walk)
            try await Self.dingAndAdministrationOperations(walk, carol: carol, frank: frank)
        }
    }

    /// Positions, grants, disabling people and the audit log; returns the root administrator's id.
    static func positionsGrantsAndAudit(_ w: Walk, hanxin: String) async throws -> String {
        let (c, api, f, root, bob, tom) = (w.c, w.api, w.f, w.root, w.bob, w.tom)
        let (aliceId, missing, d1, dh, login) = (w.aliceId, w.missing, f.orgs["D1"]!, f.orgs["DH"]!, "/api/v1/auth/login")
        // Positions.
        let positionsPath = "/api/v1/people/\(aliceId)/positions"
        let extra = try await c.call(root, .post, positionsPath, ["org_id": dh, "title": "协查"], expect: 201).id
        try await c.call(root, .post, positionsPath, ["org_id": missing], expect: 422)
        try await c.call(root, .post, positionsPath, [String: Any](), expect: 400)
        try await c.call(bob, .post, positionsPath, ["org_id": d1], expect: 403)
        try await c.call(root, .post, "/api/v1/people/\(missing)/positions", ["org_id": d1], expect: 404)
        let aliceNow = try await c.call(root, .get, "/api/v1/people/\(aliceId)", expect: 200)
        let alicePositions = aliceNow["positions"] as? [[String: Any]] ?? []
        let mainPosition = try #require(alicePositions.first(where: { $0["main"] as? Bool == true })?["id"] as? String)
        let retitled = try await c.call(root, .patch, "/api/v1/positions/\(extra)", ["title": "协查员", "leader": true] as [String: Any],
                                        expect: 200)
        #expect(retitled["title"] as? String == "协查员")
        let untitled = try await c.call(root, .patch, "/api/v1/positions/\(extra)", ["title": NSNull()], expect: 200)
        #expect(untitled["title"] is NSNull)
        try await c.call(root, .patch, "/api/v1/positions/\(extra)", ["leader": "yes"], expect: 400)
        try await c.call(root, .patch, "/api/v1/positions/\(mainPosition)", ["main": false], expect: 422)
        try await c.call(bob, .patch, "/api/v1/positions/\(mainPosition)", ["title": "x"], expect: 403)
        try await c.call(root, .patch, "/api/v1/positions/\(missing)", ["title": "x"], expect: 404)
        try await c.call(bob, .delete, "/api/v1/positions/\(mainPosition)", expect: 403)
        try await c.call(root, .delete, "/api/v1/positions/\(extra)", expect: 204)
        try await c.call(root, .delete, "/api/v1/positions/\(extra)", expect: 404)

        // Grants.
        let grantBody = ["person_id": aliceId, "role": "directory_admin", "region_code": "330127000000"]
        let grant = try await c.call(root, .post, "/api/v1/admin/grants", grantBody, expect: 201).id
        try await c.call(root, .post, "/api/v1/admin/grants", ["person_id": aliceId, "role": "owner", "region_code": "330127000000"],
                         expect: 422)
        try await c.call(root, .post, "/api/v1/admin/grants", ["role": "directory_admin"], expect: 400)
        try await c.call(bob, .post, "/api/v1/admin/grants", grantBody, expect: 403)
        try await c.call(root, .get, "/api/v1/admin/grants", expect: 200)
        try await c.call(root, .get, "/api/v1/admin/grants?limit=abc", expect: 400)
        try await c.call(bob, .get, "/api/v1/admin/grants", expect: 403)
        let rootMe = try await c.call(root, .get, "/api/v1/me", expect: 200)
        let rootGrants = rootMe["grants"] as? [[String: Any]] ?? []
        let rootGrant = try #require(rootGrants.first(where: { $0["org_id"] is NSNull && $0["region_code"] is NSNull })?["id"] as? String)
        try await c.call(bob, .delete, "/api/v1/admin/grants/\(grant)", expect: 403)
        try await c.call(root, .delete, "/api/v1/admin/grants/\(grant)", expect: 204)
        try await c.call(root, .delete, "/api/v1/admin/grants/\(grant)", expect: 404)
        try await c.call(root, .delete, "/api/v1/admin/grants/\(rootGrant)", expect: 409)

        // Disabling people; a disabled person cannot sign in.
        try await c.call(tom, .delete, "/api/v1/people/\(f.people["frank"]!)", expect: 403)
        try await c.call(root, .delete, "/api/v1/people/\(rootMe.id)", expect: 409)
        try await c.call(root, .delete, "/api/v1/people/\(missing)", expect: 404)
        try await c.call(root, .delete, "/api/v1/people/\(hanxin)", expect: 204)
        try await c.call(api, .post, login, ["username": "hanxin", "password": Fixture.password], expect: 403)

        // Audit log.
        let audit = try await c.call(root, .get, "/api/v1/admin/audit?limit=5", expect: 200)
        #expect(audit.items.count == 5)
        try await c.call(root, .get, "/api/v1/admin/audit?limit=500", expect: 400)
        try await c.call(root, .get, "/api/v1/admin/audit?cursor=abc", expect: 400)
        try await c.call(bob, .get, "/api/v1/admin/audit", expect: 403)
        return rootMe.id
    }

    /// What the walk's parts share. The walk is split into methods because as one closure it took the
    /// compiler 18 GB of memory and three minutes.
    struct Walk {
        let c: OpenAPIContract
        let api: API
        let f: Fixture
        let alice: API, bob: API, tom: API
        /// The root administrator's person id.
        var rootId = ""
        var root: API { f.root }
        var aliceId: String { f.people["alice"]! }
        /// A well-formed id that names nothing.
        var missing: String { "0000000000000000" }
    }

    static func messagingOperations(_ w: Walk) async throws -> (carol: API, frank: API) {
        let (c, f, alice, bob, aliceId, missing) = (w.c, w.f, w.alice, w.bob, w.aliceId, w.missing)
        // Conversations.
        let carol = try await f.as_("carol")
        let frank = try await f.as_("frank")
        let (bobId, carolId, frankId, tomId) = (f.people["bob"]!, f.people["carol"]!, f.people["frank"]!, f.people["tom"]!)
        let conversations = "/api/v1/conversations"
        let direct = try await c.call(alice, .post, conversations, ["kind": "direct", "members": [bobId]] as [String: Any], expect: 201).id
        let reopened = try await c.call(bob, .post, conversations, ["kind": "direct", "members": [aliceId]] as [String: Any], expect: 200)
        #expect(reopened.id == direct, "a direct conversation is opened once, from either side")
        try await c.call(alice, .post, conversations, ["kind": "direct", "members": [bobId, carolId]] as [String: Any], expect: 422)
        try await c.call(alice, .post, conversations, ["kind": "direct", "members": [missing]] as [String: Any], expect: 422)
        try await c.call(alice, .post, conversations, ["kind": "channel", "members": [bobId]] as [String: Any], expect: 422)
        try await c.call(alice, .post, conversations, ["members": [bobId]], expect: 400)
        let group = try await c.call(alice, .post, conversations, ["kind": "group", "name": "项目组", "members": [bobId, carolId]] as [String: Any],
                                     expect: 201).id
        let groupPath = "\(conversations)/\(group)"
        try await c.call(alice, .post, conversations, ["kind": "group", "name": " ", "members": [bobId]] as [String: Any], expect: 422)
        let fresh = try await c.call(alice, .get, conversations, expect: 200)
        #expect(fresh.items.count == 2)
        #expect(fresh.items.allSatisfy { $0["last_message"] is NSNull && $0["unread_count"] as? Int == 0 }, "no messages yet")
        try await c.call(alice, .get, groupPath, expect: 200)
        try await c.call(frank, .get, groupPath, expect: 404)
        try await c.call(alice, .get, "\(conversations)/\(missing)", expect: 404)

        // Group membership: the owner adds people; anyone may leave; the owner may not.
        let grown = try await c.call(alice, .post, "\(groupPath)/members", ["members": [frankId]], expect: 200)
        #expect((grown["members"] as? [[String: Any]])?.count == 4)
        try await c.call(bob, .post, "\(groupPath)/members", ["members": [tomId]], expect: 403)
        try await c.call(alice, .post, "\(conversations)/\(direct)/members", ["members": [carolId]], expect: 422)
        try await c.call(alice, .post, "\(groupPath)/members", ["members": bobId], expect: 400)
        try await c.call(frank, .post, "\(conversations)/\(direct)/members", ["members": [tomId]], expect: 404)
        try await c.call(bob, .delete, "\(groupPath)/members/\(frankId)", expect: 403)
        try await c.call(alice, .delete, "\(groupPath)/members/\(aliceId)", expect: 409)
        try await c.call(alice, .delete, "\(groupPath)/members/\(missing)", expect: 404)
        try await c.call(alice, .delete, "\(conversations)/\(direct)/members/\(bobId)", expect: 422)
        try await c.call(frank, .delete, "\(groupPath)/members/\(frankId)", expect: 204)

        // Messages: idempotent sends, paging back by seq.
        let messages = "\(groupPath)/messages"
        let notice = try await c.call(alice, .post, messages, ["text": "下午三点开会", "client_msg_id": "oa-1", "mentions": ["all"]] as [String: Any],
                                      expect: 201)
        #expect(notice["seq"] as? Int == 1 && notice["unread_count"] as? Int == 2)
        let resent = try await c.call(alice, .post, messages, ["text": "下午三点开会", "client_msg_id": "oa-1", "mentions": ["all"]] as [String: Any],
                                      expect: 200)
        #expect(resent.id == notice.id, "a retry is the message already sent")
        let reply = try await c.call(bob, .post, messages,
                                     ["text": "收到", "client_msg_id": "ob-1", "reply_to": notice.id, "mentions": [aliceId]] as [String: Any],
                                     expect: 201)
        try await c.call(bob, .post, messages, ["text": "大家好", "client_msg_id": "ob-2", "mentions": ["all"]] as [String: Any], expect: 403)
        try await c.call(bob, .post, messages, ["text": "收到", "client_msg_id": "ob-3", "mentions": [frankId]] as [String: Any], expect: 422)
        try await c.call(bob, .post, messages, ["text": " ", "client_msg_id": "ob-4"], expect: 422)
        try await c.call(bob, .post, messages, ["text": "收到"], expect: 400)
        try await c.call(frank, .post, messages, ["text": "我回来了", "client_msg_id": "of-1"], expect: 403)
        try await c.call(alice, .post, "\(conversations)/\(missing)/messages", ["text": "hi", "client_msg_id": "oa-2"], expect: 404)
        let hello = try await c.call(alice, .post, "\(conversations)/\(direct)/messages", ["text": "你好", "client_msg_id": "oa-3"], expect: 201)
        let newest = try await c.call(alice, .get, "\(messages)?limit=1", expect: 200)
        #expect(newest.items.first?["id"] as? String == reply.id)
        let olderThan = try #require(newest["next_cursor"] as? String)
        let older = try await c.call(alice, .get, "\(messages)?limit=1&before_seq=\(olderThan)", expect: 200)
        #expect(older.items.first?["id"] as? String == notice.id)
        try await c.call(alice, .get, "\(messages)?before_seq=0", expect: 400)
        try await c.call(alice, .get, "\(messages)?limit=201", expect: 400)
        try await c.call(frank, .get, messages, expect: 403)
        try await c.call(alice, .get, "\(conversations)/\(missing)/messages", expect: 404)

        // Read positions, unread counts and receipts.
        try await c.call(carol, .post, "\(groupPath)/read", ["seq": 2], expect: 204)
        try await c.call(carol, .post, "\(groupPath)/read", ["seq": 3], expect: 422)
        try await c.call(carol, .post, "\(groupPath)/read", ["seq": "2"], expect: 400)
        try await c.call(frank, .post, "\(groupPath)/read", ["seq": 1], expect: 403)
        try await c.call(carol, .post, "\(conversations)/\(missing)/read", ["seq": 1], expect: 404)
        let bobFirst = try await c.call(bob, .get, "\(conversations)?limit=1", expect: 200)
        let bobCursor = try #require(bobFirst["next_cursor"] as? String)
        let bobSecond = try await c.call(bob, .get, "\(conversations)?limit=1&cursor=\(bobCursor)", expect: 200)
        let bobDirect = (bobFirst.items + bobSecond.items).first { $0["id"] as? String == direct }
        #expect(bobDirect?["unread_count"] as? Int == 1)
        #expect((bobDirect?["last_message"] as? [String: Any])?["id"] as? String == hello.id)
        try await c.call(bob, .get, "\(conversations)?limit=abc", expect: 400)
        let receipts = try await c.call(alice, .get, "/api/v1/messages/\(notice.id)/receipts", expect: 200)
        #expect(Set(receipts["read"] as? [String] ?? []) == Set([bobId, carolId]))
        #expect((receipts["unread"] as? [String])?.isEmpty == true)
        try await c.call(bob, .get, "/api/v1/messages/\(notice.id)/receipts", expect: 403)
        try await c.call(frank, .get, "/api/v1/messages/\(notice.id)/receipts", expect: 404)
        try await c.call(alice, .get, "/api/v1/messages/\(missing)/receipts", expect: 404)

        // Recall.
        let recalled = try await c.call(bob, .post, "/api/v1/messages/\(reply.id)/recall", expect: 200)
        #expect(recalled["recalled"] as? Bool == true && recalled["text"] as? String == "")
        try await c.call(carol, .post, "/api/v1/messages/\(notice.id)/recall", expect: 403)
        try await c.call(frank, .post, "/api/v1/messages/\(notice.id)/recall", expect: 403)
        try await c.call(alice, .post, "/api/v1/messages/\(missing)/recall", expect: 404)
        try await Self.groupAdministrationFilesAndSearch(w, carol: carol, frank: frank, groupPath: groupPath, newest: newest, notice: notice)
        return (carol, frank)
    }

    static func groupAdministrationFilesAndSearch(_ w: Walk, carol: API, frank: API, groupPath: String, newest: Reply, notice: Reply) async throws {
        let (c, root, alice, bob, aliceId, missing, d1, d2, bobId, carolId, conversations) = (w.c, w.root, w.alice, w.bob, w.aliceId, w.missing, w.f.orgs["D1"]!, w.f.orgs["D2"]!, w.f.people["bob"]!, w.f.people["carol"]!, "/api/v1/conversations")
        // Group administration: rename, admins, ownership (handed over and back).
        try await c.call(bob, .patch, groupPath, ["name": "新名"], expect: 403)
        try await c.call(alice, .patch, groupPath, ["name": "专班"], expect: 200)
        try await c.call(alice, .patch, groupPath, ["name": ""], expect: 422)
        try await c.call(alice, .patch, groupPath, ["name": 5], expect: 400)
        try await c.call(alice, .patch, "\(conversations)/\(missing)", ["name": "x"], expect: 404)
        try await c.call(bob, .patch, "\(groupPath)/members/\(carolId)", ["role": "admin"], expect: 403)
        try await c.call(alice, .patch, "\(groupPath)/members/\(carolId)", ["role": "chief"], expect: 422)
        try await c.call(alice, .patch, "\(groupPath)/members/\(carolId)", ["role": 1], expect: 400)
        try await c.call(alice, .patch, "\(groupPath)/members/\(carolId)", ["role": "admin"], expect: 200)
        try await c.call(alice, .patch, "\(groupPath)/members/\(aliceId)", ["role": "member"], expect: 409)
        try await c.call(alice, .patch, "\(groupPath)/members/\(missing)", ["role": "member"], expect: 404)
        try await c.call(bob, .post, "\(groupPath)/owner", ["person_id": carolId], expect: 403)
        try await c.call(alice, .post, "\(groupPath)/owner", ["person_id": aliceId], expect: 422)
        try await c.call(alice, .post, "\(groupPath)/owner", ["name": "x"], expect: 400)
        try await c.call(alice, .post, "\(conversations)/\(missing)/owner", ["person_id": carolId], expect: 404)
        try await c.call(alice, .post, "\(groupPath)/owner", ["person_id": carolId], expect: 200)
        try await c.call(carol, .post, "\(groupPath)/owner", ["person_id": aliceId], expect: 200)

        // Attachments: uploaded as raw bytes, sent with a message, downloaded by members only.
        let png = Data([0x89, 0x50, 0x4E, 0x47] + Array(repeating: UInt8(1), count: 64))
        let uploaded = try await alice.upload("/api/v1/attachments?name=scan.png", png, contentType: "image/png")
        #expect(uploaded.status == .created)
        c.check(uploaded, .post, "/api/v1/attachments", sent: nil, sourceLocation: #_sourceLocation)
        let mismatch = try await alice.upload("/api/v1/attachments?name=x.png", Data("MZ".utf8), contentType: "image/png")
        #expect(mismatch.status == .unprocessableContent)
        c.check(mismatch, .post, "/api/v1/attachments", sent: nil, sourceLocation: #_sourceLocation)
        let tooBig = try await alice.upload("/api/v1/attachments?name=big.txt", Data(repeating: 0x41, count: 3 << 20), contentType: "text/plain")
        #expect(tooBig.status == .contentTooLarge)
        c.check(tooBig, .post, "/api/v1/attachments", sent: nil, sourceLocation: #_sourceLocation)
        let withFile = try await c.call(alice, .post, "\(groupPath)/messages",
                                        ["text": "附件", "client_msg_id": "att-1", "attachments": [uploaded.id]] as [String: Any], expect: 201)
        #expect((withFile["attachments"] as? [[String: Any]])?.first?["id"] as? String == uploaded.id)
        try await c.call(bob, .get, "/api/v1/attachments/\(uploaded.id)", expect: 200)
        try await c.call(frank, .get, "/api/v1/attachments/\(uploaded.id)", expect: 404)

        // Department groups: one per org (with or without its subtree), members taken from the directory.
        let deptGroup = try await c.call(alice, .post, conversations, ["kind": "org", "org_id": d1], expect: 201)
        #expect(deptGroup["kind"] as? String == "org" && deptGroup["owner_id"] is NSNull)
        let deptMembers = (deptGroup["members"] as? [[String: Any]] ?? []).compactMap { $0["person_id"] as? String }
        #expect(Set(deptMembers) == Set([aliceId, bobId]), "D1's active people; the disabled newcomer is not one")
        let deptAgain = try await c.call(bob, .post, conversations, ["kind": "org", "org_id": d1], expect: 200)
        #expect(deptAgain.id == deptGroup.id, "a department group is opened once")
        try await c.call(frank, .post, conversations, ["kind": "org", "org_id": d1], expect: 403)
        try await c.call(alice, .post, conversations, ["kind": "org"], expect: 422)
        try await c.call(alice, .post, conversations, ["kind": "org", "org_id": missing], expect: 422)
        try await c.call(alice, .post, "\(conversations)/\(deptGroup.id)/members", ["members": [carolId]], expect: 422)
        try await c.call(alice, .delete, "\(conversations)/\(deptGroup.id)/members/\(bobId)", expect: 422)
        let adminOpened = try await c.call(root, .post, conversations, ["kind": "org", "org_id": d2, "include_subtree": true] as [String: Any],
                                           expect: 201)
        let rootMember = (adminOpened["members"] as? [[String: Any]])?.first { $0["person_id"] as? String == w.rootId }
        #expect(rootMember?["role"] as? String == "admin", "an administrator from outside the org joins as its admin")

        // Message search: only the caller's conversations, newest first, paged by message id.
        let search = "/api/v1/search/messages"
        let found = try await c.call(alice, .get, "\(search)?q=开会", expect: 200)
        #expect(found.items.compactMap { $0["id"] as? String } == [notice.id])
        let frankFound = try await c.call(frank, .get, "\(search)?q=开会", expect: 200)
        #expect(frankFound.items.isEmpty, "frank left the group")
        let firstHit = try await c.call(alice, .get, "\(search)?q=开会&limit=1", expect: 200)
        let hitCursor = try #require(firstHit["next_cursor"] as? String)
        let afterHit = try await c.call(alice, .get, "\(search)?q=开会&limit=1&cursor=\(hitCursor)", expect: 200)
        #expect(afterHit.items.isEmpty && afterHit["next_cursor"] is NSNull)
        try await c.call(alice, .get, "\(search)?q=会", expect: 422)
        try await c.call(alice, .get, "\(search)?q=开会&limit=0", expect: 400)
        try await c.call(alice, .get, "\(search)?q=开会&cursor=not-an-id", expect: 400)
    }

    static func dingAndAdministrationOperations(_ w: Walk, carol: API, frank: API) async throws {
        let (c, alice, bob, missing, bobId, carolId) = (w.c, w.alice, w.bob, w.missing, w.f.people["bob"]!, w.f.people["carol"]!)
        // DING: alice DINGs bob; carol (senior mode) and ids that name nothing are excluded, and say so.
        let dingsPath = "/api/v1/dings"
        let dingBody: [String: Any] = ["text": "今晚防汛值班，请确认", "channels": ["app", "sms"], "sms_after_minutes": 30,
                                       "recipients": ["people": [bobId, carolId, missing], "orgs": [missing]]]
        let ding = try await c.call(alice, .post, dingsPath, dingBody, expect: 201)
        #expect(ding["recipient_count"] as? Int == 1 && ding["sent"] as? Bool == true)
        let reasons = (ding["excluded"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }.sorted()
        #expect(reasons == ["not_found", "not_found", "senior_mode"])
        let dingPath = "\(dingsPath)/\(ding.id)"
        let later = try await c.call(alice, .post, dingsPath,
                                     ["text": "明早八点开会", "send_at": "2099-01-01T00:00:00Z", "recipients": ["people": [bobId]]] as [String: Any],
                                     expect: 201)
        #expect(later["sent"] as? Bool == false)
        try await c.call(bob, .get, "\(dingsPath)/\(later.id)", expect: 404)
        try await c.call(alice, .post, dingsPath, ["text": " ", "recipients": ["people": [bobId]]] as [String: Any], expect: 422)
        try await c.call(alice, .post, dingsPath, ["text": "x", "recipients": ["people": [carolId]]] as [String: Any], expect: 422)
        try await c.call(alice, .post, dingsPath, ["text": "x", "channels": ["fax"], "recipients": ["people": [bobId]]] as [String: Any],
                         expect: 422)
        try await c.call(alice, .post, dingsPath, ["text": "x", "send_at": "tomorrow", "recipients": ["people": [bobId]]] as [String: Any],
                         expect: 422)
        try await c.call(alice, .post, dingsPath, ["text": "x"], expect: 400)

        // Inbox and sent box; listing the inbox delivers.
        let inbox = try await c.call(bob, .get, dingsPath, expect: 200)
        #expect(inbox.items.compactMap { $0["id"] as? String } == [ding.id], "a scheduled DING is not in the inbox before its time")
        let sentFirst = try await c.call(alice, .get, "\(dingsPath)?box=sent&limit=1", expect: 200)
        let sentCursor = try #require(sentFirst["next_cursor"] as? String)
        try await c.call(alice, .get, "\(dingsPath)?box=sent&limit=1&cursor=\(sentCursor)", expect: 200)
        try await c.call(alice, .get, "\(dingsPath)?box=all", expect: 400)
        try await c.call(alice, .get, "\(dingsPath)?limit=0", expect: 400)

        // One DING: figures for the sender, own times for a recipient, nothing for anyone else.
        let board = try await c.call(alice, .get, dingPath, expect: 200)
        let figures = try #require(board["stats"] as? [String: Any])
        #expect(figures["recipients"] as? Int == 1 && figures["delivered"] as? Int == 1, "listing bob's inbox delivered it")
        let bobsView = try await c.call(bob, .get, dingPath, expect: 200)
        #expect(bobsView["stats"] is NSNull && bobsView["delivered_at"] is String)
        try await c.call(frank, .get, dingPath, expect: 404)
        try await c.call(alice, .get, "\(dingsPath)/\(missing)", expect: 404)
        let dingRecipients = try await c.call(alice, .get, "\(dingPath)/recipients", expect: 200)
        #expect(dingRecipients.items.compactMap { $0["person_id"] as? String } == [bobId])
        try await c.call(alice, .get, "\(dingPath)/recipients?status=unconfirmed&limit=10", expect: 200)
        try await c.call(alice, .get, "\(dingPath)/recipients?status=maybe", expect: 400)
        try await c.call(bob, .get, "\(dingPath)/recipients", expect: 403)
        try await c.call(frank, .get, "\(dingPath)/recipients", expect: 404)

        // Remind the unconfirmed, at most once per 5 minutes.
        let reminded = try await c.call(alice, .post, "\(dingPath)/remind", expect: 200)
        #expect(reminded["reminded"] as? Int == 1)
        let tooSoon = try await c.call(alice, .post, "\(dingPath)/remind", expect: 429)
        #expect(tooSoon.errorCode == "remind_too_soon" && tooSoon.headers[.retryAfter] != nil)
        #expect(((tooSoon["error"] as? [String: Any])?["retry_after"] as? Int).map { (1...300).contains($0) } == true)
        try await c.call(bob, .post, "\(dingPath)/remind", expect: 403)
        try await c.call(frank, .post, "\(dingPath)/remind", expect: 404)

        // Read and confirm: recipients only.
        let read = try await c.call(bob, .post, "\(dingPath)/read", expect: 200)
        #expect(read["read_at"] is String && read["confirmed_at"] is NSNull)
        try await c.call(alice, .post, "\(dingPath)/read", expect: 403)
        try await c.call(frank, .post, "\(dingPath)/read", expect: 404)
        let confirmed = try await c.call(bob, .post, "\(dingPath)/confirm", expect: 200)
        #expect(confirmed["confirmed_at"] is String)
        try await c.call(alice, .post, "\(dingPath)/confirm", expect: 403)
        try await c.call(bob, .post, "\(dingsPath)/\(missing)/confirm", expect: 404)
        try await Self.figuresFilesTokensAndUnauthenticated(w)
    }

    static func figuresFilesTokensAndUnauthenticated(_ w: Walk) async throws {
        let (c, api, root, bob, tom, missing, spec, u1, u2, d1) = (w.c, w.api, w.root, w.bob, w.tom, w.missing, w.c.spec, w.f.orgs["U1"]!, w.f.orgs["U2"]!, w.f.orgs["D1"]!)
        // Figures over an org or region subtree, for administrators.
        let statsPath = "/api/v1/stats/dings"
        let byOrg = try await c.call(root, .get, "\(statsPath)?org=\(u1)", expect: 200)
        #expect(byOrg["recipients"] as? Int == 1 && byOrg["confirmed"] as? Int == 1)
        #expect((byOrg["confirmation_rate"] as? NSNumber)?.doubleValue == 1)
        try await c.call(root, .get, "\(statsPath)?region=330122000000&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", expect: 200)
        try await c.call(root, .get, statsPath, expect: 422)
        try await c.call(root, .get, "\(statsPath)?region=330122000000&from=yesterday", expect: 400)
        try await c.call(root, .get, "\(statsPath)?org=\(missing)", expect: 404)
        try await c.call(bob, .get, "\(statsPath)?region=330122000000", expect: 403)

        // The people file in and out.
        let csv = Data("username,name,org\nalice,张三丰,\(d1)\n".utf8)
        for (who, query, status) in [(tom, "?dry_run=true", 200), (tom, "", 200), (bob, "", 403)] {
            let r = try await who.upload("/api/v1/admin/import\(query)", csv, contentType: "text/csv")
            #expect(Int(r.status.code) == status)
            c.check(r, .post, "/api/v1/admin/import", sent: nil, sourceLocation: #_sourceLocation)
        }
        for bad in ["username,name\nalice,张三丰\n", "\"open"] {
            let r = try await tom.upload("/api/v1/admin/import", Data(bad.utf8), contentType: "text/csv")
            #expect(r.status == .unprocessableContent)
            c.check(r, .post, "/api/v1/admin/import", sent: nil, sourceLocation: #_sourceLocation)
        }
        try await c.call(tom, .get, "/api/v1/admin/export?org=\(u1)", expect: 200)
        try await c.call(tom, .get, "/api/v1/admin/export?org=\(u2)", expect: 403)
        try await c.call(tom, .get, "/api/v1/admin/export?org=\(u1)&format=xml", expect: 400)
        try await c.call(tom, .get, "/api/v1/admin/export?org=\(missing)", expect: 404)
        try await c.call(tom, .get, "/api/v1/admin/export", expect: 422)

        // Provisioning tokens for SCIM clients.
        let issued = try await c.call(tom, .post, "/api/v1/admin/provisioning-tokens", ["name": "ci", "org_id": u1], expect: 201)
        try await c.call(tom, .post, "/api/v1/admin/provisioning-tokens", ["name": "ci", "org_id": u2], expect: 403)
        try await c.call(tom, .post, "/api/v1/admin/provisioning-tokens", ["name": "ci", "org_id": missing], expect: 404)
        try await c.call(tom, .post, "/api/v1/admin/provisioning-tokens", ["name": "", "org_id": u1], expect: 422)
        try await c.call(tom, .post, "/api/v1/admin/provisioning-tokens", ["name": "ci"], expect: 400)
        try await c.call(tom, .get, "/api/v1/admin/provisioning-tokens", expect: 200)
        try await c.call(tom, .delete, "/api/v1/admin/provisioning-tokens/\(issued.id)", expect: 204)
        try await c.call(tom, .delete, "/api/v1/admin/provisioning-tokens/\(issued.id)", expect: 404)

        // The directory's change log, for the root administrator.
        let changes = try await c.call(root, .get, "/api/v1/directory/changes?limit=3", expect: 200)
        try await c.call(root, .get, "/api/v1/directory/changes?since=\(changes["next_cursor"] as? String ?? "")", expect: 200)
        try await c.call(root, .get, "/api/v1/directory/changes?since=-1", expect: 400)
        try await c.call(tom, .get, "/api/v1/directory/changes", expect: 403)

        // The stream is a WebSocket, not a JSON answer: it is marked so, and the checks below leave it out.
        #expect(spec.operations.filter { spec.isWebSocket($0) }.map(\.key) == ["GET /api/v1/stream"])

        // Without a token, every protected operation answers 401.
        for op in spec.operations where spec.requiresToken(op) && !spec.isWebSocket(op) {
            let uri = op.path.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("{") ? missing : String($0) }.joined(separator: "/")
            let method = try #require(HTTPRequest.Method(op.method))
            let r = try await c.call(api, method, uri, expect: 401)
            #expect(r.headers[.wwwAuthenticate] == "Bearer", "\(op.key)")
        }

        let never = spec.operations.filter { !spec.isWebSocket($0) }.map(\.key).filter { !c.exercised.contains($0) }
        #expect(never.isEmpty, "documented but never called: \(never)")
    }

    /// The document promises 413 for bodies over 1 MiB (AppContext.maxUploadSize).
    @Test(arguments: Backend.available)
    func oversizedBodiesAnswer413(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let c = try await OpenAPIContract.load(api)
            let big = #"{"username":""# + String(repeating: "x", count: 1 << 20) + #"","password":"p"}"#
            let r = try await c.call(api, .post, "/api/v1/auth/login", raw: big, expect: 413)
            #expect(r.errorCode == "body_too_large")
        }
    }

    /// `next_cursor` of the audit log must be accepted back as `cursor`, like every other list.
    @Test(arguments: Backend.available)
    func auditNextCursorCanBeFollowed(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let c = try await OpenAPIContract.load(api)
            let root = try await c.signIn(api, "admin", TestServer.adminPassword)
            let first = try await c.call(root, .get, "/api/v1/admin/audit?limit=1", expect: 200)
            let cursor = try #require(first["next_cursor"] as? String)
            let second = try await c.call(root, .get, "/api/v1/admin/audit?limit=1&cursor=\(cursor)", expect: 200)
            let (a, b) = (first.items.first?["seq"] as? Int ?? 0, second.items.first?["seq"] as? Int ?? 0)
            #expect(b < a)
        }
    }
}

// MARK: - The document

struct OpenAPIOperation: Hashable, Sendable {
    /// Upper case, as on the wire: "GET".
    let method: String
    /// As documented: "/api/v1/orgs/{id}".
    let path: String
    var key: String { "\(method) \(path)" }
}

/// An OpenAPI document parsed by JSONSerialization, with a validator for the JSON Schema subset it uses:
/// `type` (one or a list, `integer` vs `number`, `boolean`, `null`), `enum`, `required`, `properties`,
/// `additionalProperties` (false or a schema), `items`, `anyOf`, and `$ref` to anywhere in the document.
struct OpenAPIDocument {
    let root: [String: Any]
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    init(_ root: [String: Any]) { self.root = root }

    var paths: [String: Any] { root["paths"] as? [String: Any] ?? [:] }

    var operations: [OpenAPIOperation] {
        var out: [OpenAPIOperation] = []
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            for method in Self.methods where item[method] != nil {
                out.append(OpenAPIOperation(method: method.uppercased(), path: path))
            }
        }
        return out.sorted { $0.key < $1.key }
    }

    func operation(_ op: OpenAPIOperation) -> [String: Any]? {
        (paths[op.path] as? [String: Any])?[op.method.lowercased()] as? [String: Any]
    }

    /// Operations marked `x-websocket: true` upgrade to a WebSocket instead of answering JSON; the
    /// conformance checks leave them out.
    func isWebSocket(_ op: OpenAPIOperation) -> Bool {
        operation(op)?["x-websocket"] as? Bool == true
    }

    /// An operation needs a token unless it (or, failing that, the document) declares no security.
    func requiresToken(_ op: OpenAPIOperation) -> Bool {
        let security = operation(op)?["security"] as? [Any] ?? root["security"] as? [Any] ?? []
        return !security.isEmpty
    }

    /// The documented path a concrete URI belongs to: literal segments must be equal, `{param}` matches
    /// any one non-empty segment; the most literal match wins.
    func template(for uri: String) -> String? {
        let segments = String(uri.prefix { $0 != "?" }).split(separator: "/", omittingEmptySubsequences: false)
        func placeholders(_ t: String) -> Int { t.split(separator: "/").filter { $0.hasPrefix("{") }.count }
        return paths.keys
            .filter { t in
                let parts = t.split(separator: "/", omittingEmptySubsequences: false)
                return parts.count == segments.count && zip(parts, segments).allSatisfy { part, segment in
                    part.hasPrefix("{") && part.hasSuffix("}") ? !segment.isEmpty : part == segment
                }
            }
            .min { (placeholders($0), $0) < (placeholders($1), $1) }
    }

    /// The response object documented for a status, with `$ref`s followed.
    func response(_ op: OpenAPIOperation, status: Int) -> [String: Any]? {
        resolve((operation(op)?["responses"] as? [String: Any])?[String(status)])
    }

    func requestSchema(_ op: OpenAPIOperation) -> [String: Any]? {
        Self.jsonSchema(of: resolve(operation(op)?["requestBody"]))
    }

    static func jsonSchema(of object: [String: Any]?) -> [String: Any]? {
        ((object?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
    }

    /// Follows a local JSON pointer such as "#/components/schemas/Org".
    func pointer(_ ref: String) -> Any? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: Any? = root
        for part in ref.dropFirst(2).split(separator: "/") {
            let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            node = (node as? [String: Any])?[key]
        }
        return node
    }

    func resolve(_ node: Any?) -> [String: Any]? {
        var current = node as? [String: Any]
        var hops = 0
        while let ref = current?["$ref"] as? String, hops < 32 {
            current = pointer(ref) as? [String: Any]
            hops += 1
        }
        return current
    }

    func unresolvedReferences() -> [String] {
        var missing: [String] = []
        func walk(_ node: Any) {
            if let object = node as? [String: Any] {
                if let ref = object["$ref"] as? String, pointer(ref) == nil { missing.append(ref) }
                for value in object.values { walk(value) }
            } else if let array = node as? [Any] {
                for value in array { walk(value) }
            }
        }
        walk(root)
        return missing
    }

    /// Every way `value` breaks `schema`, each prefixed with where in the value it happens; empty if it fits.
    func validate(_ value: Any?, against schema: [String: Any], at location: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String {
            guard let target = pointer(ref) as? [String: Any] else { return ["\(location): unresolvable $ref \(ref)"] }
            return validate(value, against: target, at: location)
        }
        if let alternatives = schema["anyOf"] as? [[String: Any]] {
            let failures = alternatives.map { validate(value, against: $0, at: location) }
            guard failures.contains(where: { $0.isEmpty }) else {
                return ["\(location): matches no alternative of anyOf (\(failures.map { $0.joined(separator: "; ") }.joined(separator: " | ")))"]
            }
        }
        let actual = Self.jsonType(value)
        if let types = (schema["type"] as? String).map({ [$0] }) ?? schema["type"] as? [String] {
            guard types.contains(actual) || (actual == "integer" && types.contains("number")) else {
                return ["\(location): expected \(types.joined(separator: " or ")), got \(actual)"]
            }
        }
        var problems: [String] = []
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { Self.equal($0, value) }) {
            problems.append("\(location): \(String(describing: value ?? "null")) is not one of \(allowed)")
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(location): missing required key \"\(key)\"")
            }
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                if let memberSchema = properties[key] as? [String: Any] {
                    problems += validate(member, against: memberSchema, at: "\(location).\(key)")
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    problems += validate(member, against: extra, at: "\(location).\(key)")
                } else if let allowed = schema["additionalProperties"] as? Bool, !allowed {
                    problems.append("\(location): undocumented key \"\(key)\"")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, element) in array.enumerated() {
                problems += validate(element, against: items, at: "\(location)[\(i)]")
            }
        }
        return problems
    }

    /// The JSON Schema type of a JSONSerialization value. Booleans arrive as a distinct NSNumber subclass
    /// on every platform; a number is an integer when it has no fractional part, as JSON Schema defines it.
    static func jsonType(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "null" }
        if value is String { return "string" }
        if let number = value as? NSNumber {
            if ObjectIdentifier(type(of: number)) == ObjectIdentifier(type(of: NSNumber(value: true))) { return "boolean" }
            let d = number.doubleValue
            return d.isFinite && d.rounded() == d ? "integer" : "number"
        }
        if value is [String: Any] { return "object" }
        if value is [Any] { return "array" }
        return "unknown (\(type(of: value)))"
    }

    static func equal(_ a: Any?, _ b: Any?) -> Bool {
        let (ta, tb) = (jsonType(a), jsonType(b))
        guard ta == tb else { return false }
        switch ta {
        case "null": return true
        case "string": return a as? String == b as? String
        case "boolean", "integer", "number": return (a as? NSNumber)?.isEqual(b as? NSNumber) ?? false
        default: return false
        }
    }

    /// The document as committed, read from the source tree next to this test.
    static func sourceFile(_ testFile: String = #filePath) throws -> Any {
        let repo = URL(fileURLWithPath: testFile).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let url = repo.appendingPathComponent("Sources/ZhengtongServer/Resources/openapi.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    /// JSON values in a form that compares equal exactly when the values are equal.
    static func canonical(_ json: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }
}

// MARK: - Calling the API against the document

/// Sends requests, checks each reply against the document, and remembers which operations were called.
final class OpenAPIContract {
    let spec: OpenAPIDocument
    private(set) var exercised: Set<String> = []

    init(_ spec: OpenAPIDocument) { self.spec = spec }

    /// Fetches the document from the running server.
    static func load(_ api: API) async throws -> OpenAPIContract {
        let reply = try await api.get("/openapi.json")
        #expect(reply.status == .ok)
        let root = try #require(reply.json as? [String: Any], "GET /openapi.json did not return a JSON object")
        return OpenAPIContract(OpenAPIDocument(root))
    }

    /// Calls the API, checks the reply against the document, and throws unless the status is `status`.
    @discardableResult
    func call(_ api: API, _ method: HTTPRequest.Method, _ uri: String, _ body: Any? = nil, raw: String? = nil,
              expect status: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Reply {
        let reply = try await api.call(method, uri, body, raw: raw)
        let actual = Int(reply.status.code)
        #expect(actual == status, "\(method.rawValue) \(uri): \(String(describing: reply.json))", sourceLocation: sourceLocation)
        check(reply, method, uri, sent: body, sourceLocation: sourceLocation)
        guard actual == status else {
            throw TestSetupError.fixture("\(method.rawValue) \(uri): expected \(status), got \(actual)")
        }
        return reply
    }

    /// Signs in through the documented login operation and returns a client carrying the token.
    func signIn(_ api: API, _ username: String, _ password: String = Fixture.password,
                sourceLocation: SourceLocation = #_sourceLocation) async throws -> API {
        let r = try await call(api, .post, "/api/v1/auth/login", ["username": username, "password": password], expect: 200,
                               sourceLocation: sourceLocation)
        var signedIn = api
        signedIn.token = try #require(r["token"] as? String, sourceLocation: sourceLocation)
        return signedIn
    }

    func check(_ reply: Reply, _ method: HTTPRequest.Method, _ uri: String, sent body: Any?, sourceLocation: SourceLocation) {
        let status = Int(reply.status.code)
        guard let path = spec.template(for: uri) else {
            Issue.record("\(uri) matches no documented path", sourceLocation: sourceLocation)
            return
        }
        let op = OpenAPIOperation(method: method.rawValue, path: path)
        guard spec.operation(op) != nil else {
            Issue.record("\(op.key) is not documented", sourceLocation: sourceLocation)
            return
        }
        exercised.insert(op.key)

        // A request the server accepted must also fit the documented request body.
        if (200..<300).contains(status), let body, let schema = spec.requestSchema(op) {
            let sent = (try? JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: body))) ?? NSNull()
            let problems = spec.validate(sent, against: schema)
            #expect(problems.isEmpty, "request body of \(op.key): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
        }

        guard let response = spec.response(op, status: status) else {
            Issue.record("\(op.key) answered \(status), which the document does not list: \(String(describing: reply.json))",
                         sourceLocation: sourceLocation)
            return
        }
        if let schema = OpenAPIDocument.jsonSchema(of: response) {
            #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true, "\(op.key) → \(status): content type",
                    sourceLocation: sourceLocation)
            let problems = spec.validate(reply.json, against: schema)
            #expect(problems.isEmpty, "\(op.key) → \(status): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
        } else {
            #expect(reply.json == nil, "\(op.key) → \(status) should have no body", sourceLocation: sourceLocation)
        }
    }
}
