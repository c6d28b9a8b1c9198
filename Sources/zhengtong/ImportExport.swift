import ArgumentParser
import Directory
import Foundation
import Synchronization
import Storage
import ZhengtongCore

/// `zhengtong import people.csv`: the people file into the directory, all or nothing.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a people file (CSV, UTF-8): all or nothing, idempotent by username. Columns: docs/import.md.")
    @OptionGroup var common: CommonOptions
    @Argument(help: "The CSV file.") var file: String
    @Flag(help: "Check the file and report what would change, without changing anything.") var dryRun = false
    @Option(name: .customLong("as"), help: "Act as this administrator (default: admin); the import stays within their scope.")
    var actor = "admin"

    func run() async throws {
        let config = try common.resolve()
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let report = try await Databases.with(try DatabaseLocation(url: config.database), logger: common.logger(config)) { db in
            try await Migrations.migrate(db)
            let directory = DirectoryService(database: db, clock: SystemClock())
            guard let id = try await directory.personId(username: actor), let viewer = try await directory.viewer(personId: id) else {
                throw ValidationError("no person named \(actor)")
            }
            let progress = ProgressMeterSlot()
            let r = try await directory.importPeople(data, dryRun: dryRun, by: viewer, from: "command line") { done, total in
                progress.meter(total: total, enabled: isatty(STDERR_FILENO) == 1).update(done)
            }
            progress.finish()
            return r
        }
        if !report.errors.isEmpty {
            for e in report.errors { print("line \(e.line)\(e.column.map { " [\($0)]" } ?? ""): \(e.message)") }
            print("\(report.errors.count) problem(s); nothing was changed")
            throw ExitCode(1)
        }
        print("""
            \(report.dryRun ? "dry run, nothing changed: would have" : "imported:") \(report.rows) rows, \(report.people) people: \
            \(report.created) created, \(report.updated) updated, \(report.unchanged) unchanged; \
            \(report.orgsCreated) orgs created, \(report.positionsAdded) positions added, \(report.positionsUpdated) updated
            """)
    }
}

/// The progress bar, made at the first progress call, when the number of people is known.
final class ProgressMeterSlot: Sendable {
    private let slot = Mutex<ProgressMeter?>(nil)
    func meter(total: Int, enabled: Bool) -> ProgressMeter {
        slot.withLock { m in
            if let m { return m }
            let new = ProgressMeter(total: total, enabled: enabled, label: "people")
            m = new
            return new
        }
    }
    func finish() { slot.withLock { $0 }?.finish() }
}

/// `zhengtong export --format csv`: the people of a subtree as a people file.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export the directory (or an org or region subtree) as CSV or LDIF.")
    @OptionGroup var common: CommonOptions
    @Option(help: "csv (a people file that import reads back) or ldif.") var format = "csv"
    @Option(help: "Only this org and everything below it.") var org: String?
    @Option(help: "Only this region and everything below it.") var region: String?
    @Option(name: .shortAndLong, help: "Write here instead of standard output.") var output: String?

    func run() async throws {
        let config = try common.resolve()
        guard format == "csv" || format == "ldif" else { throw ValidationError("unknown format \(format): use csv or ldif") }
        // Into a file beside the output, renamed over it when complete: a failed export leaves no half file.
        let partial = output.map { $0 + ".partial" }
        if let partial {
            // Only its owner may read it: it holds mobiles and emails.
            guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(partial)")
            }
        }
        let handle = try partial.map { try FileHandle(forWritingTo: URL(fileURLWithPath: $0)) } ?? FileHandle.standardOutput
        do {
            try await Databases.with(try DatabaseLocation(url: config.database), logger: common.logger(config)) { db in
                let directory = DirectoryService(database: db, clock: SystemClock())
                guard let id = try await directory.personId(username: "admin"), let viewer = try await directory.viewer(personId: id) else {
                    throw ValidationError("the root administrator is missing; run zhengtong migrate first")
                }
                let sink: (String) async throws -> Void = { try handle.write(contentsOf: Data($0.utf8)) }
                if format == "csv" { try await directory.exportPeople(orgId: org, regionCode: region, by: viewer, into: sink) }
                else { try await directory.exportLDIF(orgId: org, regionCode: region, by: viewer, into: sink) }
            }
        } catch {
            if let partial { try? handle.close(); try? FileManager.default.removeItem(atPath: partial) }
            throw error
        }
        if let output, let partial {
            do {
                try handle.synchronize()
                try handle.close()
                guard rename(partial, output) == 0 else { throw ValidationError("cannot replace \(output): \(String(cString: strerror(errno)))") }
            } catch {
                try? FileManager.default.removeItem(atPath: partial)
                throw error
            }
        }
    }
}
