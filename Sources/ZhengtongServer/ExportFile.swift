import Foundation
import Hummingbird

/// An export written to a temporary file first, then sent from it: the database connection is free
/// again as soon as the file is written (not held for as long as a slow client takes to download), a
/// failure can still be answered with an error status, and memory holds a megabyte, not the file.
struct ExportFile: Sendable {
    let size: Int
    private let handle: FileHandle

    /// Runs `write` with a sink into a new temporary file, which is unlinked at once (the open handle
    /// keeps it readable), so nothing is left behind whatever happens to the response.
    static func make(_ write: (@escaping (String) async throws -> Void) async throws -> Void) async throws -> ExportFile {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zt-export-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        defer { unlink(path) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        do {
            try await write { try out.write(contentsOf: Data($0.utf8)) }
            try out.close()
        } catch {
            try? out.close()
            throw error
        }
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        let size = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        return ExportFile(size: size, handle: handle)
    }

    /// The file as a response body, a megabyte at a time; the handle closes when the body is done
    /// (or dropped unsent).
    var body: ResponseBody {
        ResponseBody(contentLength: size) { [handle] writer in
            defer { try? handle.close() }
            while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                try await writer.write(ByteBuffer(bytes: data))
            }
            try await writer.finish(nil)
        }
    }
}
