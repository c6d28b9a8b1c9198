import Foundation

/// Zhejiang's five levels of divisions as read from `Resources/zhejiang-regions.json`, children kept in
/// document order (the order of the published division codes), which is what the generated codes follow.
struct RegionTree: Sendable {
    struct Township: Sendable {
        var name: String
        var villages: [String]
    }
    struct County: Sendable {
        var name: String
        var townships: [Township]
    }
    struct City: Sendable {
        var name: String
        var counties: [County]
    }

    var province: String
    var cities: [City]

    var regionCount: Int {
        1 + cities.reduce(0) { $0 + 1 + $1.counties.reduce(0) { $0 + 1 + $1.townships.reduce(0) { $0 + 1 + $1.villages.count } } }
    }

    /// Loaded once per process from the module's bundle.
    static let bundled: Result<RegionTree, DemoDataError> = {
        guard let url = Bundle.module.url(forResource: "zhejiang-regions", withExtension: "json", subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "zhejiang-regions", withExtension: "json")
        else { return .failure(.resourceMissing) }
        do {
            let data = try Data(contentsOf: url)
            return .success(try RegionTree(json: Array(data)))
        } catch let error as DemoDataError {
            return .failure(error)
        } catch {
            return .failure(.resourceMissing)
        }
    }()

    init(province: String, cities: [City]) {
        self.province = province
        self.cities = cities
    }

    /// Parses `{"浙江省": {"杭州市": {"桐庐县": {"富春江镇": ["…", …]}}}}`, keeping key order.
    init(json bytes: [UInt8]) throws(DemoDataError) {
        var scanner = OrderedJSONScanner(bytes)
        let root = try scanner.parseDocument()
        guard case .object(let top) = root, top.count == 1, case .object(let cities) = top[0].value else {
            throw .malformedRegions("expected one province object")
        }
        province = top[0].key
        self.cities = try cities.map { city throws(DemoDataError) -> City in
            guard case .object(let counties) = city.value else { throw .malformedRegions("city \(city.key)") }
            return City(name: city.key, counties: try counties.map { county throws(DemoDataError) -> County in
                guard case .object(let townships) = county.value else { throw .malformedRegions("county \(county.key)") }
                return County(name: county.key, townships: try townships.map { township throws(DemoDataError) -> Township in
                    guard case .strings(let villages) = township.value else {
                        throw .malformedRegions("township \(township.key)")
                    }
                    return Township(name: township.key, villages: villages)
                })
            })
        }
    }
}

public enum DemoDataError: Error, Sendable, Equatable, CustomStringConvertible {
    case resourceMissing
    case malformedRegions(String)

    public var description: String {
        switch self {
        case .resourceMissing: "the bundled zhejiang-regions.json could not be read"
        case .malformedRegions(let what): "zhejiang-regions.json is malformed: \(what)"
        }
    }
}

/// Just enough JSON for the regions file: objects (key order preserved), arrays of strings, strings.
/// `JSONSerialization` would lose the key order, and the order is what the division codes follow.
struct OrderedJSONScanner {
    indirect enum Value {
        case object([(key: String, value: Value)])
        case strings([String])
    }

    private let bytes: [UInt8]
    private var i = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        // Skip a UTF-8 byte-order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
    }

    mutating func parseDocument() throws(DemoDataError) -> Value {
        let v = try parseValue()
        skipSpace()
        guard i == bytes.count else { throw error("trailing characters") }
        return v
    }

    private func error(_ what: String) -> DemoDataError { .malformedRegions("\(what) at byte \(i)") }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ b: UInt8) throws(DemoDataError) {
        skipSpace()
        guard i < bytes.count, bytes[i] == b else { throw error("expected '\(Character(Unicode.Scalar(b)))'") }
        i += 1
    }

    private mutating func peek() -> UInt8? {
        skipSpace()
        return i < bytes.count ? bytes[i] : nil
    }

    private mutating func parseValue() throws(DemoDataError) -> Value {
        switch peek() {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        default: throw error("expected an object or an array")
        }
    }

    private mutating func parseObject() throws(DemoDataError) -> Value {
        try expect(UInt8(ascii: "{"))
        var members: [(key: String, value: Value)] = []
        if peek() == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            let key = try parseString()
            try expect(UInt8(ascii: ":"))
            members.append((key, try parseValue()))
            switch peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "}"): i += 1; return .object(members)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray() throws(DemoDataError) -> Value {
        try expect(UInt8(ascii: "["))
        var items: [String] = []
        if peek() == UInt8(ascii: "]") { i += 1; return .strings(items) }
        while true {
            items.append(try parseString())
            switch peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "]"): i += 1; return .strings(items)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    private mutating func parseString() throws(DemoDataError) -> String {
        try expect(UInt8(ascii: "\""))
        let start = i
        // Fast path: no escapes.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") { i += 1 }
        guard i < bytes.count else { throw error("unterminated string") }
        if bytes[i] == UInt8(ascii: "\"") {
            defer { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw error("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), i + 1 < bytes.count,
                       bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
                default: out.append(e) // \" \\ \/
                }
            default:
                out.append(b)
            }
        }
        throw error("unterminated string")
    }

    private mutating func hex4() throws(DemoDataError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw error("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            i += 1
            v <<= 4
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v |= UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v |= UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v |= UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("bad \\u escape")
            }
        }
        return v
    }
}

/// Division codes as integers: 33 CC KK TTT VVV (12 digits), grids VVV… GGG (15 digits).
enum RegionCode {
    static let province: UInt64 = 330_000_000_000

    static func city(_ c: Int) -> UInt64 { province + UInt64(c) * 100_000_000 }
    static func county(_ c: Int, _ k: Int) -> UInt64 { city(c) + UInt64(k) * 1_000_000 }
    static func township(_ c: Int, _ k: Int, _ t: Int) -> UInt64 { county(c, k) + UInt64(t) * 1000 }
    static func village(_ c: Int, _ k: Int, _ t: Int, _ v: Int) -> UInt64 { township(c, k, t) + UInt64(v) }
    static func grid(village: UInt64, _ g: Int) -> UInt64 { village * 1000 + UInt64(g) }

    /// Zero-padded decimal, without going through `String(format:)`.
    static func string(_ code: UInt64, digits: Int) -> String {
        var v = code
        return String(unsafeUninitializedCapacity: digits) { buf in
            for j in stride(from: digits - 1, through: 0, by: -1) {
                buf[j] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            return digits
        }
    }

    static func string12(_ code: UInt64) -> String { string(code, digits: 12) }
}

/// Chinese ordinals for grid names: 第一网格, 第十二网格, 第二十网格 …
enum ChineseNumber {
    private static let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]

    static func string(_ n: Int) -> String {
        precondition(n > 0 && n < 100)
        if n < 10 { return digits[n] }
        let tens = n / 10, ones = n % 10
        return (tens == 1 ? "" : digits[tens]) + "十" + (ones == 0 ? "" : digits[ones])
    }

    static func gridName(_ n: Int) -> String { n < gridNames.count ? gridNames[n] : "第" + string(n) + "网格" }

    /// `gridNames[n]` is the name of grid n (index 0 unused).
    static let gridNames: [String] = (0..<30).map { $0 == 0 ? "" : "第" + string($0) + "网格" }
}
