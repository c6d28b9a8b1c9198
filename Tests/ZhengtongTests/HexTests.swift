import Testing
import ZhengtongCore

/// Digests, token hashes and signatures are written as lower-case hex, two digits a byte, as
/// `String(format: "%02x")` wrote them before (stored token hashes and the audit chain depend on it).
@Suite struct HexTests {
    @Test func twoLowerCaseDigitsPerByte() {
        #expect(Hex.string([0x00, 0x0F, 0xA5, 0xFF, 0x10]) == "000fa5ff10")
        #expect(Hex.string([UInt8]()) == "")
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.string(all) == all.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined())
    }
}
