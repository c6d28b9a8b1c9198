import Foundation
import Testing

/// Every kind of bad input gets the one error shape and the right status, and changes nothing:
/// the audit log's length and the directory listing are the same before and after.
@Suite struct BadInputTests {
    @Test(arguments: Backend.available)
    func badInputChangesNothing(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let root = f.root
            func snapshot() async throws -> (Int, Int, Int) {
                let audit = try expect(await root.get("/api/v1/admin/audit?limit=200"), 200).items.count
                let people = try expect(await root.get("/api/v1/people?limit=200"), 200).items.count
                let orgs = try expect(await root.get("/api/v1/orgs/\(f.orgs["U1"]!)/children?limit=200"), 200).items.count
                return (audit, people, orgs)
            }
            let before = try await snapshot()
            let u1 = f.orgs["U1"]!, d1 = f.orgs["D1"]!
            let cases: [(String, String, String?, Any?, Int, String)] = [
                ("POST", "/api/v1/orgs", "{not json", nil, 400, "malformed_json"),
                ("POST", "/api/v1/orgs", nil, ["name": 12, "kind": "unit"], 400, "invalid_field"),
                ("POST", "/api/v1/orgs", nil, ["kind": "unit"], 400, "missing_field"),
                ("POST", "/api/v1/orgs", nil, ["name": "", "kind": "department", "parent_id": d1], 422, "invalid_name"),
                ("POST", "/api/v1/orgs", nil, ["name": "   ", "kind": "department", "parent_id": d1], 422, "invalid_name"),
                ("POST", "/api/v1/orgs", nil, ["name": String(repeating: "长", count: 101), "kind": "department", "parent_id": d1], 422, "invalid_name"),
                ("POST", "/api/v1/orgs", nil, ["name": "x", "kind": "bureau", "parent_id": d1], 422, "invalid_kind"),
                ("POST", "/api/v1/orgs", nil, ["name": "x", "kind": "unit", "region_code": "339999000000"], 422, "invalid_region_code"),
                ("POST", "/api/v1/orgs", nil, ["name": "x", "kind": "department", "parent_id": "0000000000000000"], 422, "invalid_parent_id"),
                ("POST", "/api/v1/orgs", nil, ["name": "x", "kind": "department", "parent_id": d1, "visibility": "secret"], 422, "invalid_visibility"),
                ("PATCH", "/api/v1/orgs/\(d1)", nil, ["parent_id": d1], 422, "invalid_parent_id"),
                ("PATCH", "/api/v1/orgs/\(u1)", nil, ["parent_id": d1], 422, "invalid_parent_id"),
                ("PATCH", "/api/v1/orgs/nope", nil, ["name": "x"], 404, "not_found"),
                ("DELETE", "/api/v1/orgs/\(u1)", nil, nil, 409, "org_not_empty"),
                ("POST", "/api/v1/regions", nil, ["code": "3301", "name": "x", "level": "city", "parent_code": "330000000000"], 422, "invalid_code"),
                ("POST", "/api/v1/regions", nil, ["code": "330200000000", "name": "x", "level": "county", "parent_code": "330000000000"], 422, "invalid_code"),
                ("POST", "/api/v1/regions", nil, ["code": "330222000000", "name": "x", "level": "county", "parent_code": "330000000000"], 422, "invalid_parent_code"),
                ("POST", "/api/v1/regions", nil, ["code": "330200000000", "name": "x", "level": "metropolis"], 422, "invalid_level"),
                ("POST", "/api/v1/regions", nil, ["code": "340100000000", "name": "x", "level": "city", "parent_code": "330000000000"], 422, "invalid_code"),
                ("POST", "/api/v1/regions", nil, ["code": "330100000000", "name": "x", "level": "city", "parent_code": "330000000000"], 409, "region_exists"),
                ("POST", "/api/v1/people", nil, ["name": "x", "username": "a b", "positions": [["org_id": d1]]], 422, "invalid_username"),
                ("POST", "/api/v1/people", nil, ["name": "x", "username": "12345", "positions": [["org_id": d1]]], 422, "invalid_username"),
                ("POST", "/api/v1/people", nil, ["name": "x", "username": "xx", "mobile": "12", "positions": [["org_id": d1]]], 422, "invalid_mobile"),
                ("POST", "/api/v1/people", nil, ["name": "x", "username": "xx", "email": "no-at", "positions": [["org_id": d1]]], 422, "invalid_email"),
                ("POST", "/api/v1/people", nil, ["name": "x", "username": "xx", "password": "short", "positions": [["org_id": d1]]], 422, "invalid_password"),
                ("POST", "/api/v1/people", nil, ["name": "x", "username": "xx", "positions": [["org_id": d1, "main": true], ["org_id": u1, "main": true]]], 422, "invalid_positions"),
                // The second position is bad: the first must not be left behind.
                ("POST", "/api/v1/people", nil, ["name": "x", "username": "xx", "positions": [["org_id": d1], ["org_id": "0000000000000000"]]], 422, "invalid_org_id"),
                ("POST", "/api/v1/people", nil, ["name": "x", "username": "alice", "positions": [["org_id": d1]]], 409, "username_taken"),
                ("PATCH", "/api/v1/people/\(f.people["bob"]!)", nil, ["mobile": f.mobiles["alice"]!], 409, "mobile_taken"),
                ("PATCH", "/api/v1/people/\(f.people["bob"]!)", nil, ["status": "gone"], 422, "invalid_status"),
                ("GET", "/api/v1/people/0000000000000000", nil, nil, 404, "not_found"),
                ("GET", "/api/v1/people/not-an-id", nil, nil, 404, "not_found"),
                ("GET", "/api/v1/regions/999999999999", nil, nil, 404, "not_found"),
                ("POST", "/api/v1/admin/grants", nil, ["person_id": f.people["bob"]!, "role": "superuser", "org_id": d1], 422, "invalid_role"),
                ("POST", "/api/v1/admin/grants", nil, ["person_id": f.people["bob"]!, "role": "directory_admin"], 422, "invalid_scope"),
                ("DELETE", "/api/v1/admin/grants/0000000000000000", nil, nil, 404, "not_found"),
                ("GET", "/api/v1/no/such/route", nil, nil, 404, "not_found"),
                ("POST", "/api/v1/no/such/route", nil, [:], 404, "not_found"),
                // A forged offset as large as an Int can be, and a conversation list's key cursor elsewhere.
                ("GET", "/api/v1/people?q=%E7%8E%8B&cursor=bzo5MjIzMzcyMDM2ODU0Nzc1ODA3", nil, nil, 400, "invalid_cursor"),
                ("GET", "/api/v1/orgs/\(u1)/members?cursor=bzo5MjIzMzcyMDM2ODU0Nzc1ODA3", nil, nil, 400, "invalid_cursor"),
                ("GET", "/api/v1/people?cursor=azoxOjAxYWJjZGVmZ2hpamtsbW4", nil, nil, 400, "invalid_cursor"),
                ("DELETE", "/api/v1/people", nil, nil, 405, "method_not_allowed"),
                ("PUT", "/api/v1/orgs/\(u1)", nil, ["name": "x"], 405, "method_not_allowed"),
                ("POST", "/api/v1/orgs/\(u1)/members", nil, [:], 405, "method_not_allowed"),
            ]
            for (method, path, raw, body, status, code) in cases {
                let m: HTTPMethodName = .init(method)
                let r = try await root.call(m.value, path, body, raw: raw)
                #expect(Int(r.status.code) == status, "\(method) \(path): \(String(describing: r.json))")
                #expect(r.errorCode == code, "\(method) \(path)")
                let error = r["error"] as? [String: Any]
                #expect((error?["message"] as? String)?.isEmpty == false, "\(method) \(path) has a message")
            }
            // A wrong method says which are right.
            #expect(try await root.call(.delete, "/api/v1/people").headers[.allow] == "GET, POST")
            #expect(try await root.call(.put, "/api/v1/orgs/\(u1)", ["name": "x"]).headers[.allow] == "DELETE, GET, PATCH")
            // A body over 1 MiB is refused before it is read.
            let huge = try await root.call(.post, "/api/v1/orgs", raw: "{\"name\": \"" + String(repeating: "x", count: 1_100_000) + "\"}")
            #expect(huge.status == .contentTooLarge)
            #expect(huge.errorCode == "body_too_large")
            let after = try await snapshot()
            #expect(after == before, "nothing changed")
            #expect(try expect(await root.get("/api/v1/people?q=xx"), 200).items.isEmpty)
        }
    }
}

import HTTPTypes
struct HTTPMethodName {
    let value: HTTPRequest.Method
    init(_ s: String) { value = HTTPRequest.Method(s)! }
}
