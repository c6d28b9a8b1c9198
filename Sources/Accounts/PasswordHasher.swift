import _CryptoExtras
import Crypto
import Directory
import Foundation
import ZhengtongCore

/// scrypt, a memory-hard password hash: each guess costs `128 * r * N` bytes of memory (16 MiB at the
/// default N = 2^14, r = 8), which makes GPU and ASIC guessing expensive. Parameters are stored with
/// each hash so they can be raised later without invalidating old ones.
public struct PasswordHasher: PasswordHashing {
    public var logN: Int
    public var r: Int
    public var p: Int

    public init(logN: Int = 14, r: Int = 8, p: Int = 1) {
        self.logN = logN
        self.r = r
        self.p = p
    }

    public func hash(_ password: String) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = rng.next() }
        let key = try derive(password, salt: salt, logN: logN, r: r, p: p)
        return "scrypt$\(logN)$\(r)$\(p)$\(Data(salt).base64EncodedString())$\(key.base64EncodedString())"
    }

    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
              (1...20).contains(logN), let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]),
              let key = try? derive(password, salt: Array(salt), logN: logN, r: r, p: p) else { return false }
        return constantTimeEqual(key, expected)
    }

    /// Spends the same time as a real verification, so an unknown username cannot be told from a wrong password.
    public func burn(_ password: String) {
        _ = try? derive(password, salt: Array(repeating: 0, count: 16), logN: logN, r: r, p: p)
    }

    func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) throws -> Data {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32,
                                           rounds: 1 << logN, blockSize: r, parallelism: p)
        return key.withUnsafeBytes { Data($0) }
    }

    func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}
