import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import SQLKit
import Storage
import Testing

/// The `zhengtong` executable itself, run as an operator would run it.
@Suite struct CLITests {
    /// The executable SwiftPM built next to the test bundle.
    static var binary: URL {
        var dir = Bundle.main.bundleURL
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("zhengtong")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/zhengtong")
    }

    struct Run { var status: Int32; var output: String }

    /// Waits for the child off the cooperative pool: a test blocking one of its few threads for a 20-second
    /// seed stalls every other test in the process (a parallel stream test once timed out behind two).
    static func run(_ args: [String], env: [String: String] = [:], cwd: URL? = nil) async throws -> Run {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ZHENGTONG_") }
        environment["ZHENGTONG_PASSWORD_LOG_N"] = "10"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        if let cwd { p.currentDirectoryURL = cwd }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        return await withCheckedContinuation { done in
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                done.resume(returning: Run(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self)))
            }
        }
    }

    @Test(arguments: Backend.available)
    func migrateSeedResetAndVerify(_ backend: Backend) async throws {
        let url = try await backend.freshDatabaseURL()
        let migrate = try await Self.run(["migrate", "--database", url])
        #expect(migrate.status == 0, "\(migrate.output)")
        #expect(migrate.output.contains("applied: 001_directory"))
        #expect(try await Self.run(["migrate", "--database", url]).output.contains("up to date"))

        let seed = try await Self.run(["seed", "demo", "--size", "county", "--database", url], env: ["ZHENGTONG_ADMIN_PASSWORD": "root-password-9"])
        #expect(seed.status == 0, "\(seed.output)")
        #expect(seed.output.contains("people"))
        let again = try await Self.run(["seed", "demo", "--database", url])
        #expect(again.status != 0, "seeding a non-empty directory is refused")

        let reset = try await Self.run(["admin", "reset-password", "staff", "--database", url], env: ["ZHENGTONG_NEW_PASSWORD": "new-password-1"])
        #expect(reset.status == 0, "\(reset.output)")
        let unknown = try await Self.run(["admin", "reset-password", "nobody-here", "--database", url])
        #expect(unknown.status != 0)

        // Export a county, import it back: nothing changes; an edited copy is checked by a dry run first.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zt-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("county.csv").path
        let export = try await Self.run(["export", "--format", "csv", "--region", "330110000000", "--output", file, "--database", url])
        #expect(export.status == 0, "\(export.output)")
        let exported = try String(contentsOfFile: file, encoding: .utf8)
        #expect(exported.components(separatedBy: "\r\n").count > 4000)
        #expect(!FileManager.default.fileExists(atPath: file + ".partial"), "written beside the output, then renamed over it")
        let failed = try await Self.run(["export", "--format", "csv", "--org", "no-such-org", "--output", file, "--database", url])
        #expect(failed.status != 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == exported, "a failed export leaves the last good file alone")
        #expect(!FileManager.default.fileExists(atPath: file + ".partial"))
        let reimport = try await Self.run(["import", file, "--database", url])
        #expect(reimport.status == 0, "\(reimport.output)")
        #expect(reimport.output.contains("0 created, 0 updated"))
        let lines = exported.components(separatedBy: "\r\n")
        let edited = dir.appendingPathComponent("edited.csv").path
        try (lines[0] + "\r\n" + lines[1].replacingOccurrences(of: ",active", with: ",disabled") + "\r\n").write(toFile: edited, atomically: true, encoding: .utf8)
        let dry = try await Self.run(["import", edited, "--dry-run", "--database", url])
        #expect(dry.status == 0 && dry.output.contains("dry run") && dry.output.contains("1 updated"), "\(dry.output)")
        #expect(try await Self.run(["import", edited, "--database", url]).output.contains("1 updated"))
        #expect(try await Self.run(["import", edited, "--database", url]).output.contains("1 unchanged"))
        let bad = dir.appendingPathComponent("bad.csv").path
        try "username,name,org\nBad Name,x,nowhere\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await Self.run(["import", bad, "--database", url])
        #expect(refused.status == 1 && refused.output.contains("line 2"), "\(refused.output)")

        let verify = try await Self.run(["audit", "verify", "--database", url])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("intact"))
        try await Databases.with(try DatabaseLocation(url: url), logger: Logger(label: "test")) { db in
            try await db.transaction { c in try await c.raw("UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 2").run() }
        }
        let broken = try await Self.run(["audit", "verify", "--database", url])
        #expect(broken.status == 1)
        #expect(broken.output.contains("row 2"))
    }

    /// On an empty database the root administrator's password is generated and printed once; it works,
    /// and a second start neither prints nor changes it.
    @Test func bootstrapPrintsAGeneratedPasswordOnce() async throws {
        let url = try await Backend.sqlite.freshDatabaseURL()
        let first = try await Self.run(["seed", "demo", "--database", url])
        #expect(first.status == 0, "\(first.output)")
        let marker = "username 'admin', password '"
        guard let start = first.output.range(of: marker) else { Issue.record("no password printed: \(first.output)"); return }
        let password = String(first.output[start.upperBound...].prefix { $0 != "'" })
        #expect(password.count == 16)
        let second = try await Self.run(["migrate", "--database", url])
        #expect(!second.output.contains(marker))
        try await TestServer.with(.sqlite, url: url) { api in
            let root = try await api.login("admin", password)
            let me = try expect(await root.get("/api/v1/me"), 200)
            #expect((me["grants"] as? [[String: Any]])?.first?["org_id"] is NSNull)
        }
    }

    /// `serve` creates its SQLite folder, answers, and stops cleanly on SIGTERM and SIGINT.
    @Test(arguments: [SIGTERM, SIGINT])
    func serveShutsDownGracefully(_ signal: Int32) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zt-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let port = Int.random(in: 10000..<20000)
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = ["serve", "--port", String(port)]
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ZHENGTONG_") }
        env["ZHENGTONG_ADMIN_PASSWORD"] = "root-password-1"
        env["ZHENGTONG_PASSWORD_LOG_N"] = "10"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var up = false
        for _ in 0..<100 where !up {
            try await Task.sleep(for: .milliseconds(100))
            if let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/readyz")!),
               String(decoding: data, as: UTF8.self).contains("ready") { up = true }
        }
        #expect(up, "server answered /readyz")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("data/zhengtong.sqlite").path))
        // Open connections do not hold the shutdown up: a live stream whose client never answers, and a
        // connection that never sent a request.
        var login = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/auth/login")!)
        login.httpMethod = "POST"
        login.setValue("application/json", forHTTPHeaderField: "Content-Type")
        login.httpBody = Data(#"{"username":"admin","password":"root-password-1"}"#.utf8)
        let (body, _) = try await URLSession.shared.data(for: login)
        let token = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["token"] as? String)
        let (stream, _) = try await RawSocket.stream(port: port, token: token)
        let idle = try RawSocket(port: port)
        kill(p.processIdentifier, signal)
        let goodbye = try await stream.readUntilClosed(timeout: 10)
        #expect(goodbye.count >= 4 && goodbye[0] == 0x88 && goodbye[2] == 0x03 && goodbye[3] == 0xE9, "the stream was closed with 1001")
        _ = idle
        for _ in 0..<100 where p.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!p.isRunning, "stopped within 10 s")
        if p.isRunning { p.terminate() } else { #expect(p.terminationStatus == 0) }
    }
}
