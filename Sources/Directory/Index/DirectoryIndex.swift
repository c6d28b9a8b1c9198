import Foundation
import SQLKit
import Storage
import Synchronization

/// The directory in memory, for search and member listings at province size without SQL. It is built
/// from the tables once, in the background (the server answers from SQL meanwhile), then follows the
/// change log: a search first applies the changes committed in this process since it last looked (so
/// a writer sees its own write), and `run` polls for other nodes' changes every `pollInterval`.
/// Applying a change reloads the current rows of what it names, so replaying a change twice, or one
/// that committed while the build was reading, is harmless.
///
/// Moving an org (which re-sorts the org lists) and large batches of changes are answered by
/// rebuilding in the background; an org move sends searches to SQL until then.
public final class DirectoryIndex: Sendable {
    public enum Status: String, Sendable { case building, ready, rebuilding }

    struct Stored: Sendable {
        var state: IndexState?
        var appliedSeq: Int64 = 0
        var generationSeen = -1
        /// False after an org moved, until a rebuild: the base's org orders are stale.
        var usable = true
        var rebuildWanted = false
    }

    let database: any Database
    let pollInterval: Duration
    private let stored = Mutex(Stored())
    private let syncing = AsyncSemaphore(permits: 1)

    public init(database: any Database, pollInterval: Duration = .seconds(1)) {
        self.database = database
        self.pollInterval = pollInterval
    }

    public var status: Status {
        stored.withLock { s in s.state == nil ? .building : (s.usable && !s.rebuildWanted ? .ready : .rebuilding) }
    }

    /// People in the index: the base, less those replaced by a changed record, plus the changed records.
    public var peopleCount: Int {
        stored.withLock { s in s.state.map { $0.base.people.count - $0.tombstones.count + $0.changed.count } ?? 0 }
    }

    /// A current state to answer from, or nil when the index cannot answer (not built, or an org moved).
    func current() async throws -> IndexState? {
        let (ready, behind) = stored.withLock { s in
            (s.state != nil && s.usable, s.generationSeen != database.generation.value)
        }
        guard ready else { return nil }
        if behind { try await catchUp() }
        return stored.withLock { s in s.usable ? s.state : nil }
    }

    /// `current` without waiting: nil also when this process has written since the index last looked,
    /// because catching up reads the change log.
    func currentIfCaughtUp() -> IndexState? {
        stored.withLock { s in
            s.usable && s.generationSeen == database.generation.value ? s.state : nil
        }
    }

    /// Builds the index, then follows the change log until cancelled. Errors are retried: until it is
    /// built, the SQL paths answer.
    public func run(onBuilt: @Sendable (_ people: Int, _ took: Duration) -> Void = { _, _ in },
                    onError: @Sendable (any Error) -> Void = { _ in }) async {
        while !Task.isCancelled {
            do {
                if stored.withLock({ $0.state == nil || $0.rebuildWanted }) {
                    let start = ContinuousClock.now
                    try await build()
                    onBuilt(peopleCount, ContinuousClock.now - start)
                }
                try await catchUp()
            } catch is CancellationError {
                return
            } catch {
                onError(error)
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// Loads a new base from the tables and swaps it in once it has caught up with the change log.
    public func build() async throws {
        // The head is read first: anything that commits during the load is replayed after it.
        let head = try await DirectoryChanges.head(database)
        let (orgs, people) = try await database.read { db in
            let orgs = try await IndexLoader.orgTable(db)
            return (orgs, try await IndexLoader.people(db, orgs: orgs))
        }
        var fresh = IndexState(base: IndexBase(people: people, orgs: orgs), orgs: orgs)
        try await syncing.withPermit {
            var seq = head
            var usable = true
            while true {
                let generation = database.generation.value
                let changes = try await DirectoryChanges.list(database, after: seq, limit: 5000)
                if !changes.isEmpty {
                    usable = try await apply(changes, to: &fresh) && usable
                    seq = changes.last!.seq
                }
                if changes.count < 5000 {
                    let state = fresh
                    stored.withLock { s in
                        s = Stored(state: state, appliedSeq: seq, generationSeen: generation, usable: usable, rebuildWanted: !usable)
                    }
                    return
                }
            }
        }
    }

    /// Applies every change committed since the last look.
    public func catchUp() async throws {
        try await syncing.withPermit {
            while true {
                let generation = database.generation.value
                guard case (var state, let seq)? = stored.withLock({ s in s.state.map { ($0, s.appliedSeq) } }) else { return }
                let changes = try await DirectoryChanges.list(database, after: seq, limit: 5000)
                guard !changes.isEmpty else {
                    stored.withLock { $0.generationSeen = generation }
                    return
                }
                // `state` is a copy: searches keep answering from the stored one meanwhile.
                let usable = try await apply(changes, to: &state)
                let big = state.changed.count > max(10_000, state.base.people.count / 20)
                let last = changes.last!.seq
                stored.withLock { s in
                    s.state = state
                    s.appliedSeq = last
                    if !usable { s.usable = false }
                    if !usable || big { s.rebuildWanted = true }
                    if changes.count < 5000 { s.generationSeen = generation }
                }
                if changes.count < 5000 { return }
            }
        }
    }

    /// Reloads what `changes` name. Returns false if an org moved (path or region changed).
    func apply(_ changes: [DirectoryChange], to state: inout IndexState) async throws -> Bool {
        var personIds = Set<String>(), deletedPositions = Set<String>(), orgIds = Set<String>(), regionCodes = Set<String>()
        for c in changes {
            switch c.kind {
            case "person": personIds.insert(c.targetId)
            case "position":
                if let data = c.data?.data(using: .utf8), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                   let pid = json["person_id"] as? String {
                    personIds.insert(pid)
                } else {
                    deletedPositions.insert(c.targetId)
                }
            case "org": orgIds.insert(c.targetId)
            case "region": regionCodes.insert(c.targetId)
            default: break  // grants change viewers, not the index
            }
        }
        if !deletedPositions.isEmpty { personIds.formUnion(owners(of: deletedPositions, in: state)) }
        // An org change may have re-derived its whole subtree (paths, hidden and self-only scopes).
        var reloadOrgs = orgIds
        for id in orgIds {
            guard let slot = state.orgs.slotOf[id] else { continue }
            let path = state.orgs.orgs[Int(slot)].org.path
            for rec in state.orgs.orgs where Bytewise.underPrefix(rec.org.path, path) { reloadOrgs.insert(rec.org.id) }
        }
        var usable = true
        let orgList = Array(reloadOrgs), regionList = Array(regionCodes)
        let (regions, orgs) = try await database.read { db in
            var regions: [Region] = [], orgs: [Org] = []
            for start in stride(from: 0, to: regionList.count, by: 500) {
                let chunk = Array(regionList[start..<min(start + 500, regionList.count)])
                regions += try await db.raw("SELECT \(unsafeRaw: Rows.regionColumns) FROM regions WHERE code IN (\(binds: chunk))").all().map(Rows.region)
            }
            for start in stride(from: 0, to: orgList.count, by: 500) {
                let chunk = Array(orgList[start..<min(start + 500, orgList.count)])
                orgs += try await db.raw("SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs WHERE id IN (\(binds: chunk))").all().map { try Rows.org($0) }
            }
            return (regions, orgs)
        }
        for r in regions { state.orgs.regions[r.code] = r }
        let found = Set(orgs.map(\.id))
        for id in reloadOrgs where !found.contains(id) {
            if let slot = state.orgs.slotOf[id] { state.orgs.markDeleted(slot) }
        }
        for o in orgs {
            if let slot = state.orgs.slotOf[o.id] {
                let old = state.orgs.orgs[Int(slot)].org
                if old.path != o.path || old.regionCode != o.regionCode { usable = false }
            }
            state.orgs.put(o)
        }
        let orgTable = state.orgs
        let ids = Array(personIds)
        let people = try await database.read { db in try await IndexLoader.people(db, ids: ids, orgs: orgTable) }
        for rec in people {
            state.changed[rec.person.id] = rec
            if let rank = state.base.rankOf[rec.person.id] { state.tombstones.insert(rank) }
        }
        return usable
    }

    /// Who held these positions, by a scan: deleted positions are rare, and a map from every position
    /// to its person would cost more memory than the scan costs time.
    func owners(of positions: Set<String>, in state: IndexState) -> Set<String> {
        var out = Set<String>()
        for rec in state.changed.values where rec.positions.contains(where: { positions.contains($0.id) }) { out.insert(rec.person.id) }
        for rec in state.base.people where rec.positions.contains(where: { positions.contains($0.id) }) { out.insert(rec.person.id) }
        return out
    }
}
