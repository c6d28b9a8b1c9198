import Foundation
import NIOCore

/// Results per Zhengtong response: the length of the top-level `items` array.
enum ItemCount {
    /// Found by one pass over the bytes that tracks strings and nesting, without building the document:
    /// a page of 20 people is ~10 kB, and parsing it fully per request would make the load generator's
    /// CPU a noticeable share of what it measures. `verified` checks this against JSONSerialization.
    static func scan(_ body: ByteBuffer) -> Int? {
        body.withUnsafeReadableBytes { scan($0) }
    }

    static func verified(_ body: ByteBuffer) -> Int? {
        let data = Data(body.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let items = object["items"] as? [Any] else { return nil }
        return items.count
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let itemsKey = Array("items".utf8)

    private static func scan(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let n = bytes.count
        var i = 0
        var depth = 0
        var arrayDepth = -1  // nesting depth inside the items array, once found
        var count = 0
        var expectingElement = false

        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
        func stringEnd(_ from: Int) -> Int? {  // index of the closing quote
            var j = from
            while j < n {
                if bytes[j] == backslash { j += 2; continue }
                if bytes[j] == quote { return j }
                j += 1
            }
            return nil
        }
        func isItems(_ from: Int, _ to: Int) -> Bool {
            to - from == itemsKey.count && (0..<itemsKey.count).allSatisfy { bytes[from + $0] == itemsKey[$0] }
        }

        while i < n {
            let c = bytes[i]
            if c == quote {
                guard let end = stringEnd(i + 1) else { return nil }
                if depth == arrayDepth && expectingElement {
                    count += 1
                    expectingElement = false
                } else if depth == 1 && arrayDepth < 0 && isItems(i + 1, end) {
                    var j = end + 1
                    while j < n && isSpace(bytes[j]) { j += 1 }
                    if j < n && bytes[j] == UInt8(ascii: ":") {
                        j += 1
                        while j < n && isSpace(bytes[j]) { j += 1 }
                        guard j < n && bytes[j] == UInt8(ascii: "[") else { return nil }
                        depth += 1
                        arrayDepth = depth
                        expectingElement = true
                        i = j + 1
                        continue
                    }
                }
                i = end + 1
                continue
            }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == arrayDepth && expectingElement {
                    count += 1
                    expectingElement = false
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == arrayDepth { return count }
                depth -= 1
            case UInt8(ascii: ","):
                if depth == arrayDepth { expectingElement = true }
            case UInt8(ascii: ":"):
                break
            default:
                if !isSpace(c) && depth == arrayDepth && expectingElement {
                    count += 1
                    expectingElement = false
                }
            }
            i += 1
        }
        return nil
    }
}
