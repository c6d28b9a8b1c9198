import PostgresNIO
import Synchronization

/// Hands a pooled connection from the task that leased it to the task that uses it, or an error if
/// none came in time. The first of `offer` and `fail` decides; the other is ignored, and a connection
/// offered too late is refused so its lender can give it straight back to the pool.
final class LeaseHandoff: Sendable {
    private enum State {
        case waiting(CheckedContinuation<PostgresConnection, any Error>?)
        case offered(PostgresConnection)
        case failed(any Error)
        case taken
    }
    private let state = Mutex(State.waiting(nil))
    /// Opened when the user is done with the connection; its lender waits for it before releasing.
    let returned = Latch()

    /// True if the connection was taken (the lender must then wait for `returned`).
    func offer(_ connection: PostgresConnection) -> Bool {
        let outcome = state.withLock { s -> (Bool, CheckedContinuation<PostgresConnection, any Error>?) in
            guard case .waiting(let waiter) = s else { return (false, nil) }
            s = waiter == nil ? .offered(connection) : .taken
            return (true, waiter)
        }
        outcome.1?.resume(returning: connection)
        return outcome.0
    }

    func fail(_ error: any Error) {
        let waiter = state.withLock { s -> CheckedContinuation<PostgresConnection, any Error>?? in
            guard case .waiting(let waiter) = s else { return nil }
            s = waiter == nil ? .failed(error) : .taken
            return .some(waiter)
        }
        if case .some(.some(let w)) = waiter { w.resume(throwing: error) }
    }

    func connection() async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<PostgresConnection, any Error>) in
            let now = state.withLock { s -> Result<PostgresConnection, any Error>? in
                switch s {
                case .waiting:
                    s = .waiting(cont)
                    return nil
                case .offered(let c):
                    s = .taken
                    return .success(c)
                case .failed(let e):
                    s = .taken
                    return .failure(e)
                case .taken:
                    preconditionFailure("a lease is handed over once")
                }
            }
            if let now { cont.resume(with: now) }
        }
    }
}
