import ArgumentParser
import Accounts
import Audit
import DemoData
import Directory
import Foundation
import Hummingbird
import Logging
import Storage
import ZhengtongCore
import ZhengtongServer

@main
struct Zhengtong: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zhengtong",
        abstract: "政通 Zhengtong — the government collaboration server.",
        subcommands: [Serve.self, Migrate.self, Seed.self, Import.self, Export.self, Admin.self, AuditCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by every command that touches the database.
struct CommonOptions: ParsableArguments {
    @Option(help: "Database URL: sqlite://PATH or postgres://user:pass@host:port/db (env ZHENGTONG_DATABASE).")
    var database: String?
    @Option(help: "JSON config file (env ZHENGTONG_CONFIG).")
    var config: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String?

    func resolve(_ extra: [String: String] = [:]) throws -> AppConfig {
        var flags = extra
        if let database { flags["database"] = database }
        if let logLevel { flags["log_level"] = logLevel }
        return try AppConfig.resolve(flags: flags, environment: ProcessInfo.processInfo.environment, configFile: config)
    }

    func logger(_ config: AppConfig) -> Logger {
        var l = Logger(label: "zhengtong")
        l.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
        return l
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (migrates the database first).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8080).") var port: Int?
    @Flag(help: "Load the demo county into an empty database first.") var demo = false
    @Option(help: "Demo size when loading demo data: county, city or province.") var demoSize: String?
    @Option(help: "Folder of the web app's templates and static files (default: the bundled copy).") var webRoot: String?

    func run() async throws {
        var flags: [String: String] = [:]
        if let webRoot { flags["web_root"] = webRoot }
        if let host { flags["host"] = host }
        if let port { flags["port"] = String(port) }
        if demo || demoSize != nil { flags["demo"] = demoSize ?? "county" }
        let config = try common.resolve(flags)
        let app = try await buildApplication(config, logger: common.logger(config))
        try await app.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations (or revert the newest).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Revert this many of the newest migrations instead.") var revert: Int?

    func run() async throws {
        let config = try common.resolve()
        try await Databases.with(try DatabaseLocation(url: config.database), logger: common.logger(config)) { db in
            if let revert {
                let done = try await Migrations.revert(db, steps: revert)
                print(done.isEmpty ? "nothing to revert" : "reverted: \(done.joined(separator: ", "))")
            } else {
                let done = try await Migrations.migrate(db)
                print(done.isEmpty ? "database is up to date" : "applied: \(done.joined(separator: ", "))")
            }
        }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load generated data.", subcommands: [Demo.self])

    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load the demo directory (Zhejiang's real regions, synthetic people).")
        @OptionGroup var common: CommonOptions
        @Option(help: "county (about 5 K people), city, or province (about 1.34 M people).") var size: String = "county"

        func run() async throws {
            guard let demoSize = DemoSize(rawValue: size) else { throw ValidationError("size must be county, city or province") }
            let config = try common.resolve()
            let logger = common.logger(config)
            try await Databases.with(try DatabaseLocation(url: config.database), logger: logger) { db in
                try await Migrations.migrate(db)
                let hasher = PasswordHasher(logN: config.passwordLogN)
                let boot = try await Bootstrap.ensureRootAdmin(database: db, hasher: hasher, clock: SystemClock(), password: config.adminPassword)
                if let pw = boot.generatedPassword { print("Root administrator created: username 'admin', password '\(pw)' (shown once)") }
                guard let s = try await DemoLoader.loadIfEmpty(database: db, size: demoSize, hasher: hasher, clock: SystemClock(),
                                                               logger: logger, progress: true) else {
                    throw ValidationError("the directory is not empty; demo data goes into an empty database only")
                }
                print("loaded \(s.regions) regions, \(s.orgs) orgs, \(s.people) people, \(s.positions) positions in \(String(format: "%.1f", s.seconds)) s")
                print("demo accounts (password '\(DemoLoader.password)'): " + DemoGenerator(size: demoSize).accounts.map(\.username).joined(separator: ", "))
            }
        }
    }
}

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Administration from the command line.", subcommands: [ResetPassword.self])

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset-password",
                                                        abstract: "Set a new password for USERNAME (read from ZHENGTONG_NEW_PASSWORD or generated).")
        @OptionGroup var common: CommonOptions
        @Argument var username: String

        func run() async throws {
            let config = try common.resolve()
            try await Databases.with(try DatabaseLocation(url: config.database), logger: common.logger(config)) { db in
                try await Migrations.migrate(db)
                let given = ProcessInfo.processInfo.environment["ZHENGTONG_NEW_PASSWORD"]
                let pw = try await Bootstrap.resetPassword(database: db, hasher: PasswordHasher(logN: config.passwordLogN), clock: SystemClock(),
                                                           username: username, password: given)
                print(given == nil ? "new password for \(username): \(pw)" : "password for \(username) changed")
            }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the audit log's hash chain; exit 1 naming the first bad row.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let config = try common.resolve()
            let result = try await Databases.with(try DatabaseLocation(url: config.database), logger: common.logger(config)) { db in
                try await AuditLog.verify(db)
            }
            switch result {
            case .intact(let rows):
                print("audit log intact: \(rows) rows")
            case .broken(let seq, let reason):
                print("audit log broken at row \(seq): \(reason)")
                throw ExitCode(1)
            }
        }
    }
}

