import Foundation
import Testing

/// A small directory built through the API as the root administrator:
///
///   浙江省 › 杭州市 › 桐庐县: U1 桐庐县市场监督管理局 [市场监管] ─ D1 办公室, DH 稽查大队 (hidden), DS 纪检监察组 (self_only)
///                   › 淳安县: U2 淳安县公安局 [公安] ─ D2 办公室
///
/// People: alice (D1), bob (D1, hides mobile), carol (U1 局长, senior mode), dave (DH), erin (DS), frank (D2),
/// grace (D2, senior mode), tom (D2, directory_admin of region 桐庐县), oscar (D2, directory_admin of org D2).
struct Fixture: Sendable {
    var root: API
    var orgs: [String: String] = [:]
    var people: [String: String] = [:]
    var mobiles: [String: String] = [:]
    static let password = "password-123"

    static func build(_ api: API) async throws -> Fixture {
        let root = try await api.login("admin", TestServer.adminPassword)
        var f = Fixture(root: root)
        for (code, name, level, parent) in [("330000000000", "浙江省", "province", nil), ("330100000000", "杭州市", "city", "330000000000"),
                                            ("330122000000", "桐庐县", "county", "330100000000"), ("330127000000", "淳安县", "county", "330100000000")] {
            var body: [String: Any] = ["code": code, "name": name, "level": level]
            if let parent { body["parent_code"] = parent }
            try expect(await root.post("/api/v1/regions", body), 201)
        }
        f.orgs["U1"] = try expect(await root.post("/api/v1/orgs", ["name": "桐庐县市场监督管理局", "kind": "unit", "region_code": "330122000000",
                                                                   "lines": ["市场监管"]]), 201).id
        f.orgs["U2"] = try expect(await root.post("/api/v1/orgs", ["name": "淳安县公安局", "kind": "unit", "region_code": "330127000000",
                                                                   "lines": ["公安"]]), 201).id
        f.orgs["D1"] = try expect(await root.post("/api/v1/orgs", ["name": "办公室", "kind": "department", "parent_id": f.orgs["U1"]!]), 201).id
        f.orgs["DH"] = try expect(await root.post("/api/v1/orgs", ["name": "稽查大队", "kind": "department", "parent_id": f.orgs["U1"]!,
                                                                   "hidden": true]), 201).id
        f.orgs["DS"] = try expect(await root.post("/api/v1/orgs", ["name": "纪检监察组", "kind": "department", "parent_id": f.orgs["U1"]!,
                                                                   "visibility": "self_only"]), 201).id
        f.orgs["D2"] = try expect(await root.post("/api/v1/orgs", ["name": "办公室", "kind": "department", "parent_id": f.orgs["U2"]!]), 201).id
        let people: [(String, String, String, String, [String: Any])] = [
            ("alice", "张三丰", "D1", "13800000001", ["title": "科员"]),
            ("bob", "单雄信", "D1", "13800000002", ["hide_mobile": true]),
            ("carol", "曾国藩", "U1", "13800000003", ["senior_mode": true, "title": "局长", "leader": true]),
            ("dave", "区志强", "DH", "13800000004", ["title": "大队长"]),
            ("erin", "仇英", "DS", "13800000005", [:]),
            ("frank", "解缙", "D2", "13800000006", [:]),
            ("grace", "查良镛", "D2", "13800000007", ["senior_mode": true]),
            ("tom", "朴树", "D2", "13800000008", [:]),
            ("oscar", "尉迟恭", "D2", "13800000009", [:]),
        ]
        for (username, name, org, mobile, extra) in people {
            var position: [String: Any] = ["org_id": f.orgs[org]!]
            if let t = extra["title"] { position["title"] = t }
            if let l = extra["leader"] { position["leader"] = l }
            var body: [String: Any] = ["name": name, "username": username, "mobile": mobile, "password": password, "positions": [position]]
            for k in ["hide_mobile", "senior_mode"] { if let v = extra[k] { body[k] = v } }
            f.people[username] = try expect(await root.post("/api/v1/people", body), 201).id
            f.mobiles[username] = mobile
        }
        try expect(await root.post("/api/v1/admin/grants", ["person_id": f.people["tom"]!, "role": "directory_admin",
                                                             "region_code": "330122000000"]), 201)
        try expect(await root.post("/api/v1/admin/grants", ["person_id": f.people["oscar"]!, "role": "directory_admin",
                                                             "org_id": f.orgs["D2"]!]), 201)
        return f
    }

    func as_(_ username: String) async throws -> API {
        try await root.login(username, Self.password)
    }
}

@discardableResult
func expect(_ reply: Reply, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> Reply {
    #expect(Int(reply.status.code) == status, "body: \(String(describing: reply.json))", sourceLocation: sourceLocation)
    guard Int(reply.status.code) == status else { throw TestSetupError.fixture("expected \(status), got \(reply.status.code)") }
    return reply
}
