import Synchronization

/// Opens once; whoever waits before then resumes when it opens, whoever comes after passes at once.
public final class Latch: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    public init() {}

    public func wait() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let passNow = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(cont)
                return false
            }
            if passNow { cont.resume() }
        }
    }

    public func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}
