import Accounts
import DemoData
import Ding
import Events
import Jobs
import Messaging
import Directory
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import Storage
import ZhengtongCore

/// The shared parts every handler uses, built once by the composition root.
public struct AppServices: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public let hasher: PasswordHasher
    public let directory: DirectoryService
    public let accounts: AccountService
    public let hub: EventHub
    public let bus: EventBus
    public let messaging: MessagingService
    public let jobs: JobQueue
    public let dings: DingService
    /// Who is behind a token, kept for a moment between requests.
    let signedIn = SignedIn()

    public let maxAttachmentBytes: Int
    public let streamRecheck: Duration
    public let streamPing: Duration

    public init(database: any Database, clock: any WallClock, config: AppConfig, logger: Logger) throws {
        self.database = database
        self.clock = clock
        self.hasher = PasswordHasher(logN: config.passwordLogN)
        self.directory = DirectoryService(database: database, clock: clock,
                                          index: config.searchIndex == "memory" ? DirectoryIndex(database: database) : nil)
        var accountsConfig = AccountsConfig()
        accountsConfig.sessionLifetime = TimeInterval(config.sessionHours) * 3600
        self.accounts = AccountService(database: database, clock: clock, hasher: hasher, config: accountsConfig)
        self.hub = EventHub()
        self.bus = EventBus(database: database, hub: hub, logger: logger)
        self.maxAttachmentBytes = config.maxAttachmentMB << 20
        self.streamRecheck = .seconds(config.streamRecheckSeconds)
        self.streamPing = .seconds(config.streamPingSeconds)
        self.messaging = MessagingService(database: database, clock: clock, directory: directory, bus: bus,
                                          attachmentStore: try DiskAttachmentStore(directory: URL(fileURLWithPath: config.attachmentsDir)))
        self.jobs = JobQueue(database: database, clock: clock, logger: logger)
        func gateway(_ url: String?) -> any NotificationGateway {
            // `AppConfig.validate` has checked the URL and the secret.
            guard let url, let u = URL(string: url), let secret = config.gatewaySecret else { return LogGateway(logger: logger) }
            return HTTPGateway(url: u, secret: secret)
        }
        self.dings = DingService(database: database, clock: clock, directory: directory, bus: bus,
                                 sms: gateway(config.smsGatewayURL), voice: gateway(config.voiceGatewayURL), jobs: jobs)
    }
}

/// Opens once, when the database is migrated: background work must not touch tables that do not exist yet.
/// Waiting polls, so a shutdown before it opens (a failed migration) simply cancels the wait.
actor StartupGate {
    private var isOpen = false

    func open() { isOpen = true }

    /// Returns when open (true) or when the task is cancelled first (false).
    func wait() async -> Bool {
        while !isOpen {
            if Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}

/// Background work until shutdown: events committed by other nodes (PostgreSQL LISTEN/NOTIFY) and due jobs.
struct EventBusService: Service {
    let bus: EventBus
    let jobs: JobQueue
    let gate: StartupGate
    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                guard await gate.wait() else { return }
                await withDiscardingTaskGroup { inner in
                    inner.addTask { await bus.run() }
                    inner.addTask { await jobs.run() }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}

/// Builds the in-memory directory index once the server is set up (migrated, demo data loaded), then
/// keeps it following the change log until shutdown.
struct DirectoryIndexService: Service {
    let index: DirectoryIndex?
    let gate: StartupGate
    let logger: Logger
    func run() async throws {
        guard let index else { try? await gracefulShutdown(); return }
        let streak = FailureStreak()
        await withDiscardingTaskGroup { group in
            group.addTask {
                guard await gate.wait() else { return }
                await index.run(
                    onBuilt: { people, took in logger.info("directory index built", metadata: ["people": "\(people)", "took": "\(took)"]) },
                    onError: { error in
                        guard let quiet = streak.failed() else { return }
                        logger.error("directory index", metadata: ["error": "\(error)", "repeats_not_logged": "\(quiet)"])
                    })
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}

/// Keeps the database's background work running for the server's lifetime and closes it on shutdown.
/// The server is listed after it, so the service group stops the server first and the database last.
struct DatabaseService: Service {
    let database: any Database
    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await database.run() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await database.close()
    }
}

/// The composition root: every integration test builds the server through this, as `zhengtong serve` does.
/// Before the server accepts connections it migrates the database, creates the root administrator on an
/// empty one, and loads demo data if asked.
public func buildApplication(
    _ config: AppConfig, clock: any WallClock = SystemClock(), logger: Logger? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try config.validate()
    var baseLogger = logger ?? Logger(label: "zhengtong")
    baseLogger.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
    let logger = baseLogger
    let location = try DatabaseLocation(url: config.database)
    let database = try await Databases.open(location, logger: logger)
    let services = try AppServices(database: database, clock: clock, config: config, logger: logger)

    let gate = StartupGate()
    let ready = StartupGate()
    let router = Router(context: AppContext.self)
    let errors = ErrorMiddleware()
    router.add(middleware: errors)
    HealthRoutes(database: database, index: services.directory.index).register(on: router)
    APIRoutes(services: services).register(on: router)
    MessagingRoutes(services: services).register(on: router)
    StreamRoutes(services: services).register(on: router)
    DingRoutes(services: services).register(on: router)
    ImportRoutes(services: services).register(on: router)
    ScimRoutes(services: services).register(on: router)
    guard let webRoot = config.webRoot ?? WebAssets.bundledRoot else { throw WebAssetsError.missing("the bundled web folder") }
    WebRoutes(kit: WebKit(services: services, assets: try await WebAssets.load(root: webRoot)), logger: logger).register(on: router)
    errors.routes.record(router.routes)

    let streams = StreamOpener(services: services, registry: StreamRegistry(), delivered: DeliveryMarker())
    let serverName = "zhengtong"
    let reads = DirectoryReads(services: services, serverName: serverName)
    var app = Application(
        router: router,
        server: HTTPServerBuilder { responder in ZhengtongChannel(responder: responder, streams: streams, reads: reads,
                                                                  idleTimeout: .seconds(config.idleTimeoutSeconds)) },
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: serverName),
        services: [
            DatabaseService(database: database),
            EventBusService(bus: services.bus, jobs: services.jobs, gate: gate),
            StreamService(registry: streams.registry, delivered: streams.delivered, accounts: services.accounts, dings: services.dings,
                          recheck: services.streamRecheck, ping: services.streamPing, logger: logger),
            DirectoryIndexService(index: services.directory.index, gate: ready, logger: logger),
        ],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    app.beforeServerStarts {
        let applied = try await Migrations.migrate(database)
        if !applied.isEmpty { logger.info("migrated", metadata: ["applied": "\(applied.joined(separator: ", "))"]) }
        await gate.open()
        let boot = try await Bootstrap.ensureRootAdmin(database: database, hasher: services.hasher, clock: clock, password: config.adminPassword)
        if let pw = boot.generatedPassword {
            // Shown once, on the terminal only: it is never stored in clear or logged again.
            print("Root administrator created: username 'admin', password '\(pw)' (shown once; change it or set ZHENGTONG_ADMIN_PASSWORD)")
        } else if boot.created {
            logger.info("root administrator 'admin' created with the password from ZHENGTONG_ADMIN_PASSWORD")
        }
        if let demo = config.demo {
            guard let size = DemoSize(rawValue: demo) else { throw ConfigError.badValue("demo", demo) }
            // A progress bar only when someone is watching the terminal.
            try await DemoLoader.loadIfEmpty(database: database, size: size, hasher: services.hasher, clock: clock, logger: logger,
                                             progress: isatty(STDERR_FILENO) == 1)
        }
        await ready.open()
        logger.info("zhengtong ready", metadata: ["database": "\(location.redacted)", "address": "http://\(config.host):\(config.port)"])
    }
    return app
}
