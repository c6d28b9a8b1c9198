import SQLKit
import ZhengtongCore

/// Collects an export's text and hands it on in pieces of about a megabyte, so that an export of a
/// province (about 150 MB of text) never sits in memory whole.
struct ExportWriter {
    static let pieceBytes = 1 << 20
    private var text = ""
    private let sink: (String) async throws -> Void

    init(_ sink: @escaping (String) async throws -> Void) { self.sink = sink }

    mutating func add(_ s: String) async throws {
        text += s
        if text.utf8.count >= Self.pieceBytes {
            try await sink(text)
            text = ""
        }
    }

    mutating func finish() async throws {
        if !text.isEmpty { try await sink(text) }
        text = ""
    }
}

/// Org names by id for the org paths an export writes, read as they are first needed. Bounded: at
/// province size the whole table would be 320,000 names, and the paths of neighbouring people share
/// most of theirs.
struct OrgNameCache {
    private var names: [String: String] = [:]

    mutating func load(_ ids: some Sequence<String>, from db: any SQLDatabase) async throws {
        let wanted = Set(ids)
        var missing = wanted.filter { names[$0] == nil }
        if names.count + missing.count > DirectoryService.exportNameCacheLimit {
            // Start afresh, keeping nothing: every name this chunk needs is read again.
            names = [:]
            missing = wanted
        }
        for chunk in Array(missing).chunks(of: 500) {
            for r in try await db.raw("SELECT id, name FROM orgs WHERE id IN (\(binds: Array(chunk)))").all() {
                names[try r.decode(column: "id", as: String.self)] = try r.decode(column: "name", as: String.self)
            }
        }
    }

    subscript(id: String) -> String? { names[id] }
}
