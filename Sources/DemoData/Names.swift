import ZhengtongCore

/// A surname or a given name with its pinyin, computed once per process.
struct NamePart: Sendable {
    var text: String
    var spaced: String
    var compact: String
    var initials: String
}

/// Weighted surnames and a fixed pool of given names, each with pinyin computed once through
/// `ZhengtongCore.Pinyin`, so that generating a person concatenates strings instead of running an ICU
/// transform (which costs tens of microseconds a name, far too much for 1.34 million people).
///
/// `Pinyin(name:)` reads the surname (its table, or ICU's `Han-Latin/Names`) and transliterates the rest
/// with `Han-Latin`; so the pinyin of surname + given name is the surname's pinyin followed by the given
/// name's `Han-Latin` reading. The given name's reading is taken from `Pinyin(name: "单" + given)` (a
/// table surname, so the rest goes through plain `Han-Latin`) minus the leading "shan". No given name
/// starts with 于 (单于 would be read as the compound surname chanyu). The pool is fixed (it does not depend
/// on the demo's seed); all 288,000 surname × given-name combinations were checked once against
/// `Pinyin(name:)` with identical results, and the tests recheck a sample of generated people.
struct NamePools: Sendable {
    let surnames: [NamePart]
    /// Flat weighted lookup: `surnames[surnameTable[rng.below(surnameTable.count)]]`.
    let surnameTable: [UInt8]
    let givenNames: [NamePart]

    static let shared = NamePools()

    /// Per ten thousand, roughly the national frequencies with Zhejiang's 陈 林 叶 金 沈 俞 楼 应 raised,
    /// plus the polyphonic (单 曾 区 仇 解 查 朴 缪 翟 覃) and compound (欧阳 司马 诸葛 尉迟 上官) surnames.
    static let surnameWeights: [(String, Int)] = [
        ("王", 725), ("李", 700), ("张", 680), ("刘", 520), ("陈", 620), ("杨", 300), ("黄", 224), ("赵", 229),
        ("吴", 260), ("周", 200), ("徐", 210), ("孙", 154), ("马", 140), ("朱", 150), ("胡", 145), ("郭", 110),
        ("何", 109), ("林", 160), ("高", 100), ("罗", 85), ("郑", 105), ("梁", 80), ("谢", 73), ("宋", 67),
        ("唐", 69), ("许", 70), ("韩", 60), ("冯", 58), ("邓", 50), ("曹", 52), ("彭", 50), ("曾", 42),
        ("肖", 45), ("田", 45), ("董", 48), ("袁", 44), ("潘", 55), ("于", 38), ("蒋", 55), ("蔡", 45),
        ("余", 48), ("杜", 39), ("叶", 70), ("程", 38), ("苏", 36), ("魏", 35), ("吕", 38), ("丁", 36),
        ("任", 33), ("沈", 60), ("姚", 38), ("卢", 31), ("姜", 30), ("崔", 25), ("钟", 29), ("谭", 25),
        ("陆", 35), ("汪", 35), ("范", 28), ("金", 50), ("石", 25), ("廖", 22), ("贾", 22), ("夏", 25),
        ("韦", 15), ("付", 20), ("方", 38), ("白", 18), ("邹", 21), ("孟", 18), ("熊", 18), ("秦", 18),
        ("邱", 22), ("江", 22), ("尹", 17), ("薛", 17), ("闫", 14), ("段", 15), ("雷", 15), ("侯", 15),
        ("龙", 12), ("史", 15), ("陶", 18), ("黎", 12), ("贺", 14), ("顾", 20), ("毛", 22), ("郝", 12),
        ("龚", 15), ("邵", 22), ("万", 13), ("钱", 22), ("严", 16), ("武", 10), ("戴", 16), ("莫", 10),
        ("孔", 11), ("向", 9), ("汤", 14), ("俞", 25), ("应", 15), ("楼", 14), ("童", 12), ("章", 20),
        ("竺", 3), ("裘", 4), ("单", 6), ("区", 2), ("仇", 3), ("解", 3), ("查", 4), ("朴", 1), ("缪", 4),
        ("翟", 3), ("覃", 2), ("欧阳", 5), ("司马", 2), ("诸葛", 2), ("尉迟", 1), ("上官", 2),
    ]

    /// Characters for given names. Two-character names take both characters from one gender's pool plus
    /// the shared one; about a fifth of names have a single character.
    static let maleChars = Array("伟强磊军勇杰涛明超刚平辉建国斌宇浩凯鹏飞鑫波俊峰亮东林华志永海春晓天振鸿博宏成安祥福兴利泽昊然轩睿航晨阳健毅骏豪彬坤炜锋江山清正德荣庆新学立文武卫忠勤良栋琦铭哲诚瑞杭达")
    static let femaleChars = Array("芳娜敏静丽艳娟秀霞英玉萍红琳雪欣怡佳婷颖倩晶慧丹燕蕾梅兰凤洁琴云莉妍瑶璐悦诗语彤婧琪欢雯菲露晴雅楠蓉薇珊媛岚馨月青美莹燕芬素")
    static let sharedChars = Array("子梓一家思雨晓文嘉安宁心若可星亦逸之佳涵宜")

    private init() {
        var parts: [NamePart] = []
        var table: [UInt8] = []
        for (index, (surname, weight)) in Self.surnameWeights.enumerated() {
            let p = Pinyin(name: surname)
            parts.append(NamePart(text: surname, spaced: p.spaced, compact: p.compact, initials: p.initials))
            table.append(contentsOf: repeatElement(UInt8(index), count: weight))
        }
        surnames = parts
        surnameTable = table

        // A fixed pool, the same whatever the demo's seed, so its pinyin is computed once per process.
        var rng = SplitMix64(seed: 0x5A48_454E_4754_4F4E)
        var seen = Set<String>()
        var givens: [NamePart] = []
        let target = 2400
        while givens.count < target {
            let female = rng.chance(480)
            let pool = (female ? Self.femaleChars : Self.maleChars)
            let name: String
            if rng.chance(200) {
                name = String(pool[rng.below(pool.count)])
            } else {
                let first = rng.chance(250) ? Self.sharedChars[rng.below(Self.sharedChars.count)] : pool[rng.below(pool.count)]
                var second = pool[rng.below(pool.count)]
                if second == first, rng.chance(700) { second = pool[rng.below(pool.count)] }
                name = String(first) + String(second)
            }
            guard !name.hasPrefix("于"), seen.insert(name).inserted else { continue }
            let p = Pinyin(name: "单" + name)
            var syllables = p.spaced.split(separator: " ").map(String.init)
            if syllables.first == "shan" { syllables.removeFirst() }
            givens.append(NamePart(text: name, spaced: syllables.joined(separator: " "), compact: syllables.joined(),
                                   initials: String(syllables.compactMap(\.first))))
        }
        givenNames = givens
    }
}
