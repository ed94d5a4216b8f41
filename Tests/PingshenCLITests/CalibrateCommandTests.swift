import Foundation
import PingshenCore
import Testing

@Suite("pingshen calibrate")
struct CalibrateCommandTests {
    @Test("On the sample panel: the planted harsh reviewer is the most severe; JSON carries the issue's keys")
    func sample() throws {
        let (sb, panel, planted) = try loadedSample("manufacturing-innovation-center")
        let out = try jsonObject(try sb.ok(["calibrate", panel, "--json", "--replicates", "100"]))
        let components = try #require(out["components"] as? [[String: Any]])
        #expect(components.count == 1 && (components[0]["reviewers"] as? [String])?.count == 7)
        let reviewers = try #require(out["reviewers"] as? [[String: Any]])
        for key in ["id", "severity", "se", "sheets", "fit"] { #expect(reviewers.allSatisfy { $0[key] != nil }, "\(key)") }
        let harsh = try #require(planted.harsh.first?.reviewer)
        let severities = reviewers.compactMap { r in (r["id"] as? String).flatMap { id in (r["severity"] as? Double).map { (id, $0) } } }
        #expect(severities.min { $0.1 < $1.1 }?.0 == harsh, "\(severities)")
        let applicants = try #require(out["applicants"] as? [[String: Any]])
        for key in ["id", "raw", "adjusted", "se", "grade_raw", "grade_adjusted", "grade_stability"] {
            #expect(applicants.filter { $0["status"] as? String == "graded" }.allSatisfy { $0[key] != nil }, "\(key)")
        }
        // The raw scores are the results' official totals.
        let results = try jsonObject(try sb.ok(["results", panel, "--json"]))
        let resApps = try #require((results["results"] as? [String: Any])?["applicants"] as? [[String: Any]])
        for a in resApps where a["status"] as? String == "graded" {
            let c = try #require(applicants.first { $0["id"] as? String == a["id"] as? String })
            #expect(c["raw"] as? Double == a["total"] as? Double && c["grade_raw"] as? String == a["grade"] as? String)
        }
        #expect((out["reliability"] as? [String: Any])?["single_rater"] != nil)
        // The text names the model and the harsh reviewer as severe; --lang en speaks English.
        let text = try sb.ok(["calibrate", panel, "--replicates", "50"])
        #expect(text.contains("REML") && text.contains("偏严") && text.contains("校准得分"))
        let en = try sb.ok(["calibrate", panel, "--replicates", "50", "--lang", "en"])
        #expect(en.contains("severe") && en.contains("Reliability"))
        // results notices that reviewer sets differ (the sample has a recusal) and names calibrate.
        #expect(try sb.ok(["results", panel]).contains("pingshen calibrate \(panel)"))
    }

    @Test("A rubric whose reviewers enter no points is refused with the reason")
    func noPoints() throws {
        let (sb, panel, _) = try loadedSample("tech-center-evaluation")
        let r = try sb.run(["calibrate", panel, "--lang", "en"])
        #expect(r.code == 1 && r.err.contains("no points"))
        #expect(try sb.ok(["outliers", panel, "--lang", "en"]).contains("reviewers enter no points"))
    }
}
