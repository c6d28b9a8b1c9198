import NIOCore

/// The subset of BER (X.690) that LDAP needs: one-byte tags and definite lengths (RFC 4511 §5.1 forbids
/// the indefinite form), so a message can be framed from its first few bytes.
enum BER {
    static let integer: UInt8 = 0x02
    static let octetString: UInt8 = 0x04
    static let enumerated: UInt8 = 0x0A
    static let boolean: UInt8 = 0x01
    static let sequence: UInt8 = 0x30

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var rest = n
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// Two's complement in the fewest bytes, as DER requires and every server accepts.
    static func integer(_ value: Int, tag: UInt8 = BER.integer) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        repeat {
            bytes.insert(UInt8(truncatingIfNeeded: rest), at: 0)
            rest >>= 8
        } while !(rest == 0 && bytes[0] & 0x80 == 0) && !(rest == -1 && bytes[0] & 0x80 != 0)
        return tlv(tag, bytes)
    }

    static func octets(_ value: [UInt8], tag: UInt8 = BER.octetString) -> [UInt8] { tlv(tag, value) }
    static func octets(_ value: String, tag: UInt8 = BER.octetString) -> [UInt8] { tlv(tag, Array(value.utf8)) }
    static func boolean(_ value: Bool) -> [UInt8] { [boolean, 1, value ? 0xFF : 0x00] }

    /// The size of the element starting at the reader index, or nil until its header and content have all arrived.
    static func elementSize(_ buffer: ByteBuffer) throws -> Int? {
        guard let tag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let first = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) else { return nil }
        guard tag & 0x1F != 0x1F else { throw BERError.multiByteTag }
        var header = 2
        var length = Int(first)
        if first & 0x80 != 0 {
            let count = Int(first & 0x7F)
            guard count != 0 else { throw BERError.indefiniteLength }
            guard count <= 4 else { throw BERError.tooLong }
            guard let bytes = buffer.getBytes(at: buffer.readerIndex + 2, length: count) else { return nil }
            length = bytes.reduce(0) { $0 << 8 | Int($1) }
            header += count
        }
        return buffer.readableBytes >= header + length ? header + length : nil
    }
}

enum BERError: Error, CustomStringConvertible {
    case multiByteTag, indefiniteLength, tooLong, truncated, unexpectedTag(UInt8)

    var description: String {
        switch self {
        case .multiByteTag: "BER: multi-byte tags are not used by LDAP"
        case .indefiniteLength: "BER: indefinite length (forbidden in LDAP)"
        case .tooLong: "BER: element longer than 4 GiB"
        case .truncated: "BER: element ends early"
        case .unexpectedTag(let tag): "BER: unexpected tag 0x\(String(tag, radix: 16))"
        }
    }
}

/// Reads the elements of one framed message in order; each value is a slice, nothing is copied.
struct BERReader {
    var buffer: ByteBuffer

    var isAtEnd: Bool { buffer.readableBytes == 0 }

    mutating func read() throws -> (tag: UInt8, value: ByteBuffer) {
        guard let size = try BER.elementSize(buffer), var element = buffer.readSlice(length: size) else { throw BERError.truncated }
        let tag = element.readInteger(as: UInt8.self)!
        let first = element.readInteger(as: UInt8.self)!
        if first & 0x80 != 0 { element.moveReaderIndex(forwardBy: Int(first & 0x7F)) }
        return (tag, element)
    }

    mutating func read(expecting tag: UInt8) throws -> ByteBuffer {
        let element = try read()
        guard element.tag == tag else { throw BERError.unexpectedTag(element.tag) }
        return element.value
    }

    mutating func readInteger(tag: UInt8 = BER.integer) throws -> Int {
        var value = try read(expecting: tag)
        guard let first = value.readInteger(as: Int8.self) else { throw BERError.truncated }
        var result = Int(first)
        while let byte = value.readInteger(as: UInt8.self) { result = result << 8 | Int(byte) }
        return result
    }
}
