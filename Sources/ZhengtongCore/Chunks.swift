extension Collection {
    /// The collection in consecutive pieces of at most `size`: for SQL `IN (...)` lists kept below the
    /// databases' limits on bound parameters.
    public func chunks(of size: Int) -> [SubSequence] {
        precondition(size > 0)
        var out: [SubSequence] = []
        var start = startIndex
        while start != endIndex {
            let end = index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex
            out.append(self[start..<end])
            start = end
        }
        return out
    }
}
