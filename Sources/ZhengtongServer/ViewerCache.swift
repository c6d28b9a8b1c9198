import Directory
import Foundation
import Synchronization

/// Who a signed-in person is for the privacy rules (positions, admin scope), kept for a moment instead
/// of loaded with four queries on every request. An entry is used only while no directory change has
/// happened in this process since it was loaded (`DirectoryChanges.generation`) and for at most
/// `lifetime`, which bounds how long a change made on another node can go unseen. The session itself
/// is still checked on every request, so a revoked session or a disabled person is refused at once.
final class ViewerCache: Sendable {
    struct Entry { var viewer: Viewer; var generation: Int; var loadedAt: ContinuousClock.Instant }

    let lifetime: Duration
    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])
    private let lastSweep = Mutex(ContinuousClock.now)

    init(lifetime: Duration = .seconds(2), capacity: Int = 100_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func viewer(_ personId: String, load: () async throws -> Viewer?) async throws -> Viewer? {
        let now = ContinuousClock.now
        let generation = DirectoryChanges.generation.load(ordering: .relaxed)
        if let e = entries.withLock({ $0[personId] }), e.generation == generation, now - e.loadedAt < lifetime {
            return e.viewer
        }
        guard let v = try await load() else {
            entries.withLock { _ = $0.removeValue(forKey: personId) }
            return nil
        }
        // Expired entries are dropped once a lifetime, so the cache holds the recently active, not everyone
        // who ever signed in.
        let sweep = lastSweep.withLock { last in
            guard now - last >= lifetime else { return false }
            last = now
            return true
        }
        entries.withLock { map in
            if sweep { map = map.filter { now - $0.value.loadedAt < lifetime } }
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }
            map[personId] = Entry(viewer: v, generation: generation, loadedAt: now)
        }
        return v
    }
}
