import Foundation

/// The table and JSON of scripts/bench/ldap_vs_zhengtong.py, plus the load generator's own CPU and the
/// error count, so that a run of either client can be read and compared the same way.
enum Report {
    static let header = pad("clients", 7) + " " + pad("query", 15) + " " + pad("system", 10) + " "
        + pad("req/s", 9, right: true) + " " + pad("p50 ms", 9, right: true) + " " + pad("p99 ms", 9, right: true) + " "
        + pad("results", 8, right: true) + " " + pad("errors", 7, right: true) + " " + pad("gen cpu%", 9, right: true)

    static func row(clients: Int, kind: String, system: String, _ r: CellResult) -> String {
        pad(String(clients), 7) + " " + pad(kind, 15) + " " + pad(system, 10) + " "
            + format("%9.0f", r.rps) + " " + milliseconds(r.p50Milliseconds) + " " + milliseconds(r.p99Milliseconds) + " "
            + format("%8.1f", r.resultsPerQuery) + " " + pad(String(r.errors + r.lostConnections), 7, right: true) + " "
            + format("%9.1f", r.cpuPercent)
    }

    static func ratioRow(clients: Int, kind: String, ratio: Double?) -> String {
        pad(String(clients), 7) + " " + pad(kind, 15) + " " + pad("ratio", 10) + " " + (ratio.map { format("%9.2f", $0) } ?? pad("inf", 9, right: true)) + "×"
    }

    static let censusHeader = pad("query", 15) + " " + pad("system", 10) + " " + pad("queries", 8, right: true) + " "
        + pad("results", 8, right: true) + " " + pad("per query", 9, right: true) + " " + pad("errors", 7, right: true)

    static func censusRow(kind: String, system: String, _ r: CellResult) -> String {
        pad(kind, 15) + " " + pad(system, 10) + " " + pad(String(r.requests), 8, right: true) + " " + pad(String(r.results), 8, right: true) + " "
            + format("%9.3f", r.resultsPerQuery) + " " + pad(String(r.errors + r.lostConnections), 7, right: true)
    }

    struct Row: Encodable {
        var clients: Int
        var query: String
        var zhengtong: CellResult
        var openldap: CellResult
        var ratio: Double?

        enum CodingKeys: String, CodingKey { case clients, query, zhengtong, openldap, throughputRatio = "throughput_ratio" }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(clients, forKey: .clients)
            try c.encode(query, forKey: .query)
            try c.encode(zhengtong, forKey: .zhengtong)
            try c.encode(openldap, forKey: .openldap)
            try c.encode(ratio, forKey: .throughputRatio)
        }
    }

    struct CensusRow: Encodable {
        var query: String
        var system: String
        var result: CellResult

        enum CodingKeys: String, CodingKey { case query, system, queries, results, resultsPerQuery = "results_per_query", errors }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(query, forKey: .query)
            try c.encode(system, forKey: .system)
            try c.encode(result.requests, forKey: .queries)
            try c.encode(result.results, forKey: .results)
            try c.encode(result.resultsPerQuery, forKey: .resultsPerQuery)
            try c.encode(result.errors + result.lostConnections, forKey: .errors)
        }
    }

    static func write(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    }

    private static func milliseconds(_ value: Double?) -> String { value.map { format("%9.2f", $0) } ?? pad("-", 9, right: true) }
    private static func format(_ f: String, _ value: Double) -> String { String(format: f, value) }

    private static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}

extension CellResult: Encodable {
    enum CodingKeys: String, CodingKey {
        case requests, rps, p50 = "p50_ms", p99 = "p99_ms", resultsPerQuery = "results_per_query", errors
        case lostConnections = "lost_connections", cpuSeconds = "loadgen_cpu_s", cpuPercent = "loadgen_cpu_pct"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(requests, forKey: .requests)
        try c.encode(rps, forKey: .rps)
        try c.encode(p50Milliseconds, forKey: .p50)
        try c.encode(p99Milliseconds, forKey: .p99)
        try c.encode(resultsPerQuery, forKey: .resultsPerQuery)
        try c.encode(errors, forKey: .errors)
        try c.encode(lostConnections, forKey: .lostConnections)
        try c.encode(cpuSeconds, forKey: .cpuSeconds)
        try c.encode(cpuPercent, forKey: .cpuPercent)
    }
}
