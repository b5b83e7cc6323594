import CountersignPolicyFiles
import Testing

@Suite("Durations in policy files")
struct PolicyDurationTests {
    @Test("a number and a unit, or several from the largest down", arguments: [
        ("90s", 90), ("30m", 1_800), ("4h", 14_400), ("2d", 172_800), ("1h30m", 5_400), ("1d2h3m4s", 93_784), ("0s", 0),
    ])
    func reads(_ text: String, _ seconds: Int) {
        #expect(PolicyDuration.seconds(from: text) == seconds)
    }

    @Test("anything else is refused", arguments: ["", "4", "h", "4 h", "4hours", "30m1h", "1h1h", "-1h", "1.5h", "1H", "9999999s", "4h "])
    func refuses(_ text: String) {
        #expect(PolicyDuration.seconds(from: text) == nil)
    }

    @Test("text reads back to the same seconds", arguments: [1, 59, 60, 3_600, 5_400, 86_400, 93_784, 604_800])
    func roundTrips(_ seconds: Int) {
        #expect(PolicyDuration.seconds(from: PolicyDuration.text(seconds)) == seconds)
    }
}
