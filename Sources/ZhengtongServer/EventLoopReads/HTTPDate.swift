#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The `Date` header's value (RFC 9110 IMF-fixdate), formatted once a second rather than per response.
enum HTTPDate {
    private static let latest = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let second = Int(ts.tv_sec)
        if let text = latest.withLock({ $0.second == second ? $0.text : nil }) { return text }
        let text = format(second)
        latest.withLock { $0 = (second, text) }
        return text
    }

    /// `seconds` since 1970 as IMF-fixdate, in GMT: "Thu, 01 Jan 1970 00:00:00 GMT".
    static func format(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
