@testable import Directory
import Testing

/// The lazy intersection the index walks for searches within a subtree gives exactly the common values,
/// in order, for lists of every shape: empty, disjoint, one inside the other, far apart in length.
@Suite struct SortedIntersectionTests {
    @Test func givesTheCommonValuesInOrder() {
        var rng = SystemRandomNumberGenerator()
        func list(_ n: Int, _ range: ClosedRange<Int32>) -> [Int32] {
            Array(Set((0..<n).map { _ in Int32.random(in: range, using: &rng) })).sorted()
        }
        var shapes: [([Int32], [Int32])] = [([], []), ([1, 2, 3], []), ([1, 3, 5], [2, 4, 6]), ([5], [5]), (Array(0..<100), [99])]
        for _ in 0..<200 {
            shapes.append((list(Int.random(in: 0...50), 0...1_000), list(Int.random(in: 0...5_000), 0...10_000)))
        }
        for (a, b) in shapes {
            let expected = a.filter(Set(b).contains)
            #expect(Array(SortedIntersection(a, b)) == expected)
            #expect(Array(SortedIntersection(b, a)) == expected)
        }
    }
}
