import Synchronization

/// A counting semaphore for async code: SQLite allows one writer at a time and a bounded number of
/// readers, and waiting must suspend a task rather than block a thread.
public final class AsyncSemaphore: Sendable {
    private struct State {
        var permits: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    public init(permits: Int) { state = Mutex(State(permits: permits)) }

    public func wait() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.permits > 0 { s.permits -= 1; return true }
                s.waiters.append(cont)
                return false
            }
            if resumeNow { cont.resume() }
        }
    }

    public func signal() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty { s.permits += 1; return nil }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }

    public func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        await wait()
        do {
            let r = try await body()
            signal()
            return r
        } catch {
            signal()
            throw error
        }
    }
}
