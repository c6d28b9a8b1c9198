import NIOCore

/// What one connection measured.
struct ConnectionStats: Sendable {
    var latencies: [UInt64] = []  // nanoseconds, request written to response read
    var results = 0
    var errors = 0
    var lost = false
}

/// Sent down each connection's pipeline once every connection of a cell is up, so that all of them
/// start, warm up and stop together.
struct StartLoad: Sendable {
    /// Requests sent before this uptime (ns) are warm-up and not recorded.
    var measureFrom: UInt64
    /// No request is sent at or after this uptime (ns); the one in flight is still recorded.
    var until: UInt64
    /// Stop after this many requests (census: each query once).
    var limit: Int?
    var promise: EventLoopPromise<ConnectionStats>
}

/// The no-think-time loop of one connection, shared by the HTTP and LDAP handlers (which only differ in
/// how a query is asked and counted). Lives on the connection's event loop, so it needs no locking.
struct LoadLoop {
    private let queryCount: Int
    private var next: Int
    private var start: StartLoad?
    private var sent = 0
    private var sentAt: UInt64 = 0
    private var measuring = false
    private var inFlight = false
    private var stats = ConnectionStats()

    init(queryCount: Int, firstQuery: Int) {
        self.queryCount = queryCount
        next = firstQuery
    }

    mutating func begin(_ start: StartLoad) {
        self.start = start
    }

    /// The query to send now, or nil when the run is over (and has been reported). The clock starts here,
    /// so call it right before writing.
    mutating func nextQuery() -> Int? {
        guard let start else { return nil }
        let now = NIODeadline.now().uptimeNanoseconds
        if now >= start.until || start.limit.map({ sent >= $0 }) == true {
            finish()
            return nil
        }
        measuring = now >= start.measureFrom
        sentAt = now
        inFlight = true
        sent += 1
        defer { next += 1 }
        return next % queryCount
    }

    /// A non-OK answer still counts as a request (and its latency), as the Python clients count it.
    mutating func answered(ok: Bool, results: Int) {
        let now = NIODeadline.now().uptimeNanoseconds
        inFlight = false
        guard measuring else { return }
        stats.latencies.append(now - sentAt)
        if ok { stats.results += results } else { stats.errors += 1 }
    }

    mutating func lost() {
        if inFlight && measuring { stats.errors += 1 }
        stats.lost = true
        finish()
    }

    private mutating func finish() {
        start?.promise.succeed(stats)
        start = nil
        stats = ConnectionStats()
    }
}
