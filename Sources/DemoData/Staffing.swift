import Directory
import ZhengtongCore

/// Unique, deterministic mobile numbers: the person's sequence number goes through a bijection of
/// `0 ..< prefixes × 10⁸` (multiplication by a unit modulo the range, plus an offset), so numbers look
/// scattered but never repeat.
struct MobileNumbers: Sendable {
    static let prefixes: [UInt64] = [
        130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
        170, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 193, 195, 198, 199,
    ]
    static let range = UInt64(prefixes.count) * 100_000_000
    /// A prime that divides neither 2, 5 nor the number of prefixes, hence a unit modulo `range`.
    static let multiplier: UInt64 = 2_654_435_761
    let offset: UInt64

    init(seed: UInt64) { offset = Mix.hash(seed, 0x4D4F_4249_4C45) % Self.range }

    func number(_ sequence: Int) -> String {
        let x = (UInt64(sequence) % Self.range * Self.multiplier % Self.range + offset) % Self.range
        let prefix = Self.prefixes[Int(x / 100_000_000)]
        var rest = x % 100_000_000
        var p = prefix
        return String(unsafeUninitializedCapacity: 11) { buf in
            for j in stride(from: 10, through: 3, by: -1) {
                buf[j] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            for j in stride(from: 2, through: 0, by: -1) {
                buf[j] = UInt8(ascii: "0") + UInt8(p % 10)
                p /= 10
            }
            return 11
        }
    }
}

/// The people of one block and their positions.
struct StaffedBlock {
    var people: [Person] = []
    var positions: [Position] = []
    /// Well-known username → person id.
    var accounts: [String: String] = [:]
}

/// Turns a block's planned posts into people. Person numbers (for usernames and mobiles) run on across
/// blocks; everything else comes from a PRNG seeded by the block.
struct Staffer {
    let names = NamePools.shared
    let mobiles: MobileNumbers
    let seed: UInt64
    /// The next person number, 1-based, across the whole run.
    var sequence = 1

    init(seed: UInt64) {
        self.seed = seed
        mobiles = MobileNumbers(seed: seed)
    }

    static let prototype = Person(id: "", name: "", username: "")
    static let secondTitles = ["联络员", "专班成员", "挂职干部"]
    static let emailDomain = "@zj.gov.cn"

    mutating func staff(_ plan: BlockPlan, block: Block) -> StaffedBlock {
        var rng = SplitMix64(seed, 0x5045_4F50_4C45, UInt64(block.number))
        var out = StaffedBlock()
        out.people.reserveCapacity(plan.peopleCount)
        out.positions.reserveCapacity(plan.peopleCount + plan.peopleCount / 16)
        let idBase = block.number << 18
        var localPerson = 0
        var localPosition = 0
        let surnameCount = names.surnameTable.count
        let givenCount = names.givenNames.count

        for (orgIndex, planned) in plan.orgs.enumerated() {
            let emailPermille = switch planned.tier {
            case .village: 60
            case .township: 300
            default: 550
            }
            var order = 1
            for slot in planned.slots {
                for _ in 0..<slot.count {
                    let surname = names.surnames[Int(names.surnameTable[rng.below(surnameCount)])]
                    let given = names.givenNames[rng.below(givenCount)]
                    let number = sequence
                    sequence += 1
                    let personId = ID.deterministic(namespace: DemoNamespace.person, index: idBase | localPerson)
                    localPerson += 1
                    let username = slot.account ?? (surname.compact + given.compact + String(number))
                    let rank: String? = switch slot.rank {
                    case .none: nil
                    case .fixed(let r): r
                    case .oneOf(let rs): rs[rng.below(rs.count)]
                    case .staff(let tier):
                        Templates.staffRanks[tier.rawValue].isEmpty ? nil
                            : Templates.staffRanks[tier.rawValue][rng.below(Templates.staffRanks[tier.rawValue].count)]
                    }
                    let email = rng.chance(emailPermille) ? username + Self.emailDomain : nil
                    let hideMobile = rng.chance(20)
                    // Every field is set on a copy of a prototype: `Person.init` would run `Pinyin(name:)`,
                    // which costs more than everything else here; the pinyin was computed once per surname and
                    // per given name instead (see `NamePools`, and the test that checks it against `Pinyin`).
                    var person = Self.prototype
                    person.id = personId
                    person.name = surname.text + given.text
                    person.pinyin = surname.spaced + " " + given.spaced
                    person.pinyinCompact = surname.compact + given.compact
                    person.initials = surname.initials + given.initials
                    person.username = username
                    person.mobile = mobiles.number(number)
                    person.email = email
                    person.rank = rank
                    person.status = .active
                    person.seniorMode = slot.senior
                    person.hideMobile = hideMobile
                    out.people.append(person)
                    if let account = slot.account { out.accounts[account] = personId }

                    var roles: [String] = []
                    if slot.mayHaveRole, rng.chance(60) { roles = [Templates.roles[rng.below(Templates.roles.count)]] }
                    out.positions.append(Position(
                        id: ID.deterministic(namespace: DemoNamespace.position, index: idBase | localPosition),
                        personId: personId, orgId: planned.org.id, title: slot.title, leader: slot.leader,
                        roles: roles, main: true, order: order))
                    localPosition += 1
                    order += 1

                    // About one person in twenty holds a second post elsewhere in their scope.
                    if slot.account == nil, rng.chance(50), planned.scope.count > 1 {
                        // County staff mostly serve elsewhere in the county's own bureaus, sometimes down in
                        // a township or village (驻村指导员, 网格指导员).
                        var scope = planned.scope
                        if planned.tier == .county, orgIndex < plan.levelEnd, plan.levelEnd > 1, rng.chance(700) {
                            scope = 0..<plan.levelEnd
                        }
                        var target = scope.lowerBound + rng.below(scope.count - 1)
                        if target >= orgIndex { target += 1 }
                        let other = plan.orgs[target]
                        let title = if other.isGrid {
                            "网格指导员"
                        } else if other.isVillageUnit {
                            planned.tier == .village ? "兼职委员" : "驻村指导员"
                        } else {
                            Self.secondTitles[rng.below(Self.secondTitles.count)]
                        }
                        out.positions.append(Position(
                            id: ID.deterministic(namespace: DemoNamespace.position, index: idBase | localPosition),
                            personId: personId, orgId: other.org.id, title: title, leader: false, roles: [],
                            main: false, order: 900 + rng.below(100)))
                        localPosition += 1
                    }
                }
            }
        }
        return out
    }
}
