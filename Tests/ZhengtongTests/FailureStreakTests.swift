import Testing
import ZhengtongCore

/// A failure that repeats is logged once, then once a minute with a count of what was left out.
@Suite struct FailureStreakTests {
    @Test func repeatsAreCountedNotLogged() {
        let streak = FailureStreak(every: .seconds(60))
        let t0 = ContinuousClock.now
        #expect(streak.succeeded() == false, "no streak to end yet")
        #expect(streak.failed(at: t0) == 0)
        #expect(streak.failed(at: t0 + .seconds(1)) == nil)
        #expect(streak.failed(at: t0 + .seconds(59)) == nil)
        #expect(streak.failed(at: t0 + .seconds(60)) == 2, "a minute on: one line, saying two were left out")
        #expect(streak.failed(at: t0 + .seconds(61)) == nil)
        #expect(streak.succeeded() == true)
        #expect(streak.succeeded() == false, "said once")
        #expect(streak.failed(at: t0 + .seconds(62)) == 0, "a new streak is logged at once")
    }
}
