import Foundation
@testable import PingshenServer
import PingshenWire
import Testing

@Suite("Wire formats")
struct WireTests {
    @Test("Timestamps match ISO 8601 (UTC, milliseconds) and parse back, across centuries and leap days")
    func timestamps() throws {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        var g = SystemRandomNumberGenerator()
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400.5),  // 2000-02-29T00:00:00.500Z
                     Date(timeIntervalSince1970: -86_400.25), Date(timeIntervalSince1970: 4_102_444_799.999)]
        for _ in 0..<2000 { dates.append(Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &g)) / 1000)) }
        for d in dates {
            let mine = WireCoding.timestamp(d)
            #expect(mine == f.string(from: d), "\(d.timeIntervalSince1970)")
            let back = try #require(WireCoding.parseTimestamp(mine))
            #expect(abs(back.timeIntervalSince1970 - (d.timeIntervalSince1970 * 1000).rounded() / 1000) < 0.0005)
        }
        #expect(WireCoding.parseTimestamp("2025-05-01T08:30:00Z")?.timeIntervalSince1970 == 1_746_088_200)
        for bad in ["", "2025-13-01T00:00:00Z", "2025-05-01 08:30:00Z", "2025-05-01T08:30:00.12Z", "2025-05-01T08:30:00+08:00"] {
            #expect(WireCoding.parseTimestamp(bad) == nil, "\(bad)")
        }
    }

    @Test("Enrolment codes: 100 bits in Crockford base32, normalized when typed; tokens 32 bytes")
    func secrets() {
        let code = Secrets.enrolmentCode()
        #expect(code.range(of: #"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$"#, options: .regularExpression) != nil)
        #expect(Secrets.codeHash(code) == Secrets.codeHash(" " + code.lowercased().replacingOccurrences(of: "-", with: " ")))
        #expect(Secrets.normalizeCode("o1l-I") == "0111")
        let t = Secrets.token()
        #expect(t.hasPrefix("psk_") && t.count == 4 + 43)
        #expect(Secrets.token() != t)
        #expect(Secrets.tokenHash(t).count == 64)
    }
}
