import Foundation
import Testing
@testable import PingshenCore

/// A generated panel on a bundled rubric: applicant quality evenly spread from 0.45 to 0.95 of the
/// weight, each reviewer's discretionary points = (quality + severity) × weight + noise × weight × N(0,1),
/// rounded to the step; award and tier leaves follow the quality without noise; value leaves come from
/// data that earns the same share.
func syntheticPanel(_ rubric: Rubric, applicants: Int, reviewers: Int, noise: Double, seed: UInt64,
                    severity: [String: Double] = [:]) -> PanelBuilder {
    var rng = SplitMix64(seed: seed)
    let ids = (1...applicants).map { String(format: "A%02d", $0) }
    var b = PanelBuilder(rubric: rubric.id, reviewers: reviewers, applicants: ids)
    for (ai, a) in ids.enumerated() {
        let q = 0.45 + 0.5 * Double(ai) / Double(max(applicants - 1, 1))
        var data: [String: Double] = [:]
        for leaf in rubric.leaves where leaf.input == .value {
            if case .proportional(let zero, let full)? = leaf.rule { data[leaf.id] = zero + q * (full - zero) }
        }
        b.data(a, data)
        for r in b.snapshot.reviewers {
            var pts: [String: Double] = [:]
            for leaf in rubric.leaves where leaf.input != .value {
                let w = leaf.weight
                switch leaf.rule {
                case .discretionary(let step)?:
                    let s = step ?? 0.1
                    let v = (q + severity[r.id, default: 0]) * w + noise * w * rng.normal()
                    pts[leaf.id] = min(w, max(0, (v / s).rounded() * s))
                case .award?:
                    pts[leaf.id] = q >= 0.6 ? w : 0
                case .tiers(let tiers)?:
                    pts[leaf.id] = tiers.min { abs($0.points - q * w) < abs($1.points - q * w) }?.points ?? 0
                default:
                    pts[leaf.id] = q * w
                }
            }
            b.sheet(r.id, a, pts)
        }
    }
    return b
}

@Suite("Outlier flags and agreement")
struct OutlierTests {
    let mic: Rubric
    init() throws { mic = try bundledRubric("manufacturing-innovation-center") }

    func run(_ b: PanelBuilder, _ rubric: Rubric, _ s: OutlierSettings = OutlierSettings()) throws -> PanelResults {
        try aggregatePanel(b.snapshot, rubric, settings: AggregationSettings(), outliers: s)
    }

    @Test("A consistent panel (small noise) raises no flag and agrees excellently")
    func consistentPanel() throws {
        let res = try run(syntheticPanel(mic, applicants: 10, reviewers: 7, noise: 0.03, seed: 1), mic)
        #expect(res.flags.isEmpty, "\(res.flags.map { $0.explanation(.en) })")
        #expect(res.agreement.applicants == 10 && res.agreement.reviewers == 7)
        let icc = try #require(res.agreement.icc)
        #expect(icc > 0.9 && res.agreement.iccLevel == .excellent)
        #expect((res.agreement.kendallW ?? 0) > 0.9)
        #expect(res.reviewers.allSatisfy { $0.compared == 10 && abs($0.meanDeviation ?? 99) < 2 && ($0.rankCorrelation ?? 0) > 0.9 })
    }

    @Test("A planted harsh reviewer is flagged as severe, and nobody else is")
    func harshReviewer() throws {
        let res = try run(syntheticPanel(mic, applicants: 10, reviewers: 7, noise: 0.03, seed: 2, severity: ["r3": -0.15]), mic)
        let reviewerFlags = res.flags.filter { $0.applicant == nil }
        #expect(reviewerFlags.count == 1)
        let f = try #require(reviewerFlags.first)
        #expect(f.kind == .severe && f.reviewer == "r3")
        #expect(f.value <= -4 && f.count == 10)
        #expect(f.statistic.map { $0 <= -2.5 } ?? true)
        let r3 = try #require(res.reviewer("r3"))
        #expect(r3.flags == [.severe] && close(r3.meanDeviation, f.value) && (r3.standardError ?? 99) < 1)
        #expect(f.explanationZh.contains("专家3") && f.explanationZh.contains("偏严"))
        #expect(f.explanationEn.contains("severe"))
        #expect(!res.flags.contains { $0.kind == .disagreement || $0.kind == .wildTotal || $0.kind == .lenient })
    }

    @Test("A planted single wild score is flagged on its indicator, and no other score is")
    func wildScore() throws {
        var b = syntheticPanel(mic, applicants: 10, reviewers: 7, noise: 0.03, seed: 1)
        let i = try #require(b.snapshot.sheets.firstIndex { $0.reviewer == "r5" && $0.applicant == "A06" })
        let before = try #require(b.snapshot.sheets[i].points["goals"])
        b.snapshot.sheets[i].points["goals"] = 0
        let res = try run(b, mic)
        let wild = res.flags.filter { $0.kind == .wildScore }
        #expect(wild.count == 1)
        let f = try #require(wild.first)
        #expect(f.applicant == "A06" && f.reviewer == "r5" && f.indicator == "goals")
        #expect(f.value == 0 && f.count == 6 && f.threshold == 6)  // floor 0.2 × 30
        #expect(abs((f.reference ?? 0) - before) < 3 && (f.deviation ?? 0) < -15)
        #expect(f.statistic.map { $0 < -3.5 } ?? true)
        #expect(f.explanationZh.contains("建设目标完成情况") && f.explanationZh.contains("单位A06"))
        #expect(!res.flags.contains { $0.applicant == nil })
        #expect(res.applicant("A06")?.flagCount == res.flags.filter { $0.applicant == "A06" }.count)
    }

    @Test("When the others agree exactly (MAD = 0) the spread counts as at least 5% of the weight")
    func madZero() throws {
        let rubric = tinyRubric()
        var b = PanelBuilder(rubric: "tiny", reviewers: 5, applicants: ["A1", "A2"], variant: "std")
        for r in 1...5 {
            b.sheet("r\(r)", "A1", ["a1": r == 5 ? 26 : 20, "a2": 20, "b1": 20])  // 6 away: at the floor 0.2 × 30
            b.sheet("r\(r)", "A2", ["a1": r == 5 ? 25 : 20, "a2": 20, "b1": 20])  // 5 away: under the floor
        }
        b.data("A1", ["b2": 50, "revenue": 200])
        b.data("A2", ["b2": 50, "revenue": 200])
        let res = try run(b, rubric)
        #expect(res.flags.count == 1)
        let f = try #require(res.flags.first)
        #expect(f.kind == .wildScore && f.applicant == "A1" && f.reviewer == "r5" && f.indicator == "a1")
        // s = max(1.4826 × 0, step, 0.05 × 30 = 1.5) = 1.5, so z = 6 / 1.5 = 4 > 3.5; A2's 5 is under the floor of 6.
        #expect(f.statistic == 4 && f.reference == 20 && f.deviation == 6 && f.threshold == 6 && f.count == 4)
        #expect(f.explanationZh.contains("4") && f.explanationEn.contains("4"))
    }

    @Test("On a small indicator, one or two steps from a unanimous panel is not wild; four steps is")
    func smallIndicatorUnanimous() throws {
        // s: 4 points in 0.5 steps (floor 0.2 × 4 = 0.8; spread at least max(0.5, 0.05 × 4) = 0.5).
        let rubric = Rubric(id: "small", name: "小指标", total: 100,
                            grades: [GradeBand(name: "合格", min: 60), GradeBand(name: "不合格", min: 0)],
                            root: [RubricNode(id: "s", name: "小", weight: 4, input: .points, rule: .discretionary(step: 0.5)),
                                   RubricNode(id: "big", name: "大", weight: 96, input: .points, rule: .discretionary(step: 0.5))])
        var b = PanelBuilder(rubric: "small", reviewers: 5, applicants: ["A1", "A2", "A3"])
        for r in 1...5 {
            b.sheet("r\(r)", "A1", ["s": r == 5 ? 2.5 : 3.5, "big": 80])  // 1 point: z = 1 / 0.5 = 2
            b.sheet("r\(r)", "A2", ["s": r == 5 ? 2.5 : 3, "big": 80])    // 0.5 point: under the floor
            b.sheet("r\(r)", "A3", ["s": r == 5 ? 1 : 3, "big": 80])      // 2 points: z = 4 > 3.5
        }
        let res = try run(b, rubric)
        let wild = res.flags.filter { $0.kind == .wildScore }
        #expect(wild.count == 1)
        #expect(wild.first?.applicant == "A3" && wild.first?.statistic == -4)
    }

    @Test("Panel disagreement: range above the share of the total, with its standard deviation")
    func disagreement() throws {
        var b = PanelBuilder(rubric: "flat", reviewers: 4, applicants: ["A", "B"])
        b.totals("A", [60, 70, 85, 90])
        b.totals("B", [70, 75, 80, 85])  // range 15: under 20
        let res = try run(b, flatRubric())
        // Range 90 − 60 = 30 > 0.2 × 100. Mean 76.25; squared deviations 264.0625 + 39.0625 + 76.5625 +
        // 189.0625 = 568.75; SD = √(568.75 / 3) = 13.7689…
        // The single-score checks stay quiet: for 60, others {70, 85, 90} have median 85 and MAD 5, so
        // z = −25 / (1.4826 × 5) = −3.37, inside 3.5.
        #expect(res.flags.count == 1)
        let f = try #require(res.flags.first)
        #expect(f.kind == .disagreement && f.applicant == "A" && f.value == 30 && f.threshold == 20 && f.count == 4)
        #expect(close(f.statistic, (568.75 / 3).squareRoot()))
        #expect(close(res.applicant("A")?.spread?.sd, (568.75 / 3).squareRoot()) && res.applicant("A")?.spread?.range == 30)
    }

    @Test("Reviewer severity, leniency and consistency against hand-computed values")
    func reviewerStatistics() throws {
        var b = PanelBuilder(rubric: "flat", reviewers: 3, applicants: ["A1", "A2", "A3", "A4"])
        b.totals("A1", [80, 70, 75])
        b.totals("A2", [60, 50, 58])
        b.totals("A3", [90, 85, 80])
        b.totals("A4", [70, 66, 62])
        let res = try run(b, flatRubric())
        // r1: d = 80 − 72.5, 60 − 54, 90 − 82.5, 70 − 64 = 7.5, 6, 7.5, 6 → mean 6.75;
        //     SD = √((4 × 0.75²) / 3) = √0.75; SE = √0.75 / 2 = 0.4330; t = 15.59 → lenient.
        let r1 = try #require(res.reviewer("r1"))
        #expect(r1.compared == 4 && close(r1.meanDeviation, 6.75) && close(r1.standardError, 0.75.squareRoot() / 2))
        #expect(close(r1.t, 6.75 / (0.75.squareRoot() / 2)) && close(r1.rankCorrelation, 1))
        #expect(r1.flags == [.lenient])
        // r2: d = −7.5, −9, 0, 0 → mean −4.125, beyond 4 points, but SD = √(69.1875 / 3) = 4.8023,
        //     SE = 2.4012, t = −1.718: not flagged (|t| < 2.5).
        let r2 = try #require(res.reviewer("r2"))
        #expect(close(r2.meanDeviation, -4.125) && close(r2.standardError, (69.1875 / 3).squareRoot() / 2))
        #expect(r2.flags.isEmpty)
        // r3: d = 0, 3, −7.5, −6 → mean −2.625: under 4 points.
        #expect(close(res.reviewer("r3")?.meanDeviation, -2.625) && res.reviewer("r3")?.flags == [])
        #expect(res.flags.map(\.kind) == [.lenient])
        let f = res.flags[0]
        #expect(f.reviewer == "r1" && f.value == 6.75 && f.count == 4 && close(f.standardError, 0.75.squareRoot() / 2))
        // Below the fewest applicants for reviewer flags, nothing is flagged.
        var s = OutlierSettings()
        s.minApplicantsForReviewerFlags = 5
        #expect(try run(b, flatRubric(), s).flags.isEmpty)
    }

    @Test("A reviewer who orders the applicants against the panel is flagged as inconsistent")
    func inconsistentReviewer() throws {
        var b = PanelBuilder(rubric: "flat", reviewers: 4, applicants: ["A", "B", "C", "D", "E", "F"])
        for (i, a) in ["A", "B", "C", "D", "E", "F"].enumerated() {
            let q = 60 + 5 * Double(i)
            b.totals(a, [q, q + 1, q - 1, 145 - q])
        }
        let res = try run(b, flatRubric())
        let inconsistent = res.flags.filter { $0.kind == .inconsistent }
        #expect(inconsistent.count == 1)
        #expect(inconsistent.first?.reviewer == "r4" && close(inconsistent.first?.value, -1))
        #expect(close(res.reviewer("r1")?.rankCorrelation, 1))
        #expect(res.reviewer("r4")?.flags.contains(.inconsistent) == true)
        #expect(inconsistent.first?.explanationZh.contains("Spearman") == true)
    }

    @Test("ICC(2,1) and Kendall's W against hand-computed values")
    func agreementCoefficients() throws {
        // Shrout & Fleiss (1979), 6 targets × 4 judges. Grand mean 127/24; SSR = 1349/24, SSC = 2339/24,
        // SSE = 367/24; MSR = 1349/120, MSC = 2339/72, MSE = 367/360;
        // ICC(2,1) = (MSR − MSE) / (MSR + 3·MSE + 4·(MSC − MSE)/6) = 184/635 ≈ 0.2898 (published: 0.29).
        let sf: [[Double]] = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
        #expect(close(Statistics.icc21(sf), 184.0 / 635, 1e-12))
        // Kendall's W with ties: rank sums R = 17, 6, 19, 7.5, 23.5, 11; S = Σ(R − 14)² = 479/2;
        // ties Σ(t³ − t) = 5 pairs × 6 = 30; W = 12·S / (4²·(6³ − 6) − 4·30) = 2874 / 3240 = 479/540.
        #expect(close(Statistics.kendallW(sf), 479.0 / 540, 1e-12))
        // 4 × 3 without ties: SSR = 35/3, SSC = 0, SSE = 10/3 → MSR = 35/9, MSC = 0, MSE = 5/9;
        // ICC = (35/9 − 5/9) / (35/9 + 2·5/9 + 3·(0 − 5/9)/4) = 8/11. Rank sums 4, 8, 6, 12; S = 35;
        // W = 12·35 / (9·60) = 7/9.
        let t: [[Double]] = [[1, 1, 2], [2, 3, 3], [3, 2, 1], [4, 4, 4]]
        #expect(close(Statistics.icc21(t), 8.0 / 11, 1e-12))
        #expect(close(Statistics.kendallW(t), 7.0 / 9, 1e-12))
        // Identical orders: W = 1; ICC(2,1) = 787/820 (MSR = 2377/9, MSC = 67/9, MSE = 16/9).
        let same: [[Double]] = [[80, 80, 75], [70, 72, 70], [90, 90, 88]]
        #expect(close(Statistics.kendallW(same), 1, 1e-12))
        #expect(close(Statistics.icc21(same), 787.0 / 820, 1e-12))
        // Undefined cases give nil, never NaN.
        #expect(Statistics.icc21([[1, 2]]) == nil)
        #expect(Statistics.kendallW([[5, 5], [5, 5]]) == nil)
        #expect(Statistics.icc21([[5, 5], [5, 5]]) == nil)
        // Readings (Koo & Li 2016 for ICC).
        #expect([0.49, 0.5, 0.75, 0.9, 0.91].map(AgreementLevel.forICC) == [.poor, .moderate, .good, .good, .excellent])
    }

    @Test("Descriptive statistics: median, MAD, trimmed mean, mid-ranks, Spearman with ties")
    func descriptive() {
        #expect(Statistics.median([3, 1, 2, 10]) == 2.5)
        #expect(Statistics.mad([1, 2, 3, 4, 100]) == 1)
        #expect(Statistics.trimmedMean([1, 2, 3, 4, 100]) == 3)
        #expect(Statistics.trimmedMean([1, 2]) == nil)
        #expect(Statistics.ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        // x ranks 1, 2.5, 2.5, 4 vs y ranks 1, 3, 2, 4: Sxy = 4.5, Sxx = 4.5, Syy = 5 → 4.5 / √22.5.
        #expect(close(Statistics.spearman([1, 2, 2, 3], [1, 3, 2, 4]), 4.5 / 22.5.squareRoot()))
        #expect(Statistics.spearman([1, 1, 1], [1, 2, 3]) == nil)
        #expect(combineScores([4, 1, 3, 2], method: .median) == 2.5)
        #expect(combineScores([], method: .mean) == nil)
        #expect(effectiveMethod(.auto, count: 5, trimMinReviewers: 5) == .trimmed)
        #expect(effectiveMethod(.auto, count: 4, trimMinReviewers: 5) == .mean)
        #expect(effectiveMethod(.auto, count: 2, trimMinReviewers: 1) == .mean)
    }

    @Test("The fast renderers of flag texts match formatNumber and Catalog.text")
    func fastRendering() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<5000 {
            let v = (rng.unit() - 0.5) * 2 * pow(10, Double(Int(rng.unit() * 7)) - 2)
            #expect(f2(v) == formatNumber(v, decimals: 2), "\(v)")
        }
        for v in [0, -0.004, 0.005, 1.005, 2.675, -3.1, 100, 99.999, 0.1, -0.01] {
            #expect(f2(v) == formatNumber(v, decimals: 2), "\(v)")
        }
        let args = ["专家3", "单位A", "指标", "30", "0", "6", "25", "25", "—", "3.5", "6"]
        for lang in Lang.allCases {
            #expect(renderMessage("report.flag.wild_score", args, lang) == Catalog.text("report.flag.wild_score", args, lang))
        }
        // An argument that looks like a placeholder stays as it is.
        #expect(renderMessage("report.status.graded", ["{0}"], .en) == "graded")
        #expect(renderMessage("gate.missing", ["{0}"], .en) == "missing data for gate “{0}”")
    }

    @Test("Results and flags encode as JSON (no NaN or infinity anywhere)")
    func encodes() throws {
        var b = syntheticPanel(mic, applicants: 6, reviewers: 5, noise: 0.03, seed: 3, severity: ["r2": -0.2])
        b.recuse("r1", "A02")
        b.snapshot.sheets.removeAll { $0.applicant == "A03" && $0.reviewer != "r1" }  // one sheet: no SD, no z
        let res = try run(b, mic)
        let data = try JSONEncoder().encode(res)
        let back = try JSONDecoder().decode(PanelResults.self, from: data)
        #expect(back == res)
        #expect(res.applicant("A03")?.status == .incomplete && res.applicant("A03")?.spread?.sd == nil)
        #expect(res.agreement.applicants == 4)  // A02 (recusal) and A03 lack a full row
    }
}
