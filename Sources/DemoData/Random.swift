/// SplitMix64: a tiny, fast, portable generator. The demo data must be byte-identical for a given seed
/// on every platform and Swift version, so neither `SystemRandomNumberGenerator` nor Foundation is used.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator whose stream depends only on the seed and the given keys.
    init(_ seed: UInt64, _ a: UInt64, _ b: UInt64 = 0) {
        state = Mix.hash(seed, a, b)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Mix.finalize(state)
    }

    /// Uniform in `0..<n` (Lemire's multiply-high, without the rejection step: the bias is below 2⁻³⁰).
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    mutating func inRange(_ r: ClosedRange<Int>) -> Int { r.lowerBound + below(r.count) }

    /// True with probability `permille / 1000`.
    mutating func chance(_ permille: Int) -> Bool { below(1000) < permille }
}

enum Mix {
    @inline(__always)
    static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A stateless hash of a few integers: structural choices (how many grids a village has) are made
    /// with it so that every pass over the data sees the same answer without sharing state.
    static func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64 = 0) -> UInt64 {
        finalize((finalize((finalize(a &+ 0x632B_E59B_D9B4_E019) ^ b) &+ 0x9E37_79B9_7F4A_7C15)) ^ c)
    }
}
