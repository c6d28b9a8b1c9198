import Foundation
import Testing
@testable import ZhengtongServer

@Suite struct ServerTests {
    @Test func configPrecedenceFlagsOverEnvironmentOverFileOverDefaults() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("zt-config-\(UUID().uuidString).json")
        try Data(#"{"port": 9001, "host": "0.0.0.0", "database": "sqlite://file.sqlite", "demo": true}"#.utf8).write(to: file)
        let defaults = try AppConfig.resolve(flags: [:], environment: [:], configFile: nil)
        #expect(defaults.port == 8080 && defaults.host == "127.0.0.1" && defaults.database == "sqlite://./data/zhengtong.sqlite" && defaults.demo == nil)
        let fromFile = try AppConfig.resolve(flags: [:], environment: [:], configFile: file.path)
        #expect(fromFile.port == 9001 && fromFile.host == "0.0.0.0" && fromFile.demo == "county")
        let env = ["ZHENGTONG_PORT": "9002", "ZHENGTONG_DATABASE": "sqlite://env.sqlite"]
        let fromEnv = try AppConfig.resolve(flags: [:], environment: env, configFile: file.path)
        #expect(fromEnv.port == 9002 && fromEnv.database == "sqlite://env.sqlite" && fromEnv.host == "0.0.0.0")
        let fromFlags = try AppConfig.resolve(flags: ["port": "9003"], environment: env, configFile: file.path)
        #expect(fromFlags.port == 9003 && fromFlags.database == "sqlite://env.sqlite")
        #expect(throws: ConfigError.self) { _ = try AppConfig.resolve(flags: ["port": "http"], environment: [:], configFile: nil) }
        #expect(throws: ConfigError.self) { _ = try AppConfig.resolve(flags: [:], environment: ["ZHENGTONG_CONFIG": "/no/such/file"], configFile: nil) }
        // A gateway needs a well-formed URL and a real signing secret; the error never repeats the secret.
        let gateway = ["ZHENGTONG_SMS_GATEWAY_URL": "https://sms.example.gov.cn/send"]
        for (extra, refused) in [([:], true), (["ZHENGTONG_GATEWAY_SECRET": "short-secret"], true),
                                 (["ZHENGTONG_GATEWAY_SECRET": "a-long-enough-secret"], false)] {
            let env = gateway.merging(extra) { a, _ in a }
            do {
                let c = try AppConfig.resolve(flags: [:], environment: env, configFile: nil)
                #expect(!refused && c.gatewaySecret == "a-long-enough-secret")
            } catch let e as ConfigError {
                #expect(refused && "\(e)".hasPrefix("gateway_secret") && !"\(e)".contains("short-secret"), "\(e)")
            }
        }
        #expect(throws: ConfigError.self) {
            _ = try AppConfig.resolve(flags: [:], environment: ["ZHENGTONG_VOICE_GATEWAY_URL": "voice-gateway:8080",
                                                                "ZHENGTONG_GATEWAY_SECRET": "a-long-enough-secret"], configFile: nil)
        }
        var direct = AppConfig()
        direct.smsGatewayURL = "http://127.0.0.1:9/sms"
        #expect(throws: ConfigError.self, "buildApplication checks what resolve would") { try direct.validate() }
    }

    @Test(arguments: Backend.available)
    func healthAndReadiness(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let health = try await api.get("/healthz")
            let ready = try await api.get("/readyz")
            #expect(health["status"] as? String == "ok")
            #expect(ready["status"] as? String == "ready")
        }
    }

    /// Paging inside a region filter returns full pages and a cursor (people with several positions in
    /// the region count once), and `+` in a query means a space, as browsers send it.
    @Test(arguments: Backend.available)
    func filteredSearchPagesAndFormEncoding(_ backend: Backend) async throws {
        try await TestServer.with(backend, demo: "county") { api in
            let staff = try await api.login("staff", "zhengtong")
            let all = try expect(await staff.get("/api/v1/people?q=zhang&limit=200"), 200).items.count
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let page = try expect(await staff.get("/api/v1/people?q=zhang&region=330110000000&limit=20" + (cursor.map { "&cursor=\($0)" } ?? "")), 200)
                if page["next_cursor"] is String { #expect(page.items.count == 20, "a page with a cursor is full") }
                seen += page.items.compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == Set(seen).count)
            #expect(seen.count >= min(all, 21), "paging reaches past the first page")
            let plus = try expect(await staff.get("/api/v1/people?q=zhang+wei&limit=5"), 200).items.count
            let space = try expect(await staff.get("/api/v1/people?q=zhang wei&limit=5"), 200).items.count  // the client encodes the space as %20
            #expect(plus == space && plus > 0)
        }
    }

    /// `serve --demo`: the demo county loads into an empty database, its well-known accounts sign in
    /// with the demo password, and its county administrator's grant works.
    @Test(arguments: Backend.available)
    func demoCountyLoads(_ backend: Backend) async throws {
        try await TestServer.with(backend, demo: "county") { api in
            let staff = try await api.login("staff", "zhengtong")
            let me = try expect(await staff.get("/api/v1/me"), 200)
            #expect((me["positions"] as? [[String: Any]])?.isEmpty == false)
            let found = try expect(await staff.get("/api/v1/people?q=wang&limit=5"), 200)
            #expect(found.items.count == 5)
            let admin = try await api.login("countyadmin", "zhengtong")
            let grants = try expect(await admin.get("/api/v1/me"), 200)["grants"] as? [[String: Any]]
            #expect(grants?.count == 1)
            let region = grants?.first?["region_code"] as? String ?? ""
            let units = try expect(await admin.get("/api/v1/regions/\(region)/orgs?limit=200"), 200)
            #expect(units.items.count > 10)
            let unit = units.items[0]["id"] as! String
            try expect(await admin.patch("/api/v1/orgs/\(unit)", ["order": 1]), 200)
            try expect(await staff.patch("/api/v1/orgs/\(unit)", ["order": 2]), 403)
        }
    }
}
