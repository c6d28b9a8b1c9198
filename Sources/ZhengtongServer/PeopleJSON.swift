import Directory
import Hummingbird
import NIOCore
import ZhengtongCore

/// A page of people written as JSON straight into the response buffer. Search and member listings
/// return up to 200 people with their positions, and `JSONEncoder` (with its snake_case conversion of
/// every key of every object) cost more than finding them in the index. The output is the same
/// document `PageDTO<PersonDTO>` encodes (a test compares the two).
struct PeoplePageJSON: ResponseGenerator {
    var page: Page<PersonView>

    init(_ page: Page<PersonView>) { self.page = page }

    static let contentType = "application/json; charset=utf-8"

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .ok, headers: [.contentType: Self.contentType], body: .init(byteBuffer: bytes()))
    }

    func bytes() -> ByteBuffer {
        var w = JSONBytes(capacity: 256 + page.items.count * 640)
        w.raw("{\"items\":[")
        for (i, v) in page.items.enumerated() {
            if i > 0 { w.raw(",") }
            Self.person(v, &w)
        }
        w.raw("],\"next_cursor\":")
        w.string(page.nextCursor)
        w.raw("}")
        return w.buffer
    }

    static func person(_ v: PersonView, _ w: inout JSONBytes) {
        let p = v.person
        w.raw("{\"id\":"); w.string(p.id)
        w.raw(",\"name\":"); w.string(p.name)
        w.raw(",\"pinyin\":"); w.string(p.pinyin)
        w.raw(",\"initials\":"); w.string(p.initials)
        w.raw(",\"username\":"); w.string(p.username)
        w.raw(",\"mobile\":"); w.string(v.mobileVisible ? p.mobile : nil)
        w.raw(",\"email\":"); w.string(p.email)
        w.raw(",\"rank\":"); w.string(p.rank)
        w.raw(",\"status\":"); w.string(p.status.rawValue)
        w.raw(",\"senior_mode\":"); w.bool(p.seniorMode)
        w.raw(",\"hide_mobile\":"); w.bool(p.hideMobile)
        w.raw(",\"positions\":[")
        for (i, x) in v.positions.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"id\":"); w.string(x.id)
            w.raw(",\"person_id\":"); w.string(x.personId)
            w.raw(",\"org_id\":"); w.string(x.orgId)
            w.raw(",\"org_name\":"); w.string(x.orgName)
            w.raw(",\"title\":"); w.string(x.title)
            w.raw(",\"leader\":"); w.bool(x.leader)
            w.raw(",\"roles\":[")
            for (k, r) in x.roles.enumerated() {
                if k > 0 { w.raw(",") }
                w.string(r)
            }
            w.raw("],\"main\":"); w.bool(x.main)
            w.raw(",\"order\":"); w.int(x.order)
            w.raw("}")
        }
        w.raw("]}")
    }
}

/// Appends JSON tokens to a byte array, turned into one `ByteBuffer` at the end (appending to an array
/// costs less per token than a buffer's checked writes). Strings are escaped as RFC 8259 requires
/// (quote, backslash, control characters); everything else, Chinese included, is written as UTF-8.
struct JSONBytes {
    private var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func bool(_ b: Bool) { b ? raw("true") : raw("false") }

    mutating func int(_ n: Int) { bytes.append(contentsOf: String(n).utf8) }

    mutating func string(_ s: String?) {
        guard var s else { return raw("null") }
        s.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var start = 0
            for i in utf8.indices {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                switch b {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    raw("\\u00")
                    hex.withUTF8Buffer { digits in
                        bytes.append(digits[Int(b >> 4)])
                        bytes.append(digits[Int(b & 0xF)])
                    }
                }
                start = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }
}
