import NIOCore

/// One system's numbers for one (clients, kind) cell.
struct CellResult: Sendable {
    var requests: Int
    var rps: Double
    var p50Milliseconds: Double?
    var p99Milliseconds: Double?
    var resultsPerQuery: Double
    var results: Int
    var errors: Int
    var lostConnections: Int
    /// The load generator's own CPU over the measured part of the cell, and as a share of one core.
    var cpuSeconds: Double
    var cpuPercent: Double
}

struct CellPlan: Sendable {
    var clients: Int
    var warmup: Double
    var seconds: Double
    /// Census: one connection asks every query once, from the first, instead of a timed loop.
    var census = false
}

/// Opens the cell's connections, starts them together, and gathers what they measured. Percentiles and
/// req/s are computed as the Python clients compute them (requests over the nominal seconds).
func runCell(_ connector: Connector, _ plan: CellPlan, group: any EventLoopGroup) async throws -> CellResult {
    let opening = (0..<plan.clients).map { _ in
        connector.open(plan.census ? 0 : Int.random(in: 0..<connector.queryCount))
    }
    let channels = try await EventLoopFuture.whenAllSucceed(opening, on: group.next()).get()

    let now = NIODeadline.now().uptimeNanoseconds
    let measureFrom = now + nanoseconds(plan.census ? 0 : plan.warmup)
    let until = plan.census ? UInt64.max : measureFrom + nanoseconds(plan.seconds)
    let cpuAtStart = group.next().scheduleTask(deadline: .uptimeNanoseconds(measureFrom)) { processCPUSeconds() }.futureResult
    let runs = channels.map { channel in
        let promise = channel.eventLoop.makePromise(of: ConnectionStats.self)
        // A connection already closed never sees StartLoad; report it as lost instead of waiting forever.
        channel.closeFuture.whenComplete { _ in promise.succeed(ConnectionStats(lost: true)) }
        channel.pipeline.fireUserInboundEventTriggered(
            StartLoad(measureFrom: measureFrom, until: until, limit: plan.census ? connector.queryCount : nil, promise: promise))
        return promise.futureResult
    }
    let stats = try await EventLoopFuture.whenAllSucceed(runs, on: group.next()).get()
    let cpuAtEnd = processCPUSeconds()
    let wall = Double(NIODeadline.now().uptimeNanoseconds - measureFrom) / 1e9
    let cpu = cpuAtEnd - (try await cpuAtStart.get())
    for channel in channels { channel.close(promise: nil) }

    var latencies = stats.flatMap(\.latencies)
    latencies.sort()
    let n = latencies.count
    let results = stats.reduce(0) { $0 + $1.results }
    func milliseconds(_ ns: UInt64) -> Double { Double(ns) / 1e6 }
    return CellResult(
        requests: n,
        rps: Double(n) / (plan.census ? wall : plan.seconds),
        p50Milliseconds: n > 0 ? milliseconds(latencies[n / 2]) : nil,
        p99Milliseconds: n > 0 ? milliseconds(latencies[min(n - 1, Int(Double(n) * 0.99))]) : nil,
        resultsPerQuery: n > 0 ? Double(results) / Double(n) : 0,
        results: results,
        errors: stats.reduce(0) { $0 + $1.errors },
        lostConnections: stats.filter(\.lost).count,
        cpuSeconds: cpu,
        cpuPercent: wall > 0 ? cpu / wall * 100 : 0)
}

private func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }
