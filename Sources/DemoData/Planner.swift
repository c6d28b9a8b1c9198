import Directory
import ZhengtongCore

/// Namespaces of `ID.deterministic` for the demo directory.
enum DemoNamespace {
    static let org: UInt8 = 11
    static let person: UInt8 = 12
    static let position: UInt8 = 13
    static let grant: UInt8 = 14
}

/// How a staffed post's rank is chosen.
enum RankRule: Sendable {
    case none
    case fixed(String)
    case oneOf([String])
    /// The tier's distribution of ordinary civil-servant ranks.
    case staff(Tier)
}

/// One or more identical posts in an org: who is generated there, and with which title.
struct Slot: Sendable {
    var title: String
    var rank: RankRule
    var leader = false
    var senior = false
    var count = 1
    /// A well-known account: the (single) person of this slot gets this fixed username.
    var account: String?
    /// Ordinary staff may carry a role (信息员, 联络员 …).
    var mayHaveRole = false
}

/// An org with its staffing. `scope` is where its people's second positions are taken: the village for
/// a village's orgs, the township and its villages for a township's, the whole block otherwise.
struct PlannedOrg: Sendable {
    var org: Org
    var tier: Tier
    var slots: [Slot]
    var isGrid = false
    var isVillageUnit = false
    var scope: Range<Int> = 0..<0
}

/// A unit of streaming: the province's own units, one city's own units, or one county with everything
/// below it. Orgs, people and positions of a block are generated from a PRNG seeded by the block alone.
struct Block: Sendable {
    enum Kind: Sendable {
        case province
        case city(Int)
        case county(Int, Int)
    }
    var kind: Kind

    /// Index space of a block's ids: 12 bits of block, 18 bits of record (the 6 base32 digits of
    /// `ID.deterministic`), so ids do not depend on which size is generated.
    var number: Int {
        switch kind {
        case .province: 0
        case .city(let c): c << 6
        case .county(let c, let k): c << 6 | k
        }
    }
}

struct BlockPlan: Sendable {
    var orgs: [PlannedOrg] = []
    var orgCount = 0
    var peopleCount = 0
    /// Set when the block holds the well-known accounts.
    var marketBureauId: String?
    var countyCode: String?
    /// Orgs before this index belong to the block's own tier (the county's bureaus, not its townships).
    var levelEnd = 0
}

/// Densities per demo size: a multiplier on staff counts per tier.
struct Scale: Sendable {
    var staff: [Double]  // indexed by Tier.rawValue

    func factor(_ tier: Tier) -> Double { staff[tier.rawValue] }

    static func of(_ size: DemoSize) -> Scale {
        switch size {
        case .province, .city: Scale(staff: [5.0, 3.0, 1.85, 1.25, 0.95])
        case .county: Scale(staff: [1.0, 1.0, 0.3, 0.3, 0.3])
        }
    }
}

struct Planner: Sendable {
    let tree: RegionTree
    let seed: UInt64
    let scale: Scale
    /// (city, county), 1-based, of the county holding the well-known accounts.
    let home: (city: Int, county: Int)

    // MARK: Structure shared with the region pass

    static func isCommunity(_ village: String) -> Bool {
        village.hasSuffix("社区") || village.hasSuffix("居委会") || village.hasSuffix("居民委员会")
    }

    /// How many grids a village has: a pure function of the seed and the village's code, so the region
    /// pass and the org pass agree without sharing state.
    static func gridCount(seed: UInt64, village code: UInt64, community: Bool) -> Int {
        let h = Int(truncatingIfNeeded: Mix.hash(seed, code, 0x6752_4944) >> 33)
        return community ? 5 + h % 6 : 3 + h % 4
    }

    static func countyShortName(_ name: String) -> String {
        for suffix in ["畲族自治县", "自治县", "县", "区", "市"] where name.hasSuffix(suffix) {
            let short = String(name.dropLast(suffix.count))
            return short.count >= 2 ? short : name
        }
        return name
    }

    static func townshipShortName(_ name: String) -> String {
        for suffix in ["街道办事处", "街道", "畲族镇", "畲族乡", "镇", "乡"] where name.hasSuffix(suffix) {
            let short = String(name.dropLast(suffix.count))
            return short.count >= 2 ? short : name
        }
        return name
    }

    static func townshipUnitName(_ name: String) -> (name: String, street: Bool) {
        if name.hasSuffix("办事处") { return (name, true) }
        if name.hasSuffix("街道") { return (name + "办事处", true) }
        return (name + "人民政府", false)
    }

    static func villageUnitName(_ name: String) -> String {
        if name.hasSuffix("村民委员会") || name.hasSuffix("居民委员会") { return name }
        if name.hasSuffix("村委会") { return String(name.dropLast(3)) + "村民委员会" }
        if name.hasSuffix("居委会") { return String(name.dropLast(3)) + "居民委员会" }
        if name.hasSuffix("社区") { return name + "居民委员会" }
        return name + "村民委员会"
    }

    static func headOfGovernment(_ regionName: String, tier: Tier) -> String {
        switch tier {
        case .province: return "省长"
        case .city: return "市长"
        default:
            if regionName.hasSuffix("区") { return "区长" }
            if regionName.hasSuffix("市") { return "市长" }
            return "县长"
        }
    }

    // MARK: Planning

    func plan(_ block: Block, countOnly: Bool) -> BlockPlan {
        var b = Builder(blockNumber: block.number, countOnly: countOnly,
                        rng: SplitMix64(seed, 0x4F52_4753, UInt64(block.number)), scale: scale)
        switch block.kind {
        case .province:
            planLevel(&b, tier: .province, regionName: tree.province, code: RegionCode.province, counties: nil, accounts: false)
        case .city(let c):
            let city = tree.cities[c - 1]
            planLevel(&b, tier: .city, regionName: city.name, code: RegionCode.city(c), counties: nil, accounts: false)
        case .county(let c, let k):
            let county = tree.cities[c - 1].counties[k - 1]
            let accounts = c == home.city && k == home.county
            let code = RegionCode.county(c, k)
            planLevel(&b, tier: .county, regionName: county.name, code: code, counties: (c, k), accounts: accounts)
            b.plan.levelEnd = b.count
            if accounts { b.plan.countyCode = RegionCode.string12(code) }
            for (ti, township) in county.townships.enumerated() {
                planTownship(&b, township, code: RegionCode.township(c, k, ti + 1), order: ti + 1,
                             accounts: accounts && ti == 0)
            }
        }
        b.closeScope(from: 0)
        return b.plan
    }

    /// The people's government and the bureaus of a province, city or county.
    private func planLevel(_ b: inout Builder, tier: Tier, regionName: String, code: UInt64,
                           counties: (Int, Int)?, accounts: Bool) {
        let region = RegionCode.string12(code)
        let ranks: (gov: (String, String), unit: (String, String), dept: (String, String)?) = switch tier {
        case .province: (("省部级正职", "省部级副职"), ("厅局级正职", "厅局级副职"), ("县处级正职", "县处级副职"))
        case .city: (("厅局级正职", "厅局级副职"), ("县处级正职", "县处级副职"), ("乡科级正职", "乡科级副职"))
        default: (("县处级正职", "县处级副职"), ("乡科级正职", "乡科级副职"), nil)
        }
        let sectionRanks = Templates.sectionHeadRanks[.county]!
        var order = 1

        // The people's government: its head and deputies.
        let head = Self.headOfGovernment(regionName, tier: tier)
        var govSlots = [Slot(title: head, rank: .fixed(ranks.gov.0), leader: true, senior: true,
                             account: accounts ? "leader" : nil)]
        govSlots.append(Slot(title: "常务副" + head, rank: .fixed(ranks.gov.1), leader: true, senior: true))
        govSlots.append(Slot(title: "副" + head, rank: .fixed(ranks.gov.1), leader: true, senior: true,
                             count: b.rng.inRange(3...5)))
        _ = b.add(.unit, regionName + "人民政府", region: region, parent: nil, order: order, tier: tier, slots: govSlots)
        order += 1

        let townships = counties.map { tree.cities[$0.0 - 1].counties[$0.1 - 1].townships } ?? []
        let townshipShortNames = townships.map { Self.townshipShortName($0.name) }
        for resolved in Templates.resolvedUnits[tier.rawValue] {
            let spec = resolved.spec
            let name: String
            if spec.party {
                name = "中共" + regionName + resolved.suffix
            } else if spec.cityBranch, tier == .county, let counties {
                name = tree.cities[counties.0 - 1].name + resolved.suffix + Self.countyShortName(regionName) + "分局"
            } else {
                name = regionName + resolved.suffix
            }
            let titles = Templates.headTitles(name)
            let unitSlots = [
                Slot(title: titles.head, rank: .fixed(ranks.unit.0), leader: true, senior: true),
                Slot(title: titles.deputy, rank: .fixed(ranks.unit.1), leader: true, senior: tier == .province,
                     count: b.rng.inRange(spec.deputies)),
            ]
            let unit = b.add(.unit, name, region: region, parent: nil, lines: spec.lines, order: order, tier: tier,
                             slots: unitSlots)
            order += 1
            if accounts, spec.role == .marketRegulation, !b.countOnly { b.plan.marketBureauId = b.plan.orgs[unit].org.id }

            var deptOrder = 1
            for dept in resolved.depts {
                var accountSlots: [Slot] = []
                if accounts, deptOrder == 1, spec.role == .marketRegulation {
                    // The first department (办公室) of the market-regulation bureau.
                    accountSlots = [Slot(title: "科员", rank: .staff(.county), account: "staff"),
                                    Slot(title: "科员", rank: .staff(.county), account: "deptadmin")]
                } else if accounts, spec.role == .governmentOffice, dept.name.hasPrefix("信息") {
                    accountSlots = [Slot(title: "科员", rank: .staff(.county), account: "countyadmin")]
                }
                if planDept(&b, dept, parent: unit, tier: tier, deptRanks: ranks.dept, sectionRanks: sectionRanks,
                            lines: spec.lines, order: deptOrder, extra: accountSlots) {
                    deptOrder += 1
                }
            }
            if let per = resolved.perTownship, tier == .county {
                for short in townshipShortNames {
                    if planDept(&b, per, parent: unit, tier: tier, deptRanks: ranks.dept, sectionRanks: sectionRanks,
                                lines: spec.lines, order: deptOrder, extra: [], prefix: short) {
                        deptOrder += 1
                    }
                }
            }
        }
    }

    /// Plans a department and its sub-departments; false when the dice left it out.
    @discardableResult
    private func planDept(_ b: inout Builder, _ dept: ResolvedDept, parent: Int, tier: Tier, deptRanks: (String, String)?,
                          sectionRanks: (head: [String], deputy: [String]), lines: [String], order: Int,
                          extra: [Slot], prefix: String = "") -> Bool {
        let spec = dept.spec
        if spec.chance < 1000, !b.rng.chance(spec.chance) { return false }
        let headRank: RankRule = deptRanks.map { .fixed($0.0) } ?? .oneOf(sectionRanks.head)
        let deputyRank: RankRule = deptRanks.map { .fixed($0.1) } ?? .oneOf(sectionRanks.deputy)
        var slots = [Slot(title: dept.head, rank: headRank, leader: true)]
        let deputies = b.deputies(spec.deputies, tier: tier)
        if deputies > 0 { slots.append(Slot(title: dept.deputy, rank: deputyRank, count: deputies)) }
        slots += extra
        slots.append(Slot(title: dept.staffTitle, rank: .staff(tier), count: b.staff(spec.staff, tier: tier),
                          mayHaveRole: true))
        let index = b.add(.department, prefix.isEmpty ? dept.name : prefix + dept.name, region: "", parent: parent,
                          lines: dept.lines ?? lines, hidden: spec.hidden, selfOnly: spec.selfOnly, order: order,
                          tier: tier, slots: slots)
        var childOrder = 1
        for child in dept.children {
            if planDept(&b, child, parent: index, tier: tier, deptRanks: deptRanks, sectionRanks: sectionRanks,
                        lines: lines, order: childOrder, extra: []) {
                childOrder += 1
            }
        }
        return true
    }

    private func planTownship(_ b: inout Builder, _ township: RegionTree.Township, code: UInt64, order: Int, accounts: Bool) {
        let start = b.count
        let region = RegionCode.string12(code)
        let (unitName, street) = Self.townshipUnitName(township.name)
        let ranks = Templates.sectionHeadRanks[.township]!
        let (head, deputy) = street ? ("主任", "副主任") : township.name.hasSuffix("乡") ? ("乡长", "副乡长") : ("镇长", "副镇长")
        let leaders = [
            Slot(title: street ? "党工委书记" : "党委书记", rank: .fixed("乡科级正职"), leader: true),
            Slot(title: head, rank: .fixed("乡科级正职"), leader: true),
            Slot(title: street ? "党工委副书记" : "党委副书记", rank: .fixed("乡科级副职"), leader: true),
            Slot(title: street ? "人大街道工委主任" : "人大主席", rank: .fixed("乡科级副职"), leader: true),
            Slot(title: deputy, rank: .fixed("乡科级副职"), leader: true, count: b.rng.inRange(2...4)),
            Slot(title: street ? "纪工委书记" : "纪委书记", rank: .fixed("乡科级副职"), leader: true),
            Slot(title: "武装部部长", rank: .fixed("乡科级副职"), leader: true),
        ]
        let unit = b.add(.unit, unitName, region: region, parent: nil, order: order, tier: .township, slots: leaders)
        var officeOrder = 1
        for office in street ? Templates.resolvedStreetOffices : Templates.resolvedTownshipOffices {
            if planDept(&b, office, parent: unit, tier: .township, deptRanks: nil, sectionRanks: ranks,
                        lines: [], order: officeOrder, extra: []) {
                officeOrder += 1
            }
        }
        let townshipEnd = b.count
        for (vi, village) in township.villages.enumerated() {
            planVillage(&b, village, code: code + UInt64(vi + 1), order: vi + 1, accounts: accounts && vi == 0)
        }
        // The township's own orgs reach down to its villages; the villages' orgs stay in their village.
        b.setScope(start..<townshipEnd, to: start..<b.count)
    }

    private func planVillage(_ b: inout Builder, _ village: String, code: UInt64, order: Int, accounts: Bool) {
        let start = b.count
        let region = RegionCode.string12(code)
        let community = Self.isCommunity(village)
        let f = scale.factor(.village)
        var leaders: [Slot] = []
        if community {
            if b.rng.chance(400) {
                leaders.append(Slot(title: "社区党组织书记、居委会主任", rank: .none, leader: true))
            } else {
                leaders.append(Slot(title: "社区党组织书记", rank: .none, leader: true))
                leaders.append(Slot(title: "居委会主任", rank: .none, leader: true))
            }
            leaders.append(Slot(title: "居委会副主任", rank: .none, leader: true, count: b.rng.chance(Int(f * 800)) ? 1 : 0))
            leaders.append(Slot(title: "居委会委员", rank: .none, count: b.staff(2, tier: .village)))
            leaders.append(Slot(title: "社区工作者", rank: .none, count: b.staff(4, tier: .village), mayHaveRole: true))
        } else {
            if b.rng.chance(400) {
                leaders.append(Slot(title: "村党组织书记、村委会主任", rank: .none, leader: true))
            } else {
                leaders.append(Slot(title: "村党组织书记", rank: .none, leader: true))
                leaders.append(Slot(title: "村委会主任", rank: .none, leader: true))
            }
            leaders.append(Slot(title: "村委会副主任", rank: .none, leader: true, count: b.rng.chance(Int(f * 700)) ? 1 : 0))
            leaders.append(Slot(title: "村委会委员", rank: .none, count: b.staff(2, tier: .village)))
            leaders.append(Slot(title: "文书", rank: .none))
        }
        leaders.removeAll { $0.count == 0 }
        let unit = b.add(.unit, Self.villageUnitName(village), region: region, parent: nil, order: order, tier: .village,
                         slots: leaders, villageUnit: true)

        let grids = Self.gridCount(seed: seed, village: code, community: community)
        for g in 1...grids {
            var slots: [Slot] = []
            if b.rng.chance(Int(f * 700)) { slots.append(Slot(title: "网格长", rank: .none, leader: true)) }
            if accounts, g == 1 { slots.append(Slot(title: "网格员", rank: .none, account: "gridworker")) }
            slots.append(Slot(title: "网格员", rank: .none, count: b.staff(community ? 2 : 1, tier: .village, spread: 2),
                              mayHaveRole: true))
            _ = b.add(.department, ChineseNumber.gridName(g), region: "", parent: unit, lines: ["基层治理"], order: g,
                      tier: .village, slots: slots, grid: true)
        }

        var deptOrder = grids + 1
        let others: [(String, String, String, Int, Int)] = community
            ? [("居务监督委员会", "主任", "委员", 2, 1000), ("社区服务站", "站长", "工作人员", 3, 1000),
               ("物业服务站", "站长", "工作人员", 1, 350)]
            : [("村务监督委员会", "主任", "委员", 2, 1000), ("股份经济合作社", "社长", "工作人员", 1, 650),
               ("便民服务中心", "主任", "代办员", 2, 700)]
        for (name, head, staffTitle, staff, chance) in others where chance == 1000 || b.rng.chance(chance) {
            let slots = [Slot(title: head, rank: .none, leader: true),
                         Slot(title: staffTitle, rank: .none, count: b.staff(staff, tier: .village))]
            _ = b.add(.department, name, region: "", parent: unit, order: deptOrder, tier: .village, slots: slots)
            deptOrder += 1
        }
        b.setScope(start..<b.count, to: start..<b.count)
    }
}

/// Accumulates a block's orgs; in count-only mode it builds nothing but consumes the PRNG identically.
struct Builder {
    let blockNumber: Int
    let countOnly: Bool
    var rng: SplitMix64
    let scale: Scale
    var plan = BlockPlan()
    var count: Int { plan.orgCount }

    init(blockNumber: Int, countOnly: Bool, rng: SplitMix64, scale: Scale) {
        self.blockNumber = blockNumber
        self.countOnly = countOnly
        self.rng = rng
        self.scale = scale
    }

    mutating func add(_ kind: OrgKind, _ name: String, region: String, parent: Int?, lines: [String] = [],
                      hidden: Bool = false, selfOnly: Bool = false, order: Int, tier: Tier, slots: [Slot],
                      grid: Bool = false, villageUnit: Bool = false) -> Int {
        let index = plan.orgCount
        plan.orgCount += 1
        for s in slots { plan.peopleCount += s.count }
        if countOnly { return index }
        let parentOrg = parent.map { plan.orgs[$0].org }
        var org = Org(id: ID.deterministic(namespace: DemoNamespace.org, index: blockNumber << 18 | index), kind: kind,
                      name: name, regionCode: region, parentId: parentOrg?.id, path: "", lines: lines, hidden: hidden,
                      visibility: selfOnly ? .selfOnly : .all, order: order)
        org.derive(from: parentOrg)
        plan.orgs.append(PlannedOrg(org: org, tier: tier, slots: slots, isGrid: grid, isVillageUnit: villageUnit))
        return index
    }

    /// Gives `range`'s orgs the second-position scope `scope`, unless an inner group already did.
    mutating func setScope(_ range: Range<Int>, to scope: Range<Int>) {
        if countOnly { return }
        for i in range where plan.orgs[i].scope.isEmpty { plan.orgs[i].scope = scope }
    }

    mutating func closeScope(from start: Int) {
        setScope(start..<count, to: start..<count)
    }

    /// Staff for a post whose county-tier figure is `base`, scaled by the size's density, ±30 %, at least 1.
    mutating func staff(_ base: Int, tier: Tier, spread: Int = 0) -> Int {
        let tierFactor: Double = switch tier {
        case .province: 1.5
        case .city: 1.25
        default: 1.0
        }
        let u = Double(rng.below(1000)) / 1000
        let n = Double(base) * tierFactor * scale.factor(tier) * (0.7 + 0.6 * u) + Double(spread) * u * scale.factor(tier)
        return max(1, Int(n.rounded()))
    }

    /// Deputies of a department: fewer in sparse demos.
    mutating func deputies(_ base: Int, tier: Tier) -> Int {
        guard base > 0 else { return 0 }
        let f = scale.factor(tier)
        return rng.chance(Int(f * 850)) ? base : 0
    }
}
