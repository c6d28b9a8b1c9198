import Synchronization

/// Values loaded recently, kept for a moment instead of loaded again on every request. An entry is used
/// only while the caller's generation has not moved since it was loaded (so a change made in this
/// process is seen at once) and for at most `lifetime` (which bounds how long a change made on another
/// node can go unseen).
public final class RecentCache<Value: Sendable>: Sendable {
    struct Entry { var value: Value; var generation: Int; var loadedAt: ContinuousClock.Instant }

    public let lifetime: Duration
    public let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])
    private let lastSweep = Mutex(ContinuousClock.now)

    public init(lifetime: Duration = .seconds(2), capacity: Int = 100_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached value for `key`, or what `load` returns (nil is not kept: the next call loads again).
    public func value(_ key: String, generation: Int, load: () async throws -> Value?) async throws -> Value? {
        let now = ContinuousClock.now
        if let v = cached(key, generation: generation, now: now) { return v }
        guard let v = try await load() else {
            entries.withLock { _ = $0.removeValue(forKey: key) }
            return nil
        }
        // Expired entries are dropped once a lifetime, so the cache holds the recently active, not
        // everyone who ever came by.
        let sweep = lastSweep.withLock { last in
            guard now - last >= lifetime else { return false }
            last = now
            return true
        }
        entries.withLock { map in
            if sweep { map = map.filter { now - $0.value.loadedAt < lifetime } }
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }
            map[key] = Entry(value: v, generation: generation, loadedAt: now)
        }
        return v
    }

    /// The cached value for `key` if it is still good, without loading: for callers that cannot wait.
    public func cached(_ key: String, generation: Int, now: ContinuousClock.Instant = .now) -> Value? {
        guard let e = entries.withLock({ $0[key] }), e.generation == generation, now - e.loadedAt < lifetime else { return nil }
        return e.value
    }
}
