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
