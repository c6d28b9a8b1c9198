import Foundation
import Synchronization

/// Opaque, time-ordered identifiers: 10 base32 characters of milliseconds since the epoch followed by
/// 6 of a per-process counter seeded at random, so ids sort by creation and never repeat within a process.
/// Lower-case Crockford base32 keeps them URL-safe and lets org paths use "/" as a separator.
public enum ID {
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    private static let state = Mutex<(lastMillis: UInt64, counter: UInt64)>((0, UInt64.random(in: 0..<(1 << 29))))

    public static func make(at date: Date = Date()) -> String {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let (ms, counter) = state.withLock { s -> (UInt64, UInt64) in
            if millis > s.lastMillis {
                s.lastMillis = millis
                s.counter = UInt64.random(in: 0..<(1 << 29))
            } else {
                s.counter &+= 1
                if s.counter >= (1 << 30) { s.lastMillis &+= 1; s.counter = 0 }
            }
            return (s.lastMillis, s.counter)
        }
        return encode(ms, digits: 10) + encode(counter, digits: 6)
    }

    /// Deterministic ids for generated data: the same `(namespace, index)` always gives the same id.
    public static func deterministic(namespace: UInt8, index: Int) -> String {
        // A fixed epoch (2024-01-01) keeps generated ids below any id made at run time.
        let base: UInt64 = 1_704_067_200_000 + UInt64(namespace)
        return encode(base, digits: 10) + encode(UInt64(index), digits: 6)
    }

    static func encode(_ value: UInt64, digits: Int) -> String {
        var v = value
        var out = [UInt8](repeating: 0, count: digits)
        for i in stride(from: digits - 1, through: 0, by: -1) {
            out[i] = alphabet[Int(v & 31)]
            v >>= 5
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func isValid(_ s: String) -> Bool {
        s.utf8.count == 16 && s.utf8.allSatisfy { alphabet.contains($0) }
    }
}
