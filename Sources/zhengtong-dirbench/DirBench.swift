import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// A compiled load generator for scripts/bench-ldap: the same directory query mix against Zhengtong
/// (HTTP JSON API) and OpenLDAP (LDAPv3), so that the clients cost little CPU next to the servers they
/// share the machine with. Written for, and normally run by, scripts/bench/ldap_vs_zhengtong.py.
@main
struct DirBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zhengtong-dirbench",
        abstract: "Directory search load: Zhengtong's HTTP API beside OpenLDAP, on one query mix.",
        discussion: """
            For each client count and each kind of query in the mix, runs a cell on each system (Zhengtong \
            first for even-numbered kinds, OpenLDAP first for odd ones): N connections, each asking the kind's \
            queries in order from a random start with no think time, for --warmup seconds unrecorded and then \
            --seconds recorded. Latency is from the request written to the response read in full. \
            "errors" counts non-200 answers, LDAP results other than success and sizeLimitExceeded, and lost \
            connections; "gen cpu%" is this process's CPU (getrusage) over the recorded part, in % of one core.
            """)

    @Option(help: "Zhengtong base URL, e.g. http://127.0.0.1:8080.") var zt: String
    @Option(help: "Bearer token of the signed-in viewer.") var token: String
    @Option(help: "OpenLDAP URL, e.g. ldap://127.0.0.1:3890.") var ldap: String
    @Option(help: "Query mix (JSON) written by ldap_vs_zhengtong.py.") var mix: String
    @Option(help: "Recorded seconds per cell.") var seconds: Double = 5
    @Option(help: "Unrecorded seconds per cell before the recorded part, on the same connections.") var warmup: Double = 1
    @Option(parsing: .upToNextOption, help: "Client counts: a list after one --clients (--clients 1 8 32), or the option repeated.")
    var clients: [Int] = [1, 8, 32]
    @Option(help: "Event loop threads. One leaves the cores to the servers under test.") var threads = 1
    @Option(help: "Write the results here as JSON.") var json: String?
    @Flag(help: "Check every Zhengtong item count against JSONSerialization, not only each connection's first.") var verifyCounts = false
    @Flag(help: "Instead of timed cells, ask every query of the mix once on each system and print results per query.")
    var census = false

    func validate() throws {
        guard seconds > 0, warmup >= 0 else { throw ValidationError("--seconds must be positive and --warmup not negative") }
        guard !clients.isEmpty, clients.allSatisfy({ $0 > 0 }) else { throw ValidationError("--clients wants positive counts") }
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
    }

    func run() async throws {
        let mix = try Mix(contentsOf: self.mix)
        let ztEndpoint = try Endpoint(zt, scheme: "http", defaultPort: 80)
        let ldapEndpoint = try Endpoint(ldap, scheme: "ldap", defaultPort: 389)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        do {
            let systems = try mix.kinds.map { kind in
                (zhengtong: HTTPLoad.connector(ztEndpoint, token: token, paths: kind.queries.map(\.httpPath), verifyAll: verifyCounts, group: group),
                 openldap: try LDAPLoad.connector(ldapEndpoint, searches: kind.queries.map(\.ldap), group: group))
            }
            if census {
                try await runCensus(mix, systems, group: group)
            } else {
                try await runCells(mix, systems, group: group)
            }
        } catch {
            try await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private func runCells(_ mix: Mix, _ systems: [(zhengtong: Connector, openldap: Connector)], group: any EventLoopGroup) async throws {
        var rows: [Report.Row] = []
        emit(Report.header)
        for count in clients {
            for (index, kind) in mix.kinds.enumerated() where !kind.queries.isEmpty {
                let pair = systems[index]
                let plan = CellPlan(clients: count, warmup: warmup, seconds: seconds)
                var got: [String: CellResult] = [:]
                for connector in index % 2 == 0 ? [pair.zhengtong, pair.openldap] : [pair.openldap, pair.zhengtong] {
                    let result = try await runCell(connector, plan, group: group)
                    got[connector.system] = result
                    emit(Report.row(clients: count, kind: kind.name, system: connector.system, result))
                }
                let zhengtong = got["zhengtong"]!, openldap = got["openldap"]!
                let ratio = openldap.rps > 0 ? zhengtong.rps / openldap.rps : nil
                emit(Report.ratioRow(clients: count, kind: kind.name, ratio: ratio))
                rows.append(Report.Row(clients: count, query: kind.name, zhengtong: zhengtong, openldap: openldap, ratio: ratio))
            }
        }
        if let json { try Report.write(rows, to: json) }
    }

    private func runCensus(_ mix: Mix, _ systems: [(zhengtong: Connector, openldap: Connector)], group: any EventLoopGroup) async throws {
        var rows: [Report.CensusRow] = []
        emit(Report.censusHeader)
        for (index, kind) in mix.kinds.enumerated() where !kind.queries.isEmpty {
            for connector in [systems[index].zhengtong, systems[index].openldap] {
                let result = try await runCell(connector, CellPlan(clients: 1, warmup: 0, seconds: 0, census: true), group: group)
                emit(Report.censusRow(kind: kind.name, system: connector.system, result))
                rows.append(Report.CensusRow(query: kind.name, system: connector.system, result: result))
            }
        }
        if let json { try Report.write(rows, to: json) }
    }

    /// Rows as they come: stdout is a pipe to the Python driver, which would otherwise see them at exit.
    private func emit(_ line: String) {
        print(line)
        fflush(nil)
    }
}
