import Foundation
import SQLKit
import Storage
import Synchronization

/// Reads the directory tables into index records. Rows are streamed, not collected, so a province
/// (1.3 M people) never sits in memory twice as database rows.
enum IndexLoader {
    static let positionColumns = "id, person_id, org_id, title, leader, roles, is_main, display_order"

    /// Runs `sql` and maps each row as it arrives.
    static func stream<T: Sendable>(_ db: any SQLDatabase, _ sql: SQLQueryString, _ map: @escaping @Sendable (any SQLRow) throws -> T) async throws -> [T] {
        let out = Mutex<(rows: [T], error: (any Error)?)>(([], nil))
        try await db.raw(sql).run { row in
            out.withLock { s in
                guard s.error == nil else { return }
                do { s.rows.append(try map(row)) } catch { s.error = error }
            }
        }
        return try out.withLock { s in
            if let e = s.error { throw e }
            return s.rows
        }
    }

    static func position(_ r: any SQLRow) throws -> (personId: String, orgId: String, PosRec) {
        (try r.decode(column: "person_id", as: String.self), try r.decode(column: "org_id", as: String.self),
         PosRec(id: try r.decode(column: "id", as: String.self), orgSlot: -1,
                title: try r.decode(column: "title", as: String?.self),
                leader: try r.decode(column: "leader", as: Int.self) != 0,
                roles: Rows.list(try r.decode(column: "roles", as: String.self)),
                main: try r.decode(column: "is_main", as: Int.self) != 0,
                order: try r.decode(column: "display_order", as: Int.self)))
    }

    static func orgTable(_ db: any SQLDatabase) async throws -> OrgTable {
        var table = OrgTable()
        for r in try await stream(db, "SELECT \(unsafeRaw: Rows.regionColumns) FROM regions", Rows.region) { table.regions[r.code] = r }
        let orgs = try await stream(db, "SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs") { try Rows.org($0) }
        table.orgs.reserveCapacity(orgs.count)
        for o in orgs { table.put(o) }
        table.resolveUnits()
        return table
    }

    /// Everyone, in rank order, with their positions attached.
    static func people(_ db: any SQLDatabase, orgs: OrgTable) async throws -> [PersonRec] {
        var people = try await stream(db, "SELECT \(unsafeRaw: Rows.personColumns) FROM people ORDER BY pinyin_compact, id", Rows.person)
        // The database's collation may not be byte order (PostgreSQL with a language locale).
        if !zip(people, people.dropFirst()).allSatisfy({ rankLess($0, $1) }) {
            people.sort(by: rankLess)
        }
        var rankOf = [String: Int](minimumCapacity: people.count)
        for (i, p) in people.enumerated() { rankOf[p.id] = i }
        var positions = [[PosRec]](repeating: [], count: people.count)
        for (personId, orgId, var pos) in try await stream(db, "SELECT \(unsafeRaw: positionColumns) FROM positions", position) {
            guard let i = rankOf[personId] else { continue }
            pos.orgSlot = orgs.slotOf[orgId] ?? -1
            positions[i].append(pos)
        }
        return zip(people, positions).map { PersonRec(person: $0, positions: $1) }
    }

    /// The current records of some people (missing ids are simply absent).
    static func people(_ db: any SQLDatabase, ids: [String], orgs: OrgTable) async throws -> [PersonRec] {
        var out: [String: (Person, [PosRec])] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            for p in try await db.raw("SELECT \(unsafeRaw: Rows.personColumns) FROM people WHERE id IN (\(binds: chunk))").all().map(Rows.person) {
                out[p.id] = (p, [])
            }
            for row in try await db.raw("SELECT \(unsafeRaw: positionColumns) FROM positions WHERE person_id IN (\(binds: chunk))").all() {
                var (personId, orgId, pos) = try position(row)
                pos.orgSlot = orgs.slotOf[orgId] ?? -1
                out[personId]?.1.append(pos)
            }
        }
        return out.values.map { PersonRec(person: $0.0, positions: $0.1) }
    }

    /// (pinyin_compact, id) in byte order: the rank order.
    static func rankLess(_ a: Person, _ b: Person) -> Bool {
        let c = Bytewise.compare(a.pinyinCompact, b.pinyinCompact)
        return c != 0 ? c < 0 : Bytewise.less(a.id, b.id)
    }
}
