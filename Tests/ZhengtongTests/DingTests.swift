import Ding
import Foundation
import Testing
import ZhengtongCore
@testable import ZhengtongServer

@Suite struct DingTests {
    static let secret = "gateway-secret-1"

    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func dingLifecycleWithEscalation(_ backend: Backend) async throws {
        let clock = ManualClock()
        try await GatewayReceiver().run { gateway in
            try await TestServer.with(backend, clock: clock, configure: { c in
                c.smsGatewayURL = "http://127.0.0.1:\(gateway.port)/sms"
                c.voiceGatewayURL = "http://127.0.0.1:\(gateway.port)/voice"
                c.gatewaySecret = Self.secret
            }) { api in
                let f = try await Fixture.build(api)
                let alice = try await f.as_("alice"), bob = try await f.as_("bob"), frank = try await f.as_("frank"), tom = try await f.as_("tom")
                let port = api.client.port!
                let bobStream = StreamClient(port: port, token: bob.token!)
                let aliceStream = StreamClient(port: port, token: alice.token!)
                _ = await bobStream.untilReady()
                _ = await aliceStream.untilReady()

                let created = try expect(await alice.post("/api/v1/dings", [
                    "text": "台风“烟花”今晚登陆，请各单位立即到岗并确认", "channels": ["app", "sms", "voice"],
                    "sms_after_minutes": 5, "voice_after_minutes": 10,
                    "recipients": ["people": [f.people["bob"]!, f.people["carol"]!, f.people["dave"]!], "orgs": [f.orgs["D2"]!]],
                ]), 201)
                let id = created.id
                // bob, and D2's frank, tom and oscar; carol and grace are in senior mode; dave does not exist for alice.
                #expect(created["recipient_count"] as? Int == 4)
                let excluded = (created["excluded"] as? [[String: Any]] ?? []).map { ($0["id"] as? String ?? "", $0["reason"] as? String ?? "") }
                #expect(Set(excluded.map(\.0)) == Set([f.people["carol"]!, f.people["grace"]!, f.people["dave"]!]))
                #expect(excluded.first { $0.0 == f.people["carol"]! }?.1 == "senior_mode")
                #expect(excluded.first { $0.0 == f.people["dave"]! }?.1 == "not_found")

                // Delivered: bob's device got it on the stream; frank's when his inbox listed it.
                let live = await bobStream.next()
                #expect(live?["type"] as? String == "ding.new")
                let inbox = try expect(await frank.get("/api/v1/dings?box=inbox"), 200)
                #expect(inbox.items.map { $0["id"] as? String } == [id])
                try await Task.sleep(for: .milliseconds(200))

                clock.advance(by: 90)
                let confirmed = try expect(await bob.post("/api/v1/dings/\(id)/confirm"), 200)
                #expect(confirmed["confirmed_at"] is String)
                #expect(await aliceStream.next()?["type"] as? String == "ding.updated")
                try expect(await frank.post("/api/v1/dings/\(id)/read"), 200)
                let board = try expect(await alice.get("/api/v1/dings/\(id)"), 200)["stats"] as! [String: Any]
                #expect(board["recipients"] as? Int == 4 && board["delivered"] as? Int == 2)
                #expect(board["read"] as? Int == 2 && board["confirmed"] as? Int == 1)
                #expect(board["arrival_rate"] as? Double == 0.5 && board["confirmation_rate"] as? Double == 0.25)
                #expect(board["mean_confirm_seconds"] as? Double == 90)
                let unconfirmed = try expect(await alice.get("/api/v1/dings/\(id)/recipients?status=unconfirmed"), 200)
                #expect(Set(unconfirmed.items.compactMap { $0["person_id"] as? String }) == Set(["frank", "tom", "oscar"].map { f.people[$0]! }))
                try expect(await bob.get("/api/v1/dings/\(id)/recipients"), 403)
                try expect(await f.as_("carol").get("/api/v1/dings/\(id)"), 404)

                // After 5 minutes the unconfirmed get an SMS, signed; after 10, a call.
                #expect(gateway.requests.isEmpty)
                clock.advance(by: 5 * 60)
                let sms = await gateway.waitFor(3)
                #expect(sms.count == 3 && sms.allSatisfy { $0.path == "/sms" })
                #expect(sms.allSatisfy { $0.signature == HTTPGateway.signature($0.body, secret: Self.secret) })
                let first = try JSONSerialization.jsonObject(with: sms[0].body) as? [String: Any]
                #expect(first?["ding_id"] as? String == id && (first?["mobile"] as? String)?.count == 11)
                try expect(await tom.post("/api/v1/dings/\(id)/confirm"), 200)
                clock.advance(by: 5 * 60)
                let all = await gateway.waitFor(5)
                #expect(all.filter { $0.path == "/voice" }.count == 2, "frank and oscar, not tom who confirmed")

                // Re-DING the unconfirmed at most once per 5 minutes.
                #expect(try expect(await alice.post("/api/v1/dings/\(id)/remind"), 200)["reminded"] as? Int == 2)
                let tooSoon = try expect(await alice.post("/api/v1/dings/\(id)/remind"), 429)
                #expect(tooSoon.errorCode == "remind_too_soon" && tooSoon.headers[.retryAfter] != nil)
                try expect(await bob.post("/api/v1/dings/\(id)/remind"), 403)
                clock.advance(by: 5 * 60)
                try expect(await alice.post("/api/v1/dings/\(id)/remind"), 200)

                // Figures per region subtree, for administrators.
                let region = try expect(await f.root.get("/api/v1/stats/dings?region=330127000000"), 200)
                #expect(region["recipients"] as? Int == 3 && region["confirmed"] as? Int == 1)
                try expect(await bob.get("/api/v1/stats/dings?region=330127000000"), 403)

                // Bad input changes nothing.
                let before = try expect(await alice.get("/api/v1/dings?box=sent"), 200).items.count
                try expect(await alice.post("/api/v1/dings", ["text": "", "recipients": ["people": [f.people["bob"]!]]]), 422)
                try expect(await alice.post("/api/v1/dings", ["text": "x", "recipients": [String: Any]()]), 422)
                try expect(await alice.post("/api/v1/dings", ["text": "x", "channels": ["fax"], "recipients": ["people": [f.people["bob"]!]]]), 422)
                try expect(await alice.post("/api/v1/dings", ["text": "x", "recipients": ["people": [f.people["carol"]!]]]), 422)
                try expect(await alice.post("/api/v1/dings", ["text": "x", "sms_after_minutes": 0, "channels": ["sms"],
                                                              "recipients": ["people": [f.people["bob"]!]]]), 422)
                #expect(try expect(await alice.get("/api/v1/dings?box=sent"), 200).items.count == before)
                bobStream.close()
                aliceStream.close()
            }
        }
    }

    /// A scheduled DING and its escalation are stored jobs: they happen even if the server restarts in between.
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func scheduledDingSurvivesARestart(_ backend: Backend) async throws {
        let clock = ManualClock()
        let url = try await backend.freshDatabaseURL()
        let id: String = try await TestServer.with(backend, clock: clock, url: url) { api in
            let f = try await Fixture.build(api)
            let alice = try await f.as_("alice")
            let sendAt = clock.now().addingTimeInterval(3600).iso8601
            let d = try expect(await alice.post("/api/v1/dings", ["text": "明早八点开会", "send_at": sendAt,
                                                                  "recipients": ["people": [f.people["bob"]!]]]), 201)
            let bob = try await f.as_("bob")
            #expect(try expect(await bob.get("/api/v1/dings?box=inbox"), 200).items.isEmpty, "not before its time")
            return d.id
        }
        try await TestServer.with(backend, clock: clock, url: url) { api in
            let bob = try await api.login("bob", Fixture.password)
            clock.advance(by: 3601)
            var found = false
            for _ in 0..<40 where !found {
                try await Task.sleep(for: .milliseconds(100))
                found = try expect(await bob.get("/api/v1/dings?box=inbox"), 200).items.contains { $0["id"] as? String == id }
            }
            #expect(found)
        }
    }

    /// A gateway that is down is retried with a growing delay; nobody's escalation is lost to it.
    @Test(.timeLimit(.minutes(5)), arguments: Backend.available)
    func escalationRetriesAFailingGateway(_ backend: Backend) async throws {
        let clock = ManualClock()
        try await GatewayReceiver(failFirst: 1).run { gateway in
            try await TestServer.with(backend, clock: clock, configure: { c in
                c.smsGatewayURL = "http://127.0.0.1:\(gateway.port)/sms"
                c.gatewaySecret = Self.secret
            }) { api in
                let f = try await Fixture.build(api)
                let alice = try await f.as_("alice")
                let id = try expect(await alice.post("/api/v1/dings", ["text": "请确认", "channels": ["sms"], "sms_after_minutes": 1,
                                                                       "recipients": ["people": [f.people["bob"]!]]]), 201).id
                clock.advance(by: 61)
                #expect(await gateway.waitFor(1).count == 1, "first attempt, refused")
                var sms = try expect(await alice.get("/api/v1/dings/\(id)/recipients"), 200).items.first?["sms_at"]
                #expect(sms is NSNull)
                clock.advance(by: 31)
                #expect(await gateway.waitFor(2).count == 2, "retried after 30 s")
                try await Task.sleep(for: .milliseconds(300))
                sms = try expect(await alice.get("/api/v1/dings/\(id)/recipients"), 200).items.first?["sms_at"]
                #expect(sms is String)
            }
        }
    }
}
