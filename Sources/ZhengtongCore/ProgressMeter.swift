import Foundation
import Synchronization

/// A one-line progress bar on standard error, redrawn at most ten times a second; silent when disabled
/// (no terminal is watching).
public final class ProgressMeter: Sendable {
    let total: Int
    let enabled: Bool
    let label: String
    let start = Date()
    private let last = Mutex(Date.distantPast)

    public init(total: Int, enabled: Bool, label: String) {
        self.total = max(total, 1)
        self.enabled = enabled
        self.label = label
    }

    public func update(_ n: Int) {
        guard enabled else { return }
        let now = Date()
        let due = last.withLock { last in
            guard now.timeIntervalSince(last) > 0.1 || n >= total else { return false }
            last = now
            return true
        }
        guard due else { return }
        let fraction = min(1, Double(n) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let line = String(format: "\r[%@%@] %3.0f%% %d %@ %.0fs", String(repeating: "#", count: filled),
                          String(repeating: " ", count: width - filled), fraction * 100, n, label, now.timeIntervalSince(start))
        FileHandle.standardError.write(Data(line.utf8))
    }

    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
