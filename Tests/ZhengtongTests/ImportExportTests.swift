import Directory
import Foundation
import Logging
import Storage
import ZhengtongCore
import Testing

/// The people file: all-or-nothing imports with every bad row reported, idempotence, dry runs, scope,
/// encodings, and an export that an import reproduces exactly.
@Suite struct ImportExportTests {
    static let header = "username,name,mobile,org,region,title,leader,roles\n"

    func head(_ root: API) async throws -> String {
        try expect(await root.get("/api/v1/directory/changes?limit=1"), 200)["head"] as! String
    }

    func importCSV(_ api: API, _ csv: String, dryRun: Bool = false) async throws -> Reply {
        try await api.upload("/api/v1/admin/import" + (dryRun ? "?dry_run=true" : ""), Data(csv.utf8), contentType: "text/csv")
    }

    @Test(arguments: Backend.available)
    func badRowsAreAllReportedAndNothingChanges(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in
            let f = try await Fixture.build(api)
            let tom = try await f.as_("tom")   // administers the region 桐庐县 (330122000000)
            let before = try await head(f.root)
            let csv = Self.header + [
                "ok1,合格者,13900000021,桐庐县市场监督管理局/办公室,330122000000,科员,否,",
                "Bad User,坏用户名,,桐庐县市场监督管理局/办公室,330122000000,,,",
                "ok2,号码不对,12345,桐庐县市场监督管理局/办公室,330122000000,,,",
                "ok3,越权者,,淳安县公安局/办公室,330127000000,,,",
                "ok4,重号者,13900000021,桐庐县市场监督管理局/办公室,330122000000,,,",
                "ok5,两行甲,,桐庐县市场监督管理局/办公室,330122000000,,,",
                "ok5,两行乙,,桐庐县市场监督管理局,330122000000,,,",
                "ok6,没有区划,,桐庐县市场监督管理局/办公室,,,,",
                "ok7,是否不清,,桐庐县市场监督管理局/办公室,330122000000,,也许,",
                "ok8,字段太少,,",
            ].joined(separator: "\n") + "\n"
            let r = try expect(await importCSV(tom, csv), 422)
            let error = r["error"] as? [String: Any] ?? [:]
            #expect(error["code"] as? String == "invalid_import")
            let issues = ((error["report"] as? [String: Any])?["errors"] as? [[String: Any]]) ?? []
            #expect(issues.map { $0["line"] as? Int ?? 0 } == [3, 4, 5, 6, 8, 9, 10, 11])
            #expect(issues.first { $0["line"] as? Int == 3 }?["column"] as? String == "username")
            let outside = issues.first { $0["line"] as? Int == 5 }?["message"] as? String ?? ""
            #expect(outside.contains("outside your scope"))
            #expect(issues.first { $0["line"] as? Int == 8 }?["code"] as? String == "conflicting_rows")
            #expect(try await head(f.root) == before, "no change was recorded")
            #expect(try expect(await tom.get("/api/v1/people?q=ok1"), 200).items.isEmpty, "nothing was created")

            // The header is checked first.
            let badHeader = try expect(await importCSV(tom, "username,name,bogus\nx,y,z\n"), 422)
            let headerIssues = ((badHeader["error"] as? [String: Any])?["report"] as? [String: Any])?["errors"] as? [[String: Any]] ?? []
            #expect(Set(headerIssues.compactMap { $0["code"] as? String }) == ["unknown_column", "missing_column"])
            // GBK is recognised and refused with what to do; broken quoting is named with its line.
            let gbk = Data([0x75, 0x73, 0x65, 0x72, 0x6E, 0x61, 0x6D, 0x65, 0x2C, 0x6E, 0x61, 0x6D, 0x65, 0x0A, 0x61, 0x2C, 0xD5, 0xC5, 0xC8, 0xFD, 0x0A])
            let refused = try expect(await tom.upload("/api/v1/admin/import", gbk, contentType: "text/csv"), 422)
            #expect(refused.errorCode == "invalid_encoding")
            let refusal = ((refused["error"] as? [String: Any])?["message"] as? String) ?? ""
            #expect(refusal.contains("GBK"))
            #expect(try expect(await importCSV(tom, "username,name,org\n\"open,x,y\n"), 422).errorCode == "invalid_csv")
            // Only administrators import, and only within scope.
            try expect(await importCSV(try await f.as_("alice"), Self.header), 403)
            try expect(await tom.upload("/api/v1/admin/import", Data(), contentType: "application/json"), 422)
            #expect(try await head(f.root) == before)
        }
    }

    @Test(arguments: Backend.available)
    func importCreatesUpdatesAndIsIdempotent(_ backend: Backend) async throws {
        try await TestServer.with(backend) { api in try await importsAndReimports(api) }
    }

    func importsAndReimports(_ api: API) async throws {
        let f = try await Fixture.build(api)
        let tom = try await f.as_("tom")
        // With a BOM, CRLF line ends, a quoted comma and quote, two rows for one person, a new department on a
        // path, an org given by id, and alice's mobile changed.
        let rows: [String] = [
            "alice,张三丰,13900000001,桐庐县市场监督管理局/办公室,330122000000,科员,否,",
            "newbie1,新同事,13900000011,桐庐县市场监督管理局/办公室,330122000000,\"科员,兼职\",否,文书;档案",
            "newbie1,新同事,13900000011,桐庐县市场监督管理局/信息中心,330122000000,主任,是,",
            "newbie2,\"王\"\"小二\"\"\",,\(f.orgs["U1"]!),,,,",
        ]
        let csv = "\u{FEFF}\(Self.header.replacingOccurrences(of: "\n", with: "\r\n"))\(rows.joined(separator: "\r\n"))\r\n"
        let before = try await head(f.root)
        let dry = try expect(await importCSV(tom, csv, dryRun: true), 200)
        #expect(dry["dry_run"] as? Bool == true && dry["applied"] as? Bool == false)
        #expect(dry["created"] as? Int == 2 && dry["updated"] as? Int == 1 && dry["orgs_created"] as? Int == 1)
        #expect(try await head(f.root) == before, "a dry run changes nothing")

        let done = try expect(await importCSV(tom, csv), 200)
        #expect(done["applied"] as? Bool == true)
        #expect(done["rows"] as? Int == 4 && done["people"] as? Int == 3)
        #expect(done["created"] as? Int == 2 && done["updated"] as? Int == 1 && done["unchanged"] as? Int == 0)
        #expect(done["orgs_created"] as? Int == 1 && done["positions_added"] as? Int == 3)
        let changes = try expect(await f.root.get("/api/v1/directory/changes?since=\(before)&limit=100"), 200).items
        let creations = changes.filter { c in c["kind"] as? String == "person" && c["op"] as? String == "create" }
        #expect(creations.count == 2)
        func created(_ username: String) -> String {
            changes.first { ($0["data"] as? [String: Any])?["username"] as? String == username }?["id"] as? String ?? "missing"
        }
        let newbie = try expect(await tom.get("/api/v1/people/\(created("newbie1"))"), 200)
        let positions = newbie["positions"] as? [[String: Any]] ?? []
        #expect(positions.count == 2)
        #expect(positions.first { $0["main"] as? Bool == true }?["title"] as? String == "科员,兼职")
        #expect(positions.contains { $0["org_name"] as? String == "信息中心" && $0["leader"] as? Bool == true })
        #expect(try expect(await tom.get("/api/v1/people/\(created("newbie2"))"), 200)["name"] as? String == "王\"小二\"")
        let alice = try expect(await f.root.get("/api/v1/people/\(f.people["alice"]!)"), 200)
        #expect(alice["mobile"] as? String == "13900000001")
        // Every change went through the domain: audited as tom, in the change log.
        let audit = try expect(await f.root.get("/api/v1/admin/audit?limit=50"), 200).items
        #expect(audit.contains { $0["action"] as? String == "person.create" && $0["actor_id"] as? String == f.people["tom"] })

        // The same file again changes nothing.
        let after = try await head(f.root)
        let again = try expect(await importCSV(tom, csv), 200)
        #expect(again["unchanged"] as? Int == 3 && again["created"] as? Int == 0 && again["updated"] as? Int == 0)
        #expect(try await head(f.root) == after)
        // A file without a column leaves that field alone.
        try expect(await importCSV(tom, "username,name,org\nalice,张三丰,\(f.orgs["D1"]!)\n"), 200)
        #expect(try expect(await f.root.get("/api/v1/people/\(f.people["alice"]!)"), 200)["mobile"] as? String == "13900000001")
        #expect(try await head(f.root) == after)
    }

    @Test func spreadsheetFormulasAreDefusedBothWays() throws {
        let fields = ["=1+2", "+8613800000000", "-3", "@SUM(A1)", "\tx", "'kept", "''", "王=五", "plain", ""]
        let line = CSV.line(fields)
        #expect(line == "'=1+2,'+8613800000000,'-3,'@SUM(A1),'\tx,''kept,''',王=五,plain,\r\n")
        let parsed = try CSV.parse(line)
        #expect(parsed.count == 1 && parsed[0].fields.map(CSV.fromSpreadsheet) == fields)
        #expect(CSV.fromSpreadsheet("'0571") == "0571" && CSV.fromSpreadsheet("0571") == "0571")
    }

    /// An export lists a small scope whole and walks a large one in username order; both give the same
    /// file, chunk boundaries and a name cache that keeps starting afresh included.
    @Test(arguments: Backend.available)
    func listingAndWalkingAScopeWriteTheSameFile(_ backend: Backend) async throws {
        let url = try await backend.freshDatabaseURL()
        try await TestServer.with(backend, url: url) { api in _ = try await Fixture.build(api) }
        try await Databases.with(try DatabaseLocation(url: url), logger: Logger(label: "test")) { db in
            let directory = DirectoryService(database: db, clock: SystemClock())
            let admin = try #require(try await directory.personId(username: "admin"))
            let viewer = try #require(try await directory.viewer(personId: admin))
            for format in ["csv", "ldif"] {
                @Sendable func export() async throws -> Data {
                    format == "csv" ? try await directory.exportPeople(orgId: nil, regionCode: nil, by: viewer)
                                    : try await directory.exportLDIF(orgId: nil, regionCode: nil, by: viewer)
                }
                let listed = try await export()
                // With a name cache of three, it starts afresh at nearly every chunk.
                let walked = try await DirectoryService.$exportListedWhole.withValue(2) {
                    try await DirectoryService.$exportChunk.withValue(2) {
                        try await DirectoryService.$exportNameCacheLimit.withValue(3) { try await export() }
                    }
                }
                let text = String(decoding: listed, as: UTF8.self)
                for name in ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "tom", "oscar"] {
                    #expect(text.contains(format == "csv" ? "\n\(name)," : "uid: \(name)\n"), "\(format) has \(name)")
                }
                #expect(walked == listed, "\(format): the walk in chunks of two writes what the listing does")
            }
        }
    }

    @Test(arguments: Backend.available)
    func anExportImportedElsewhereIsReproducedExactly(_ backend: Backend) async throws {
        let exported = try await TestServer.with(backend) { api -> Data in
            let f = try await Fixture.build(api)
            let tom = try await f.as_("tom")
            // A rank a spreadsheet would run as a formula leaves defused and comes back as it was.
            try expect(await tom.patch("/api/v1/people/\(f.people["erin"]!)", ["rank": #"=HYPERLINK("http://x.example","点此")"#]), 200)
            let csv = try await tom.raw("/api/v1/admin/export?org=\(f.orgs["U1"]!)")
            #expect(csv.status == .ok && csv.contentType?.hasPrefix("text/csv") == true)
            let text = String(decoding: csv.body, as: UTF8.self)
            #expect(text.hasPrefix("\u{FEFF}username,name,mobile"))
            // alice, bob, carol, dave, erin: everyone in U1 and below, hidden department included.
            #expect(text.components(separatedBy: "\r\n").count - 2 == 5)
            #expect(text.contains("dave,区志强,13800000004,,,330122000000,桐庐县市场监督管理局/稽查大队,大队长,否,,否,否,active"))
            #expect(text.contains(#","'=HYPERLINK(""http://x.example"",""点此"")","#))
            try expect(await tom.get("/api/v1/admin/export?org=\(f.orgs["U2"]!)"), 403)
            try expect(await tom.get("/api/v1/admin/export"), 422)
            try expect(await f.as_("alice").get("/api/v1/admin/export?org=\(f.orgs["D1"]!)"), 403)
            // Importing it back here changes nothing.
            let unchanged = try expect(await tom.upload("/api/v1/admin/import", csv.body, contentType: "text/csv"), 200)
            #expect(unchanged["unchanged"] as? Int == 5)
            return csv.body
        }
        try await TestServer.with(backend) { api in
            // Elsewhere: only the regions exist. The import (multipart, as a browser form sends it) builds the rest.
            let root = try await api.login("admin", TestServer.adminPassword)
            for (code, name, level, parent) in [("330000000000", "浙江省", "province", nil), ("330100000000", "杭州市", "city", "330000000000"),
                                                ("330122000000", "桐庐县", "county", "330100000000")] {
                var body: [String: Any] = ["code": code, "name": name, "level": level]
                if let parent { body["parent_code"] = parent }
                try expect(await root.post("/api/v1/regions", body), 201)
            }
            let boundary = "zt-boundary-7"
            var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
            form += exported + Data("\r\n--\(boundary)--\r\n".utf8)
            let r = try expect(await root.upload("/api/v1/admin/import", form, contentType: "multipart/form-data; boundary=\(boundary)"), 200)
            #expect(r["created"] as? Int == 5 && r["orgs_created"] as? Int == 4)
            let unit = try expect(await root.get("/api/v1/regions/330122000000/orgs"), 200).items.first?["id"] as? String ?? ""
            let again = try await root.raw("/api/v1/admin/export?org=\(unit)")
            #expect(again.body == exported, "the export of the import is the export")
        }
    }
}
