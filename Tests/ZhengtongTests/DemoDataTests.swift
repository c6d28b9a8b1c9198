import Foundation
import Testing
@testable import DemoData
import Directory
import ZhengtongCore

/// Everything one run of the generator streamed, in order.
private struct Collected {
    var batches: [DemoBatch] = []
    var regions: [Region] = []
    var orgs: [Org] = []
    var people: [Person] = []
    var positions: [Position] = []
    var grants: [Grant] = []
    /// The order in which kinds arrived: "r", "o", "p" (people), "q" (positions), "g".
    var kinds: [Character] = []

    static func run(_ size: DemoSize, seed: UInt64 = 20_190_101, batchSize: Int = 500) async throws -> Collected {
        var c = Collected()
        try await DemoGenerator(size: size, seed: seed).generate(batchSize: batchSize) { batch in
            c.batches.append(batch)
            switch batch {
            case .regions(let r): c.regions += r; c.kinds.append("r"); #expect(r.count <= batchSize)
            case .orgs(let o): c.orgs += o; c.kinds.append("o"); #expect(o.count <= batchSize)
            case .people(let p): c.people += p; c.kinds.append("p"); #expect(p.count <= batchSize)
            case .positions(let p): c.positions += p; c.kinds.append("q"); #expect(p.count <= batchSize)
            case .grants(let g): c.grants += g; c.kinds.append("g")
            }
        }
        return c
    }
}

private func encoded(_ c: Collected) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    var out = Data()
    out += try encoder.encode(c.regions)
    out += try encoder.encode(c.orgs)
    out += try encoder.encode(c.people)
    out += try encoder.encode(c.positions)
    out += try encoder.encode(c.grants)
    return out
}

@Suite("Demo directory generator")
struct DemoDataTests {
    @Test("two county runs with the same seed are identical; another seed differs")
    func determinism() async throws {
        let a = try await Collected.run(.county)
        let b = try await Collected.run(.county)
        #expect(a.kinds == b.kinds)
        #expect(a.regions == b.regions)
        #expect(a.orgs == b.orgs)
        #expect(a.people == b.people)
        #expect(a.positions == b.positions)
        #expect(a.grants == b.grants)
        #expect(try encoded(a) == encoded(b))

        let other = try await Collected.run(.county, seed: 7)
        #expect(other.people.map(\.name) != a.people.map(\.name))
    }

    @Test("county demo: about 5,000 people in one county, exact estimates, stream order")
    func countySize() async throws {
        let c = try await Collected.run(.county)
        #expect((4_000...6_500).contains(c.people.count))
        #expect((1_500...4_000).contains(c.orgs.count))

        let totals = DemoGenerator(size: .county).estimatedTotals
        #expect(totals.regions == c.regions.count)
        #expect(totals.orgs == c.orgs.count)
        #expect(totals.people == c.people.count)

        // Regions, then orgs, then people and positions block by block, grants last.
        let order: [Character: Int] = ["r": 0, "o": 1, "p": 2, "q": 2, "g": 3]
        #expect(c.kinds.map { order[$0]! } == c.kinds.map { order[$0]! }.sorted())
        #expect(c.kinds.first == "r" && c.kinds.last == "g")
        #expect(c.kinds.firstIndex(of: "p")! < c.kinds.firstIndex(of: "q")!)

        // One county (桐庐县 of 杭州市), with the province and the city above it.
        let byLevel = Dictionary(grouping: c.regions, by: \.level)
        #expect(byLevel[.province]?.map(\.name) == ["浙江省"])
        #expect(byLevel[.city]?.map(\.name) == ["杭州市"])
        #expect(byLevel[.county]?.map(\.name) == ["桐庐县"])
        #expect(byLevel[.city]?.first?.code == "330100000000")
        #expect((byLevel[.township]?.count ?? 0) > 5)
        #expect((byLevel[.village]?.count ?? 0) > 100)
        #expect((byLevel[.grid]?.count ?? 0) > (byLevel[.village]?.count ?? 0))
        #expect(byLevel[.grid]?.first?.name == "第一网格")
    }

    @Test("region codes: 12 digits (grids 15), unique, children under their parent's prefix, parents first")
    func regionCodes() async throws {
        let c = try await Collected.run(.county)
        var seen: [String: Region] = [:]
        for region in c.regions {
            #expect(region.code.utf8.count == region.level.codeLength)
            #expect(region.code.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            #expect(region.code.hasPrefix("33"))
            #expect(seen[region.code] == nil, "duplicate code \(region.code)")
            if let parentCode = region.parentCode {
                let parent = try #require(seen[parentCode], "parent of \(region.code) not emitted before it")
                #expect(parent.level.child == region.level)
                #expect(region.code.hasPrefix(parent.prefix))
                #expect(region.prefix.hasPrefix(parent.prefix) && region.prefix.count > parent.prefix.count)
                // The digits below the region's own level are zero.
                #expect(region.code.dropFirst(region.level.significantDigits).allSatisfy { $0 == "0" })
            } else {
                #expect(region.level == .province && region.code == "330000000000")
            }
            seen[region.code] = region
        }
    }

    @Test("orgs: parents first, paths extend the parent's, departments in their unit's region")
    func orgTree() async throws {
        let c = try await Collected.run(.county)
        let regionCodes = Set(c.regions.map(\.code))
        var seen: [String: Org] = [:]
        for org in c.orgs {
            #expect(ID.isValid(org.id))
            #expect(seen[org.id] == nil)
            #expect(regionCodes.contains(org.regionCode))
            switch org.kind {
            case .unit:
                #expect(org.parentId == nil)
                #expect(org.path == "/\(org.id)/")
            case .department:
                let parent = try #require(seen[org.parentId ?? ""], "parent of \(org.name) not emitted before it")
                #expect(org.path == parent.path + org.id + "/")
                #expect(org.path.hasPrefix(parent.path))
                #expect(org.regionCode == parent.regionCode)
            }
            if org.hidden { #expect(org.hiddenScope == org.path) }
            if org.visibility == .selfOnly { #expect(org.restrictScope == org.path) }
            seen[org.id] = org
        }
        let names = Set(c.orgs.map(\.name))
        #expect(names.contains("桐庐县人民政府"))
        #expect(names.contains("桐庐县市场监督管理局"))
        #expect(names.contains("桐庐县人民政府办公室"))
        #expect(names.contains("杭州市生态环境局桐庐分局"))
        #expect(c.orgs.contains { $0.hidden && $0.name == "国内安全保卫大队" })
        #expect(c.orgs.contains { $0.visibility == .selfOnly })
        #expect(c.orgs.contains { $0.kind == .unit && $0.lines == ["市场监管"] })
        #expect(c.orgs.contains { $0.kind == .department && $0.name == "第一网格" })
    }

    @Test("people: exactly one main position, unique usernames and mobiles, valid references")
    func people() async throws {
        let c = try await Collected.run(.county)
        let orgIds = Set(c.orgs.map(\.id))
        let personIds = Set(c.people.map(\.id))
        #expect(personIds.count == c.people.count)
        #expect(Set(c.people.map(\.username)).count == c.people.count)
        let mobiles = c.people.compactMap(\.mobile)
        #expect(mobiles.count == c.people.count)
        #expect(Set(mobiles).count == mobiles.count)
        for m in mobiles {
            #expect(m.utf8.count == 11 && m.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            #expect(["13", "15", "17", "18", "19"].contains(String(m.prefix(2))))
        }
        for p in c.people {
            #expect(p.username.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) })
            #expect(!p.pinyinCompact.isEmpty && p.initials.count >= 2)
        }

        var mains: [String: Int] = [:]
        var all: [String: Int] = [:]
        for position in c.positions {
            #expect(personIds.contains(position.personId))
            #expect(orgIds.contains(position.orgId))
            all[position.personId, default: 0] += 1
            if position.main { mains[position.personId, default: 0] += 1 }
        }
        #expect(c.people.allSatisfy { mains[$0.id] == 1 })
        #expect(Set(c.positions.map(\.id)).count == c.positions.count)
        let twice = all.values.filter { $0 > 1 }.count
        #expect(Double(twice) / Double(c.people.count) > 0.02 && Double(twice) / Double(c.people.count) < 0.09)

        let hidden = c.people.filter(\.hideMobile).count
        #expect(hidden > 0 && Double(hidden) / Double(c.people.count) < 0.05)
        #expect(c.people.contains { $0.rank == "县处级正职" && $0.seniorMode })
        #expect(c.positions.contains { $0.title == "网格员" })
        #expect(c.positions.contains { $0.title == "局长" && $0.leader })
        #expect(c.positions.contains { !$0.roles.isEmpty })
    }

    @Test("the well-known accounts exist, with their grants")
    func wellKnownAccounts() async throws {
        let c = try await Collected.run(.county)
        let generator = DemoGenerator(size: .county)
        #expect(generator.accounts.map(\.username) == ["leader", "staff", "countyadmin", "deptadmin", "gridworker"])
        #expect(generator.accounts.allSatisfy { !$0.description.isEmpty })

        let people = Dictionary(uniqueKeysWithValues: c.people.map { ($0.username, $0) })
        let orgs = Dictionary(uniqueKeysWithValues: c.orgs.map { ($0.id, $0) })
        func mainOrg(_ username: String) throws -> (Position, Org) {
            let person = try #require(people[username], "no \(username)")
            let position = try #require(c.positions.first { $0.personId == person.id && $0.main })
            return (position, try #require(orgs[position.orgId]))
        }
        let county = try #require(c.regions.first { $0.level == .county })

        let leader = try #require(people["leader"])
        #expect(leader.seniorMode && leader.rank == "县处级正职")
        let (leaderPos, leaderOrg) = try mainOrg("leader")
        #expect(leaderPos.title == "县长" && leaderPos.leader && leaderOrg.name == "桐庐县人民政府")

        let (_, staffOrg) = try mainOrg("staff")
        #expect(staffOrg.path.hasPrefix(try #require(c.orgs.first { $0.name == "桐庐县市场监督管理局" }).path))
        #expect(people["staff"]?.seniorMode == false)

        let (_, adminOrg) = try mainOrg("countyadmin")
        let govOffice = try #require(c.orgs.first { $0.name == "桐庐县人民政府办公室" })
        #expect(adminOrg.path.hasPrefix(govOffice.path))

        let (gridPos, gridOrg) = try mainOrg("gridworker")
        #expect(gridPos.title == "网格员" && gridOrg.name == "第一网格")

        let market = try #require(c.orgs.first { $0.name == "桐庐县市场监督管理局" })
        #expect(c.grants.count == 2)
        #expect(c.grants.contains { $0.personId == people["countyadmin"]?.id && $0.role == .directoryAdmin
                && $0.regionCode == county.code && $0.orgId == nil })
        #expect(c.grants.contains { $0.personId == people["deptadmin"]?.id && $0.role == .directoryAdmin
                && $0.orgId == market.id && $0.regionCode == nil })
    }

    @Test("pinyin: polyphonic and compound surnames, and the precomputed pinyin matches Pinyin(name:)")
    func pinyin() async throws {
        let shan = Person(id: "x", name: "单明", username: "x")
        #expect(shan.pinyin.hasPrefix("shan"))
        let pools = NamePools.shared
        for (surname, reading) in [("单", "shan"), ("曾", "zeng"), ("区", "ou"), ("仇", "qiu"), ("解", "xie"),
                                   ("查", "zha"), ("朴", "piao"), ("欧阳", "ouyang"), ("尉迟", "yuchi")] {
            let part = try #require(pools.surnames.first { $0.text == surname })
            #expect(part.compact == reading)
        }

        let c = try await Collected.run(.county)
        #expect(c.people.contains { $0.name.hasPrefix("曾") })
        var polyphonic = 0
        for (surname, reading) in [("单", "shan"), ("曾", "zeng"), ("区", "ou"), ("仇", "qiu"), ("解", "xie"), ("查", "zha"),
                                   ("朴", "piao"), ("欧阳", "ouyang"), ("尉迟", "yuchi"), ("司马", "sima"), ("诸葛", "zhuge")] {
            for person in c.people where person.name.hasPrefix(surname) && person.name.count > surname.count {
                polyphonic += 1
                #expect(person.pinyinCompact.hasPrefix(reading), "\(person.name): \(person.pinyin)")
                #expect(person.username.hasPrefix(reading))
            }
        }
        #expect(polyphonic >= 5)
        // Every 23rd person, recomputed the slow way.
        for person in stride(from: 0, to: c.people.count, by: 23).map({ c.people[$0] }) {
            let p = Pinyin(name: person.name)
            #expect(person.pinyin == p.spaced, "\(person.name)")
            #expect(person.pinyinCompact == p.compact)
            #expect(person.initials == p.initials)
        }
    }

    @Test("region file is read in document order")
    func regionTree() throws {
        let tree = try RegionTree.bundled.get()
        #expect(tree.province == "浙江省")
        #expect(tree.cities.count == 11)
        #expect(tree.cities.first?.name == "杭州市" && tree.cities.last?.name == "丽水市")
        #expect(tree.cities.reduce(0) { $0 + $1.counties.count } == 90)
        #expect(tree.regionCount == 33_727)

        let small = try RegionTree(json: Array(#"{"省":{"b市":{"z县":{"镇\u0031":["村1","村2"]}},"a市":{}}}"#.utf8))
        #expect(small.cities.map(\.name) == ["b市", "a市"])
        #expect(small.cities[0].counties[0].townships[0].name == "镇1")
        #expect(throws: DemoDataError.self) { try RegionTree(json: Array(#"{"省": ["x"]}"#.utf8)) }
    }
}
