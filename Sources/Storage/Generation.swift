import Synchronization

/// A number a store's writers move on after committing what caches must see (a directory change, a
/// revoked session), so a cache of values read from this store can tell they may be stale: it keeps the
/// number it read *before* loading, and an entry is good only while the number has not moved. Moving it
/// after the commit is enough: a reader that loaded the old rows read an older number.
///
/// One per open store, not per process, so two stores in one process (the tests run many) do not empty
/// each other's caches. Writes made by other processes are not seen here: such caches also expire by time.
public final class Generation: Sendable {
    private let counter = Atomic<Int>(0)

    public init() {}

    public var value: Int { counter.load(ordering: .relaxed) }

    public func advance() { counter.add(1, ordering: .relaxed) }
}
