import Foundation

/// The administrative tier an org is planned at. Regions have six levels; orgs exist at five (grids are
/// departments of a village's committee).
enum Tier: Int, Sendable {
    case province, city, county, township, village
}

/// An internal department of a unit. In `name`, `*` becomes the tier's section suffix (处 at province and
/// city, 科 at county), `#` the tier's brigade suffix (总队 / 支队 / 大队), and `{t}` a township's short name.
struct DeptSpec: Sendable {
    var name: String
    /// Staff (not counting the head and deputies) at county tier, before the size's density is applied.
    var staff: Int
    var deputies: Int = 1
    var police = false
    var hidden = false
    var selfOnly = false
    /// Permille chance that a given unit has this department.
    var chance = 1000
    var children: [DeptSpec] = []
}

private func dept(_ name: String, _ staff: Int, deputies: Int = 1, police: Bool = false, hidden: Bool = false,
                  selfOnly: Bool = false, chance: Int = 1000, _ children: [DeptSpec] = []) -> DeptSpec {
    DeptSpec(name: name, staff: staff, deputies: deputies, police: police, hidden: hidden, selfOnly: selfOnly,
             chance: chance, children: children)
}

private func police(_ name: String, _ staff: Int, hidden: Bool = false, chance: Int = 1000,
                    _ children: [DeptSpec] = []) -> DeptSpec {
    DeptSpec(name: name, staff: staff, deputies: 1, police: true, hidden: hidden, selfOnly: false, chance: chance,
             children: children.map { var c = $0; c.police = true; return c })
}

enum UnitRole: Sendable {
    case ordinary, governmentOffice, marketRegulation
}

/// A government unit that exists at province, city and county tier (or some of them), named after its
/// region: `names` holds the suffix per tier (nil: not at that tier).
struct UnitSpec: Sendable {
    var role: UnitRole = .ordinary
    var lines: [String]
    var province: String?
    var city: String?
    var county: String?
    /// Party organs are named 中共 + region + suffix (中共桐庐县委办公室).
    var party = false
    /// The county branch of the city's environment bureau: 杭州市生态环境局桐庐分局.
    var cityBranch = false
    var deputies: ClosedRange<Int> = 2...4
    var depts: [DeptSpec]
    /// At county tier only: one department per township (派出所, 司法所 …).
    var perTownship: DeptSpec?

    func suffix(_ tier: Tier) -> String? {
        switch tier {
        case .province: province
        case .city: city
        case .county: county
        default: nil
        }
    }
}

enum Templates {
    static let units: [UnitSpec] = [
        UnitSpec(lines: ["党委办"], province: "委办公厅", city: "委办公室", county: "委办公室", party: true, deputies: 2...4, depts: [
            dept("秘书*", 5), dept("综合*", 4), dept("督查*", 4), dept("机要*", 3), dept("信息*", 3),
            dept("保密*", 2, chance: 600),
        ]),
        UnitSpec(lines: ["纪检监察"], province: "纪律检查委员会", city: "纪律检查委员会", county: "纪律检查委员会", party: true,
                 deputies: 2...4, depts: [
            dept("办公室", 4), dept("党风政风监督室", 4), dept("第一纪检监察室", 5), dept("第二纪检监察室", 5),
            dept("第三纪检监察室", 4, chance: 700), dept("审查调查室", 6, hidden: true), dept("案件审理室", 4),
            dept("信访室", 3), dept("派驻第一纪检监察组", 3, selfOnly: true), dept("派驻第二纪检监察组", 3, selfOnly: true),
        ]),
        UnitSpec(lines: ["组织"], province: "委组织部", city: "委组织部", county: "委组织部", party: true, deputies: 2...3, depts: [
            dept("办公室", 4), dept("干部*", 6), dept("组织*", 5), dept("公务员管理*", 4), dept("人才工作*", 4),
            dept("干部监督*", 3, chance: 700),
        ]),
        UnitSpec(lines: ["宣传"], province: "委宣传部", city: "委宣传部", county: "委宣传部", party: true, deputies: 2...3, depts: [
            dept("办公室", 3), dept("理论*", 3), dept("新闻*", 4), dept("网络信息*", 4), dept("精神文明建设*", 3),
        ]),
        UnitSpec(role: .governmentOffice, lines: ["政府办公"], province: "人民政府办公厅", city: "人民政府办公室",
                 county: "人民政府办公室", deputies: 3...5, depts: [
            dept("秘书*", 6), dept("综合*", 5), dept("督查*", 5), dept("信息*", 4), dept("政务公开*", 3),
            dept("人事*", 3), dept("机要*", 3, chance: 500),
        ]),
        UnitSpec(lines: ["发展改革"], province: "发展和改革委员会", city: "发展和改革委员会", county: "发展和改革局", depts: [
            dept("办公室", 5), dept("综合规划*", 5), dept("投资*", 5), dept("价格*", 4), dept("产业发展*", 4),
            dept("重点项目*", 4), dept("能源*", 3), dept("社会发展*", 3), dept("区域协调*", 3, chance: 500),
        ]),
        UnitSpec(lines: ["公安"], province: "公安厅", city: "公安局", county: "公安局", deputies: 3...5, depts: [
            police("办公室", 8, [police("指挥中心", 12)]), police("政治处", 6),
            police("治安管理#", 12, [police("第一中队", 8), police("第二中队", 8)]),
            police("刑事侦查#", 18, [police("第一中队", 10), police("第二中队", 10), police("技术中队", 8)]),
            police("经济犯罪侦查#", 10), police("交通警察#", 22, [police("第一中队", 10), police("第二中队", 10), police("事故处理中队", 8)]),
            police("国内安全保卫#", 8, hidden: true), police("技术侦察#", 5, hidden: true, chance: 500),
            police("网络安全保卫#", 8), police("出入境管理#", 6), police("特警#", 15), police("法制#", 6),
            police("监所管理#", 8, chance: 700),
        ], perTownship: police("{t}派出所", 20)),
        UnitSpec(lines: ["民政"], province: "民政厅", city: "民政局", county: "民政局", depts: [
            dept("办公室", 4), dept("社会救助*", 4), dept("养老服务*", 4), dept("社会事务*", 3), dept("区划地名*", 3),
            dept("社会组织管理*", 3), dept("慈善事业促进和社会工作*", 3), dept("基层政权建设和社区治理*", 3, chance: 600),
        ]),
        UnitSpec(lines: ["财政"], province: "财政厅", city: "财政局", county: "财政局", depts: [
            dept("办公室", 5), dept("预算*", 5), dept("国库*", 4), dept("税政*", 3), dept("综合*", 3),
            dept("农业农村*", 3), dept("社会保障*", 3), dept("经济建设*", 3), dept("行政政法*", 3), dept("会计*", 3),
            dept("政府采购监管*", 3), dept("财政监督*", 3), dept("国有资产管理*", 3, chance: 600),
        ]),
        UnitSpec(lines: ["人力社保"], province: "人力资源和社会保障厅", city: "人力资源和社会保障局", county: "人力资源和社会保障局", depts: [
            dept("办公室", 4), dept("就业促进和失业保险*", 4), dept("人才开发和市场*", 3), dept("劳动关系*", 3),
            dept("工资福利*", 3), dept("养老保险*", 3), dept("事业单位人事管理*", 3), dept("劳动保障监察#", 6),
        ]),
        UnitSpec(lines: ["自然资源"], province: "自然资源厅", city: "自然资源和规划局", county: "自然资源和规划局", depts: [
            dept("办公室", 4), dept("国土空间规划*", 5), dept("耕地保护*", 4), dept("自然资源确权登记*", 4),
            dept("测绘地理信息*", 3), dept("执法监察#", 6), dept("矿产资源管理*", 3, chance: 500),
        ], perTownship: dept("{t}自然资源所", 3, deputies: 0)),
        UnitSpec(lines: ["生态环境"], province: "生态环境厅", city: "生态环境局", county: "生态环境局", cityBranch: true, depts: [
            dept("办公室", 4), dept("综合*", 3), dept("环境影响评价*", 3), dept("大气生态环境*", 3),
            dept("水生态环境*", 3), dept("土壤生态环境*", 3), dept("生态环境保护综合行政执法队", 8),
            dept("生态环境监测站", 6),
        ]),
        UnitSpec(lines: ["住房城乡建设"], province: "住房和城乡建设厅", city: "住房和城乡建设局", county: "住房和城乡建设局", depts: [
            dept("办公室", 4), dept("建筑市场监管*", 4), dept("房地产市场监管*", 4), dept("城市建设*", 3),
            dept("村镇建设*", 3), dept("住房保障*", 3), dept("建设工程质量安全监督站", 8),
            dept("派驻纪检监察组", 3, selfOnly: true, chance: 400),
        ]),
        UnitSpec(lines: ["交通运输"], province: "交通运输厅", city: "交通运输局", county: "交通运输局", depts: [
            dept("办公室", 4), dept("综合规划*", 4), dept("公路管理*", 4), dept("运输管理*", 4), dept("安全监督*", 3),
            dept("港航管理*", 3, chance: 600),
            dept("交通运输行政执法队", 8, [dept("第一中队", 6), dept("第二中队", 6)]),
        ]),
        UnitSpec(lines: ["农业农村"], province: "农业农村厅", city: "农业农村局", county: "农业农村局", depts: [
            dept("办公室", 4), dept("乡村振兴*", 4), dept("农村经营管理*", 4), dept("种植业*", 3), dept("畜牧兽医*", 3),
            dept("渔业*", 3, chance: 600), dept("农田建设管理*", 3), dept("农业技术推广中心", 8),
        ]),
        UnitSpec(lines: ["卫生健康"], province: "卫生健康委员会", city: "卫生健康委员会", county: "卫生健康局", depts: [
            dept("办公室", 4), dept("医政医管*", 4), dept("基层卫生健康*", 3), dept("疾病预防控制*", 4),
            dept("妇幼健康*", 3), dept("老龄健康*", 3), dept("综合监督*", 3),
            dept("卫生监督所", 4, [dept("医疗卫生监督科", 5), dept("公共卫生监督科", 5)]),
            dept("派驻纪检监察组", 3, selfOnly: true, chance: 500),
        ]),
        UnitSpec(lines: ["应急管理"], province: "应急管理厅", city: "应急管理局", county: "应急管理局", depts: [
            dept("办公室", 4), dept("应急指挥*", 4), dept("风险监测和综合减灾*", 3), dept("防汛防台抗旱*", 4),
            dept("安全生产综合协调*", 3), dept("危险化学品安全监督管理*", 3), dept("工贸行业安全监督管理*", 3),
            dept("应急管理行政执法队", 8),
        ]),
        UnitSpec(role: .marketRegulation, lines: ["市场监管"], province: "市场监督管理局", city: "市场监督管理局",
                 county: "市场监督管理局", deputies: 3...4, depts: [
            dept("办公室", 5), dept("政策法规*", 4), dept("登记注册*", 4), dept("信用监督管理*", 3),
            dept("价格监督检查和反不正当竞争*", 3), dept("网络交易监督管理*", 3), dept("质量发展*", 3),
            dept("特种设备安全监察*", 4), dept("食品安全协调*", 3), dept("食品生产监督管理*", 3),
            dept("药品化妆品医疗器械监督管理*", 3), dept("知识产权*", 3),
            dept("执法稽查#", 8, [dept("第一中队", 6), dept("第二中队", 6)]),
            dept("派驻纪检监察组", 3, selfOnly: true),
        ]),
        UnitSpec(lines: ["医疗保障"], province: "医疗保障局", city: "医疗保障局", county: "医疗保障局", deputies: 2...3, depts: [
            dept("办公室", 3), dept("待遇保障*", 3), dept("医药服务管理*", 3), dept("基金监管*", 3),
            dept("医疗保障服务中心", 6),
        ]),
        UnitSpec(lines: ["大数据"], province: "大数据发展管理局", city: "大数据发展管理局", county: "大数据发展管理局",
                 deputies: 1...3, depts: [
            dept("办公室", 3), dept("数据资源*", 3), dept("应用推进*", 3), dept("基础设施*", 3), dept("数字政府建设*", 3),
        ]),
        UnitSpec(lines: ["教育"], province: "教育厅", city: "教育局", county: "教育局", depts: [
            dept("办公室", 4), dept("基础教育*", 4), dept("职业教育与成人教育*", 3), dept("人事*", 3),
            dept("计划财务*", 3), dept("安全稳定*", 3), dept("教育督导室", 3), dept("教育研究室", 6),
            dept("派驻纪检监察组", 3, selfOnly: true, chance: 500),
        ]),
        UnitSpec(lines: ["司法行政"], province: "司法厅", city: "司法局", county: "司法局", depts: [
            dept("办公室", 3), dept("法治调研*", 3), dept("行政复议*", 3), dept("律师公证管理*", 3),
            dept("人民参与和促进法治*", 3), dept("社区矫正*", 3),
        ], perTownship: dept("{t}司法所", 3, deputies: 0)),
        UnitSpec(lines: ["综合执法"], province: nil, city: "综合行政执法局", county: "综合行政执法局", deputies: 2...4, depts: [
            dept("办公室", 4), dept("法制*", 3), dept("执法督察*", 3), dept("市容环境卫生管理*", 4), dept("指挥中心", 6),
        ], perTownship: dept("{t}中队", 6)),
        UnitSpec(lines: ["商务"], province: "商务厅", city: "商务局", county: "商务局", depts: [
            dept("办公室", 3), dept("对外贸易*", 3), dept("外资*", 3), dept("市场体系建设*", 3), dept("电子商务*", 3),
        ]),
        UnitSpec(lines: ["文化旅游"], province: "文化和旅游厅", city: "文化广电旅游局", county: "文化和广电旅游体育局", depts: [
            dept("办公室", 3), dept("文化*", 3), dept("旅游*", 3), dept("体育*", 3, chance: 700), dept("广播电视*", 3),
            dept("文物*", 3, chance: 600),
        ]),
        UnitSpec(lines: ["水利"], province: "水利厅", city: "水利局", county: "水利局", depts: [
            dept("办公室", 3), dept("规划计划*", 3), dept("水资源管理*", 3), dept("河湖管理*", 3),
            dept("水旱灾害防御*", 4), dept("农村水利*", 3),
        ]),
        UnitSpec(lines: ["统计"], province: "统计局", city: "统计局", county: "统计局", deputies: 1...3, depts: [
            dept("办公室", 3), dept("综合*", 3), dept("国民经济核算*", 3), dept("工业交通统计*", 3), dept("社会统计*", 3),
        ]),
        UnitSpec(lines: ["审计"], province: "审计厅", city: "审计局", county: "审计局", deputies: 1...3, depts: [
            dept("办公室", 3), dept("财政审计*", 3), dept("经济责任审计*", 4), dept("固定资产投资审计*", 3), dept("法规*", 2),
        ]),
        UnitSpec(lines: ["退役军人"], province: "退役军人事务厅", city: "退役军人事务局", county: "退役军人事务局", deputies: 1...3, depts: [
            dept("办公室", 3), dept("移交安置*", 3), dept("褒扬纪念*", 2), dept("拥军优抚*", 3), dept("退役军人服务中心", 4),
        ]),
        UnitSpec(lines: ["科技"], province: "科学技术厅", city: "科学技术局", county: "科学技术局", deputies: 1...3, depts: [
            dept("办公室", 3), dept("高新技术*", 3), dept("农村科技*", 2), dept("科技合作*", 2),
        ]),
        UnitSpec(lines: ["经济信息化"], province: "经济和信息化厅", city: "经济和信息化局", county: "经济和信息化局", depts: [
            dept("办公室", 3), dept("运行监测协调*", 3), dept("产业发展*", 3), dept("技术创新*", 3), dept("中小企业*", 3),
            dept("数字经济*", 3),
        ]),
        UnitSpec(lines: ["信访"], province: "信访局", city: "信访局", county: "信访局", deputies: 1...3, depts: [
            dept("办公室", 3), dept("来访接待*", 4), dept("网络信访*", 3), dept("督查*", 3),
        ]),
    ]

    /// Offices of a township's government (镇/乡) or sub-district office (街道).
    static func townshipOffices(street: Bool) -> [DeptSpec] {
        var offices = [
            dept("党政办公室", 6), dept("党建工作办公室", 4), dept("综合治理办公室", 5), dept("经济发展办公室", 5),
            dept("社会事务办公室", 5), dept("综合信息指挥室", 4), dept("应急管理站", 4), dept("市场监管所", 5),
            dept("财政所", 4), dept("便民服务中心", 6, [dept("综合受理窗口", 4)]),
            dept("退役军人服务站", 2, deputies: 0), dept("纪检监察办公室", 3, selfOnly: true, chance: 300),
        ]
        if street {
            offices.append(dept("城市管理办公室", 5))
            offices.append(dept("社区建设办公室", 4))
        } else {
            offices.append(dept("农业农村办公室", 5))
            offices.append(dept("村镇建设办公室", 4))
            offices.append(dept("文化站", 2, deputies: 0, chance: 600))
        }
        return offices
    }

    /// Lines for township offices that belong to one.
    static func townshipLines(_ office: String) -> [String] {
        switch office {
        case "应急管理站": ["应急管理"]
        case "市场监管所": ["市场监管"]
        case "财政所": ["财政"]
        case "退役军人服务站": ["退役军人"]
        case "综合治理办公室": ["政法"]
        case "农业农村办公室": ["农业农村"]
        case "村镇建设办公室": ["住房城乡建设"]
        case "城市管理办公室": ["综合执法"]
        case "纪检监察办公室": ["纪检监察"]
        default: []
        }
    }

    /// A department's head and deputy titles, from the end of its name.
    static func headTitles(_ name: String) -> (head: String, deputy: String) {
        if name.hasSuffix("总队") { return ("总队长", "副总队长") }
        if name.hasSuffix("支队") { return ("支队长", "副支队长") }
        if name.hasSuffix("大队") { return ("大队长", "副大队长") }
        if name.hasSuffix("中队") { return ("中队长", "副中队长") }
        if name.hasSuffix("队") { return ("队长", "副队长") }
        if name.hasSuffix("处") { return ("处长", "副处长") }
        if name.hasSuffix("科") { return ("科长", "副科长") }
        if name.hasSuffix("所") { return ("所长", "副所长") }
        if name.hasSuffix("站") { return ("站长", "副站长") }
        if name.hasSuffix("组") { return ("组长", "副组长") }
        if name.hasSuffix("部") { return ("部长", "副部长") }
        if name.hasSuffix("厅") && !name.hasSuffix("办公厅") { return ("厅长", "副厅长") }
        if name.hasSuffix("局") { return ("局长", "副局长") }
        if name.hasSuffix("纪律检查委员会") { return ("书记", "副书记") }
        return ("主任", "副主任")
    }

    /// A staff member's title in a department.
    static func staffTitle(_ name: String, police: Bool) -> String {
        if police { return "民警" }
        if name.hasSuffix("队") { return "执法队员" }
        if name.hasSuffix("中心") || name.hasSuffix("站") || name.hasSuffix("所") || name.hasSuffix("窗口") { return "工作人员" }
        return "科员"
    }

    static func expand(_ name: String, tier: Tier) -> String {
        guard name.utf8.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "#") }) else { return name }
        var out = ""
        for ch in name {
            switch ch {
            case "*": out += tier == .county ? "科" : "处"
            case "#": out += tier == .province ? "总队" : tier == .city ? "支队" : "大队"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Templates with names and titles worked out once per tier, so planning a block (done twice per
    /// generation) only concatenates region names.
    static let resolvedUnits: [[ResolvedUnit]] = [Tier.province, .city, .county].map { tier in
        units.compactMap { spec in
            guard let suffix = spec.suffix(tier) else { return nil }
            return ResolvedUnit(spec: spec, suffix: suffix, depts: spec.depts.map { ResolvedDept($0, tier: tier) },
                                perTownship: spec.perTownship.map { ResolvedDept($0, tier: tier) })
        }
    }

    static let resolvedTownshipOffices: [ResolvedDept] = townshipOffices(street: false).map {
        ResolvedDept($0, tier: .township, lines: townshipLines($0.name))
    }
    static let resolvedStreetOffices: [ResolvedDept] = townshipOffices(street: true).map {
        ResolvedDept($0, tier: .township, lines: townshipLines($0.name))
    }

    /// Roles a few people carry besides their title.
    static let roles = ["信息员", "联络员", "文书", "保密员", "统计员", "宣传员", "安全员"]

    /// Civil-servant ranks for ordinary staff, indexed by tier, each a flat lookup of 100 (none for villages).
    static let staffRanks: [[String]] = [Tier.province, .city, .county, .township, .village].map { staffRankTables[$0] ?? [] }

    private static let staffRankTables: [Tier: [String]] = [
        .province: table([("一级调研员", 3), ("二级调研员", 5), ("三级调研员", 7), ("四级调研员", 9), ("一级主任科员", 12),
                          ("二级主任科员", 14), ("三级主任科员", 14), ("四级主任科员", 14), ("一级科员", 14), ("二级科员", 8)]),
        .city: table([("二级调研员", 2), ("三级调研员", 4), ("四级调研员", 6), ("一级主任科员", 10), ("二级主任科员", 13),
                      ("三级主任科员", 15), ("四级主任科员", 15), ("一级科员", 22), ("二级科员", 13)]),
        .county: table([("四级调研员", 2), ("一级主任科员", 6), ("二级主任科员", 10), ("三级主任科员", 14),
                        ("四级主任科员", 18), ("一级科员", 30), ("二级科员", 20)]),
        .township: table([("一级主任科员", 3), ("二级主任科员", 7), ("三级主任科员", 12), ("四级主任科员", 18),
                          ("一级科员", 35), ("二级科员", 25)]),
    ]

    /// Ranks of department heads and deputies below the leadership posts (county and township tiers).
    static let sectionHeadRanks: [Tier: (head: [String], deputy: [String])] = [
        .county: (["四级调研员", "一级主任科员", "一级主任科员", "二级主任科员"], ["二级主任科员", "三级主任科员", "四级主任科员"]),
        .township: (["一级主任科员", "二级主任科员", "三级主任科员"], ["三级主任科员", "四级主任科员", "一级科员"]),
    ]

    private static func table(_ weights: [(String, Int)]) -> [String] {
        weights.flatMap { repeatElement($0.0, count: $0.1) }
    }
}

/// A department template with its tier's name and titles. A per-township template keeps in `name` only
/// what follows `{t}`: the planner prefixes the township's short name.
struct ResolvedDept: Sendable {
    var spec: DeptSpec
    var name: String
    var perTownship: Bool
    var head: String
    var deputy: String
    var staffTitle: String
    var lines: [String]?
    var children: [ResolvedDept]

    init(_ spec: DeptSpec, tier: Tier, lines: [String]? = nil) {
        self.spec = spec
        var name = Templates.expand(spec.name, tier: tier)
        perTownship = name.hasPrefix("{t}")
        if perTownship { name = String(name.dropFirst(3)) }
        self.name = name
        (head, deputy) = Templates.headTitles(name)
        staffTitle = Templates.staffTitle(name, police: spec.police)
        self.lines = lines
        children = spec.children.map { ResolvedDept($0, tier: tier, lines: lines) }
    }
}

struct ResolvedUnit: Sendable {
    var spec: UnitSpec
    var suffix: String
    var depts: [ResolvedDept]
    var perTownship: ResolvedDept?
}
