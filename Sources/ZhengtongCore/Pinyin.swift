import Foundation

/// Pinyin for names, computed once when a person is written, never at search time.
///
/// ICU's `Han-Latin/Names` already reads most polyphonic surnames in their surname reading
/// (单 shan, 曾 zeng, 区 ou, 仇 qiu, 解 xie, 查 zha, 尉迟 yu chi); the table below fixes the ones it
/// still gets wrong and pins the rest so an ICU update cannot silently change search results.
public struct Pinyin: Sendable, Equatable {
    /// Syllables separated by single spaces: "zhang san feng".
    public var spaced: String
    /// Syllables run together: "zhangsanfeng".
    public var compact: String
    /// First letter of each syllable: "zsf".
    public var initials: String

    static let surnames: [(String, [String])] = [
        ("尉迟", ["yu", "chi"]), ("万俟", ["mo", "qi"]), ("长孙", ["zhang", "sun"]), ("单于", ["chan", "yu"]),
        ("单", ["shan"]), ("曾", ["zeng"]), ("区", ["ou"]), ("仇", ["qiu"]), ("解", ["xie"]), ("查", ["zha"]),
        ("朴", ["piao"]), ("缪", ["miao"]), ("覃", ["qin"]), ("翟", ["zhai"]), ("盖", ["ge"]), ("乐", ["yue"]),
        ("秘", ["bi"]), ("任", ["ren"]), ("沈", ["shen"]), ("重", ["chong"]), ("种", ["chong"]), ("华", ["hua"]),
        ("纪", ["ji"]), ("员", ["yun"]), ("繁", ["po"]), ("召", ["shao"]), ("宿", ["su"]),
    ]

    public init(name: String) {
        var syllables: [String] = []
        var rest = Substring(name)
        for (surname, reading) in Self.surnames where rest.hasPrefix(surname) {
            syllables = reading
            rest = rest.dropFirst(surname.count)
            break
        }
        let transform = syllables.isEmpty ? "Han-Latin/Names; Latin-ASCII; Lower" : "Han-Latin; Latin-ASCII; Lower"
        if !rest.isEmpty {
            let latin = String(rest).applyingTransform(StringTransform(transform), reverse: false) ?? String(rest)
            syllables += latin.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        }
        syllables = syllables.map { $0.lowercased() }.filter { !$0.isEmpty }
        spaced = syllables.joined(separator: " ")
        compact = syllables.joined()
        initials = String(syllables.compactMap(\.first))
    }

    /// Normalises a search term the way `compact` is stored: lower case, spaces and apostrophes removed.
    public static func normaliseQuery(_ q: String) -> String {
        String(q.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace && $0 != "'" })
    }
}

/// The n-grams a name is indexed under for substring search: every distinct character and every
/// distinct pair of adjacent characters. Any substring of two or more characters contains its first
/// pair, so a search looks up one gram and confirms the rest.
public enum NameGrams {
    public static func grams(_ name: String) -> [String] {
        let chars = Array(name.lowercased())
        var out: [String] = []
        var seen = Set<String>()
        for i in chars.indices {
            for g in [String(chars[i]), i + 1 < chars.count ? String(chars[i...i + 1]) : nil].compactMap({ $0 })
            where !g.allSatisfy(\.isWhitespace) && seen.insert(g).inserted {
                out.append(g)
            }
        }
        return out
    }

    /// The gram to look up for a search term, if it can use the index.
    public static func lookup(_ q: String) -> String? {
        let chars = Array(q.lowercased())
        guard !chars.isEmpty else { return nil }
        return chars.count == 1 ? String(chars[0]) : String(chars[0...1])
    }
}

/// Character pairs for full-text search over longer text (messages): lower-cased, whitespace-free.
public enum TextGrams {
    public static func bigrams(_ text: String) -> [String] {
        let chars = Array(text.lowercased()).filter { !$0.isWhitespace }
        guard chars.count >= 2 else { return chars.map(String.init) }
        var seen = Set<String>()
        var out: [String] = []
        for i in 0..<(chars.count - 1) {
            let g = String(chars[i...i + 1])
            if seen.insert(g).inserted { out.append(g) }
        }
        return out
    }
}
