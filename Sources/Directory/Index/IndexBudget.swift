/// How much of the index one read may walk. A read answered on a connection's event loop holds up that
/// loop's other connections while it runs, so it gets a budget: past it the read stops and is answered
/// again where waiting is allowed (the router, on the task pool), with no budget. Almost every search
/// and member listing stays far below it; what does not is a rare filter on a common name, or all the
/// members of a city's subtree, which walk hundreds of thousands of entries.
///
/// Counted in index entries touched: a person tested, a list entry merged or sorted, a title compared.
/// One costs well under a microsecond, so the event loop's budget bounds a read to the order of a
/// millisecond (an estimate: the time per entry has not been measured on its own).
///
/// A class so that the nested walks can charge it without threading `inout` through their closures;
/// one instance lives inside one call and never crosses a thread.
final class IndexBudget {
    struct Exceeded: Error {}

    private var left: Int

    init(_ limit: Int?) { left = limit ?? .max }

    static var unlimited: IndexBudget { IndexBudget(nil) }

    func spend(_ n: Int) throws(Exceeded) {
        guard n <= left else {
            left = 0
            throw Exceeded()
        }
        left -= n
    }
}
