/// RFC 4515 string filters to their RFC 4511 BER form, for what a query mix writes: `&`, `|`, `!`,
/// equality, approximate, `>=`, `<=`, presence and substrings, with `\XX` escapes in values (which are
/// UTF-8, e.g. Chinese names). Extensible matches (`:=`) are not needed and are refused.
struct LDAPFilter {
    enum ParseError: Error, CustomStringConvertible {
        case syntax(String, at: Int)
        case unsupported(String)

        var description: String {
            switch self {
            case .syntax(let what, let at): "LDAP filter: \(what) at byte \(at)"
            case .unsupported(let what): "LDAP filter: \(what) is not supported"
            }
        }
    }

    static func encode(_ filter: String) throws -> [UInt8] {
        var parser = LDAPFilter(bytes: Array(filter.utf8))
        let encoded = try parser.filter()
        guard parser.index == parser.bytes.count else { throw ParseError.syntax("trailing characters", at: parser.index) }
        return encoded
    }

    private let bytes: [UInt8]
    private var index = 0

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func expect(_ char: Character) throws {
        guard peek == char.asciiValue else { throw ParseError.syntax("expected '\(char)'", at: index) }
        index += 1
    }

    private mutating func filter() throws -> [UInt8] {
        try expect("(")
        let encoded: [UInt8]
        switch peek {
        case UInt8(ascii: "&"): index += 1; encoded = BER.tlv(0xA0, try list())
        case UInt8(ascii: "|"): index += 1; encoded = BER.tlv(0xA1, try list())
        case UInt8(ascii: "!"): index += 1; encoded = BER.tlv(0xA2, try filter())
        default: encoded = try item()
        }
        try expect(")")
        return encoded
    }

    private mutating func list() throws -> [UInt8] {
        var content: [UInt8] = []
        while peek == UInt8(ascii: "(") { content += try filter() }
        return content
    }

    private mutating func item() throws -> [UInt8] {
        let start = index
        while let c = peek, !"=~<>():".utf8.contains(c) { index += 1 }
        let attribute = Array(bytes[start..<index])
        guard !attribute.isEmpty else { throw ParseError.syntax("missing attribute", at: index) }
        var tag: UInt8 = 0xA3
        switch peek {
        case UInt8(ascii: ":"): throw ParseError.unsupported("extensible match")
        case UInt8(ascii: "~"): tag = 0xA8; index += 1
        case UInt8(ascii: ">"): tag = 0xA5; index += 1
        case UInt8(ascii: "<"): tag = 0xA6; index += 1
        default: break
        }
        try expect("=")
        let pieces = try value()
        if pieces.count == 1 {
            return BER.tlv(tag, BER.octets(attribute) + BER.octets(pieces[0]))
        }
        guard tag == 0xA3 else { throw ParseError.syntax("'*' in an ordering or approximate match", at: index) }
        if pieces.count == 2 && pieces[0].isEmpty && pieces[1].isEmpty {
            return BER.octets(attribute, tag: 0x87)
        }
        var substrings: [UInt8] = []
        if !pieces[0].isEmpty { substrings += BER.octets(pieces[0], tag: 0x80) }
        for middle in pieces.dropFirst().dropLast() {
            guard !middle.isEmpty else { throw ParseError.syntax("'**'", at: index) }
            substrings += BER.octets(middle, tag: 0x81)
        }
        if let last = pieces.last, !last.isEmpty { substrings += BER.octets(last, tag: 0x82) }
        return BER.tlv(0xA4, BER.octets(attribute) + BER.tlv(BER.sequence, substrings))
    }

    /// The value split at unescaped '*', escapes decoded: one piece means no wildcard.
    private mutating func value() throws -> [[UInt8]] {
        var pieces: [[UInt8]] = [[]]
        while let c = peek, c != UInt8(ascii: ")") {
            switch c {
            case UInt8(ascii: "*"):
                pieces.append([])
                index += 1
            case UInt8(ascii: "\\"):
                guard index + 2 < bytes.count, let hi = hex(bytes[index + 1]), let lo = hex(bytes[index + 2]) else {
                    throw ParseError.syntax("bad escape", at: index)
                }
                pieces[pieces.count - 1].append(hi << 4 | lo)
                index += 3
            case UInt8(ascii: "("):
                throw ParseError.syntax("unescaped '('", at: index)
            default:
                pieces[pieces.count - 1].append(c)
                index += 1
            }
        }
        return pieces
    }

    private func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
