import Foundation
import Testing
@testable import PingshenCore

// Issue 12: the official rounding and ranks, agreement gaps and intervals, and the calibration model
// (crossed: applicant fixed + reviewer random + error, REML) on generated designs with planted severities.

/// Root-mean-square difference.
private func rmse(_ a: [Double], _ b: [Double]) -> Double {
    (zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(max(a.count, 1))).squareRoot()
}

@Suite("Official rounding and ranks")
struct OfficialRoundingTests {
    @Test("Half-up in decimal, binary noise snapped away, decimals configurable")
    func rounding() {
        #expect(officialRound(72.335).value == 72.34)
        #expect(officialRound(72.33500000000001).key == officialRound(72.335).key)
        #expect(officialRound(72.33499999999999).value == 72.34)   // noise below 1e-9 is not a real difference
        #expect(officialRound(72.3349).value == 72.33)
        #expect(officialRound(2.675).value == 2.68)                // 2.675 is 2.67499999… in binary
        #expect(officialRound(0.125).value == 0.13)
        #expect(officialRound(89.996).value == 90)
        #expect(officialRound(89.996, decimals: 3).value == 89.996)
        #expect(officialRound(89.996, decimals: 1).value == 90)
        #expect(officialRound(89.94, decimals: 1).value == 89.9)
        #expect(officialRound(-1.005).value == -1.01)              // halves away from zero
        #expect(officialRound(72.335).key == 7234 && officialRound(72.335, decimals: 0).key == 72)
    }

    @Test("Two applicants with equal totals up to binary noise are tied (并列), not ranked 1 and 2")
    func floatTies() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 2, applicants: ["A", "B", "C"])
        b.totals("A", [72.33, 72.34])   // mean 72.33500000000001
        b.totals("B", [72.32, 72.35])   // mean 72.335
        b.totals("C", [70, 71])
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(.mean, quorum: 2), outliers: OutlierSettings())
        let a = try #require(res.applicant("A")), bb = try #require(res.applicant("B"))
        #expect(a.totalsView != bb.totalsView)            // the exact combinations differ in the last bit…
        #expect(a.total == 72.34 && bb.total == 72.34)    // …the official score is one number
        #expect(a.rank == 1 && bb.rank == 1 && a.tied && bb.tied)
        #expect(res.applicant("C")?.rank == 3)
    }

    @Test("Display, grade and rank come from the one rounded score: 89.996 is 90 and graded 优秀")
    func gradeFromRounded() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 2, applicants: ["A", "B"])
        b.totals("A", [89.99, 90.002])   // 89.996
        b.totals("B", [90, 90])
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(.mean, quorum: 2), outliers: OutlierSettings())
        let a = try #require(res.applicant("A"))
        #expect(close(a.totalsView, 89.996, 1e-9))
        #expect(a.total == 90 && a.grade == "优秀" && formatNumber(a.total ?? 0) == "90")
        #expect(a.rank == 1 && a.tied && res.applicant("B")?.rank == 1)
        #expect(res.settings.decimals == 2)
        // Three decimals: 89.996 stays below 90.
        var s3 = settings(.mean, quorum: 2)
        s3.decimals = 3
        let res3 = try aggregatePanel(b.snapshot, rubric, settings: s3, outliers: OutlierSettings())
        #expect(res3.applicant("A")?.total == 89.996 && res3.applicant("A")?.grade == "良好")
        #expect(res3.applicant("A")?.rank == 2 && res3.applicant("B")?.rank == 1)
    }
}

@Suite("Agreement gaps, intervals and design notices")
struct AgreementGapTests {
    @Test("Identical sheets: the reason is that nothing varies, not 'fewer than two applicants'")
    func identical() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 3, applicants: ["A", "B", "C", "D", "E", "F"])
        for a in ["A", "B", "C", "D", "E", "F"] { b.totals(a, [80, 80, 80]) }
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        #expect(res.agreement.applicants == 6 && res.agreement.icc == nil && res.agreement.kendallW == nil)
        #expect(res.agreement.iccGap == .identical && res.agreement.kendallWGap == .identical)
        #expect(!res.agreement.reviewerSetsDiffer && res.agreement.components == 1)
    }

    @Test("Only W undefined: ICC is given and W's gap is named")
    func onlyW() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 3, applicants: ["A", "B", "C", "D", "E"])
        // Each reviewer gives every applicant the same total, reviewers differ: no order, but levels vary.
        for a in ["A", "B", "C", "D", "E"] { b.totals(a, [70, 80, 90]) }
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        #expect(res.agreement.kendallW == nil && res.agreement.kendallWGap == .noOrder)
    }

    @Test("Fewer complete applicants than the minimum: no ICC/W, the reason says how many")
    func fewComplete() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 3, applicants: ["A", "B", "C"])
        b.totals("A", [70, 72, 71])
        b.totals("B", [80, 83, 79])
        b.totals("C", [60, 64, 61])
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        #expect(res.agreement.icc == nil && res.agreement.iccGap == .fewComplete && res.agreement.applicants == 3)
    }

    @Test("ICC and W come with a 95 % interval containing them and a caveat below 30 applicants")
    func intervals() throws {
        let mic = try bundledRubric("manufacturing-innovation-center")
        let res = try aggregatePanel(syntheticPanel(mic, applicants: 12, reviewers: 5, noise: 0.08, seed: 4).snapshot, mic,
                                     settings: AggregationSettings(), outliers: OutlierSettings())
        let g = res.agreement
        let icc = try #require(g.icc), w = try #require(g.kendallW)
        let lo = try #require(g.iccLow), hi = try #require(g.iccHigh)
        #expect(lo <= icc && icc <= hi && lo < hi)
        #expect((g.kendallWLow ?? 2) <= w && w <= (g.kendallWHigh ?? -1))
        #expect(g.fewApplicants && g.maxReviewersPerApplicant == 5)
    }

    @Test("A rubric whose reviewers enter no points reports no agreement figures")
    func noPoints() throws {
        let rubric = Rubric(id: "data-only", name: "数据", total: 100, grades: [GradeBand(name: "合格", min: 0)],
                            root: [RubricNode(id: "v", name: "数据指标", weight: 100, unit: "%", input: .value,
                                              rule: .proportional(zero: 0, full: 100))])
        var b = PanelBuilder(rubric: "data-only", reviewers: 4, applicants: (1...8).map { "A\($0)" })
        for i in 1...8 {
            b.data("A\(i)", ["v": Double(i) * 10])
            for r in 1...4 { b.sheet("r\(r)", "A\(i)", [:]) }
        }
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        #expect(res.agreement.icc == nil && res.agreement.kendallW == nil && res.agreement.iccGap == .noPoints)
    }

    @Test("Different reviewer sets and unconnected groups are noticed")
    func design() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 4, applicants: ["A", "B", "C", "D"])
        for (r, a, x) in [("r1", "A", 70.0), ("r2", "A", 72), ("r1", "B", 80), ("r2", "B", 79),
                          ("r3", "C", 60), ("r4", "C", 66), ("r3", "D", 90), ("r4", "D", 85)] {
            b.sheet(r, a, ["x": x])
        }
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(quorum: 2), outliers: OutlierSettings())
        #expect(res.agreement.reviewerSetsDiffer && res.agreement.components == 2)
        #expect(res.agreement.maxReviewersPerApplicant == 2 && res.flags.isEmpty)
    }
}

@Suite("Reviewer calibration")
struct CalibrationTests {
    @Test("Eigen decomposition: S v = λ v and orthonormal vectors")
    func eigen() {
        var rng = SplitMix64(seed: 3)
        let n = 23
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0...i {
            let v = Double(rng.next() % 2000) / 100 - 10
            m[i * n + j] = v
            m[j * n + i] = v
        } }
        let (values, vectors) = symmetricEigen(m, n)
        var worst = 0.0
        for k in 0..<n {
            for i in 0..<n {
                var s = 0.0
                for j in 0..<n { s += m[i * n + j] * vectors[k * n + j] }
                worst = max(worst, abs(s - values[k] * vectors[k * n + i]))
            }
            for l in 0..<n {
                var dot = 0.0
                for i in 0..<n { dot += vectors[k * n + i] * vectors[l * n + i] }
                worst = max(worst, abs(dot - (k == l ? 1 : 0)))
            }
        }
        #expect(worst < 1e-9)
    }

    @Test("Planted severities are recovered and adjusted scores are markedly closer to the truth (partial design)")
    func recovery() {
        // 120 applicants, 12 reviewers, 4 per applicant; one reviewer 10 points harsh, one 10 points lenient.
        let s = generatePartialDesign(applicants: 120, reviewers: 12, perApplicant: 4, severitySD: 2, noise: 3,
                                      shifts: [0: -10, 1: 10], seed: 11)
        let cal = calibrate(s.input, settings: CalibrationSettings(replicates: 100))
        let mean = s.severity.reduce(0, +) / Double(s.severity.count)
        let truth = s.severity.map { $0 - mean }
        let sev = cal.reviewers.map(\.severity)
        #expect(rmse(sev, truth) < 1.0, "severity rmse \(rmse(sev, truth))")
        #expect(cal.reviewers[0].severity < -7 && cal.reviewers[1].severity > 7)
        #expect(sev.firstIndex(of: sev.min() ?? 0) == 0 && sev.firstIndex(of: sev.max() ?? 0) == 1)
        // Every severity's interval (±2 SE) covers the truth for most reviewers.
        let covered = zip(cal.reviewers, truth).filter { abs($0.severity - $1) <= 2 * ($0.se ?? 0) }.count
        #expect(covered >= 10)
        let raw = cal.applicants.map { $0.raw ?? 0 }, adj = cal.applicants.map { $0.adjusted ?? 0 }
        let eRaw = rmse(raw, s.level), eAdj = rmse(adj, s.level)
        #expect(eAdj < 0.75 * eRaw, "raw \(eRaw) adjusted \(eAdj)")
        // Grades against the generator's truth.
        let bands = s.input.grades
        let trueGrade = s.level.map { bandIndex($0, bands) }
        let rawRight = zip(raw, trueGrade).filter { bandIndex($0, bands) == $1 }.count
        let adjRight = zip(adj, trueGrade).filter { bandIndex($0, bands) == $1 }.count
        #expect(adjRight > rawRight, "raw \(rawRight) adjusted \(adjRight) of 120")
        #expect(cal.variance.map { abs($0.residual.squareRoot() - 3) < 0.6 } == true)
        #expect(cal.components.count == 1 && cal.estimator == "REML")
    }

    @Test("The adjusted scores' standard errors match their spread over redrawn reviewers and errors")
    func standardErrors() {
        // One design, 150 redraws of severities ~ N(0, 3²) and errors ~ N(0, 4²) around fixed levels. The SE
        // includes the uncertainty of the whole panel's level (another draw of reviewers may be harsher on
        // average), so it is compared with the error over redraws, not within one panel.
        let base = generatePartialDesign(applicants: 50, reviewers: 10, perApplicant: 4, seed: 61)
        var rng = Xoshiro256StarStar(seed: 62)
        var squared = [Double](repeating: 0, count: 50)
        var se2 = [Double](repeating: 0, count: 50)
        let draws = 150
        for _ in 0..<draws {
            let b = (0..<10).map { _ in 3 * rng.normal() }
            var input = base.input
            for k in input.sheets.indices {
                let sh = input.sheets[k]
                input.sheets[k].score = base.level[sh.applicant] + b[sh.reviewer] + 4 * rng.normal()
            }
            let cal = calibrate(input, settings: CalibrationSettings(replicates: 0))
            for (j, a) in cal.applicants.enumerated() {
                squared[j] += pow((a.adjustedExact ?? 0) - base.level[j], 2)
                se2[j] += pow(a.se ?? 0, 2)
            }
        }
        let ratio = squared.reduce(0, +) / se2.reduce(0, +)
        #expect(ratio > 0.8 && ratio < 1.25, "empirical / model variance = \(ratio)")
    }

    @Test("A reviewer who is erratic (not biased) has a fit well above 1; the others near 1")
    func fit() {
        var s = generatePartialDesign(applicants: 150, reviewers: 10, perApplicant: 5, severitySD: 2, noise: 2, seed: 5)
        var rng = SplitMix64(seed: 9)
        for k in s.input.sheets.indices where s.input.sheets[k].reviewer == 3 {
            s.input.sheets[k].score += 8 * (Double(rng.next() % 1000) / 500 - 1)
        }
        let cal = calibrate(s.input, settings: CalibrationSettings(replicates: 0))
        let fits = cal.reviewers.map { $0.fit ?? 0 }
        #expect(fits[3] > 2 && fits.max() == fits[3], "\(fits)")
        #expect(fits.enumerated().filter { $0.offset != 3 }.allSatisfy { $0.element > 0.25 && $0.element < 1.3 }, "\(fits)")
    }

    @Test("A disconnected design: two components, severities compared (and summing to 0) only within each")
    func disconnected() {
        // Two separate panels: applicants 0–29 with reviewers 0–4, applicants 30–59 with reviewers 5–9.
        let a = generatePartialDesign(applicants: 30, reviewers: 5, perApplicant: 3, severitySD: 1, noise: 3, shifts: [0: -6], seed: 21)
        let b = generatePartialDesign(applicants: 30, reviewers: 5, perApplicant: 3, severitySD: 1, noise: 3, shifts: [0: 6], seed: 22)
        var sheets = a.input.sheets
        sheets += b.input.sheets.map { CalibrationSheet(applicant: $0.applicant + 30, reviewer: $0.reviewer + 5, score: $0.score) }
        let input = CalibrationInput(applicants: (0..<60).map { "A\($0)" }, reviewers: (0..<10).map { "R\($0)" },
                                     sheets: sheets, grades: defaultCalibrationBands)
        let cal = calibrate(input, settings: CalibrationSettings(replicates: 50))
        #expect(cal.components.count == 2)
        #expect(cal.components[0].reviewers == ["R0", "R1", "R2", "R3", "R4"])
        #expect(cal.components[1].reviewers == ["R5", "R6", "R7", "R8", "R9"])
        #expect(cal.components[0].applicants.count == 30 && cal.components[1].applicants.count == 30)
        let s0 = cal.reviewers[0..<5].reduce(0) { $0 + $1.severity }, s1 = cal.reviewers[5..<10].reduce(0) { $0 + $1.severity }
        #expect(abs(s0) < 1e-6 && abs(s1) < 1e-6)
        #expect(cal.reviewers[0].component == 0 && cal.reviewers[5].component == 1)
        let first = cal.reviewers[0..<5].map(\.severity), second = cal.reviewers[5..<10].map(\.severity)
        #expect(first.min() == first[0] && first[0] < -2 && second.max() == second[0] && second[0] > 2)
        // The components of the results' design check agree.
        let comps = designComponents(applicants: 60, reviewers: 10, sheets: sheets)
        #expect(comps.count == 2 && comps.applicant[0] == 0 && comps.applicant[59] == 1)
    }

    @Test("Reliability on a partial design matches the planted variances, with an interval")
    func reliability() {
        // Levels uniform on 55…95 (variance 40²/12 ≈ 133), severities SD 3, noise SD 4:
        // single-rater ICC = 133.3 / (133.3 + 9 + 16) ≈ 0.84.
        let s = generatePartialDesign(applicants: 400, reviewers: 40, perApplicant: 4, severitySD: 3, noise: 4, seed: 31)
        let cal = calibrate(s.input, settings: CalibrationSettings(replicates: 200))
        let levelVar = 40.0 * 40.0 / 12
        let mean = s.severity.reduce(0, +) / 40
        let sevVar = s.severity.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 39
        let truth = levelVar / (levelVar + sevVar + 16)
        let single = cal.reliability.singleRater
        #expect(single.map { abs($0.value - truth) < 0.04 } == true, "\(String(describing: single)) vs \(truth)")
        #expect(single.map { ($0.low ?? 1) < $0.value && $0.value < ($0.high ?? 0) } == true)
        #expect((cal.reliability.kRater?.value ?? 0) > (single?.value ?? 1))
        #expect(cal.reliability.k == 4 && cal.reliability.notes.isEmpty)
    }

    @Test("Too little data says why: one sheet per applicant, identical sheets, few applicants")
    func notes() {
        let one = CalibrationInput(applicants: ["A", "B"], reviewers: ["R1", "R2"],
                                   sheets: [CalibrationSheet(applicant: 0, reviewer: 0, score: 70),
                                            CalibrationSheet(applicant: 1, reviewer: 1, score: 80)])
        let c1 = calibrate(one)
        #expect(c1.variance == nil && c1.reliability.notes == [.noReplication] && c1.reliability.singleRater == nil)
        #expect(c1.applicants.map(\.adjusted) == [70, 80] && c1.components.count == 2)
        let same = CalibrationInput(applicants: ["A", "B"], reviewers: ["R1", "R2"],
                                    sheets: [0, 1].flatMap { a in [0, 1].map { CalibrationSheet(applicant: a, reviewer: $0, score: 75) } })
        #expect(calibrate(same).reliability.notes == [.identical])
        let small = generatePartialDesign(applicants: 12, reviewers: 4, perApplicant: 3, seed: 2)
        let c3 = calibrate(small.input, settings: CalibrationSettings(replicates: 40))
        #expect(c3.reliability.notes.contains(.fewApplicants) && c3.reliability.notes.contains(.fewReviewers))
    }

    @Test("Grade stability: far from a band boundary stable, on it about a coin toss and flagged")
    func stability() {
        // Levels 50…98: applicant levels placed on purpose: one exactly on the 75 boundary, one at 67.
        var s = generatePartialDesign(applicants: 60, reviewers: 10, perApplicant: 4, severitySD: 2, noise: 3, seed: 41)
        // Put applicant 0 on the boundary and applicant 1 far from any boundary by shifting their sheets.
        for k in s.input.sheets.indices {
            let a = s.input.sheets[k].applicant
            if a == 0 { s.input.sheets[k].score += 75 - s.level[0] }
            if a == 1 { s.input.sheets[k].score += 67.5 - s.level[1] }
        }
        let cal = calibrate(s.input, settings: CalibrationSettings(replicates: 400))
        let onEdge = cal.applicants[0], far = cal.applicants[1]
        #expect(abs((onEdge.adjustedExact ?? 0) - 75) < 4)
        #expect((far.gradeStabilityAdjusted ?? 1) < 0.05, "\(far)")
        // The chance of a flip grows as the score nears the boundary (normal approximation with the SE).
        let se = onEdge.se ?? 1
        let z = abs((onEdge.adjustedExact ?? 0) - 75) / se
        let expected = 0.5 * erfc(z / 2.0.squareRoot())
        #expect(abs((onEdge.gradeStabilityAdjusted ?? 0) - expected) < 0.12, "\(onEdge) expected \(expected)")
        let flagged = cal.applicants.filter(\.unstable)
        #expect(flagged.allSatisfy { ($0.gradeStability ?? 0) > 0.2 })
        #expect(cal.applicants.filter { ($0.gradeStability ?? 0) > 0.2 }.count == flagged.count)
    }

    @Test("Calibrating a panel's results: raw = the official scores, grades from the rubric's bands")
    func fromResults() throws {
        let mic = try bundledRubric("manufacturing-innovation-center")
        var b = syntheticPanel(mic, applicants: 16, reviewers: 7, noise: 0.05, seed: 8, severity: ["r2": -0.12])
        // Split the panel: r1–r4 score applicants 1–8 and r4–r7 applicants 9–16 (r4 links both halves).
        b.snapshot.sheets.removeAll { s in
            let a = Int(s.applicant.dropFirst()) ?? 0, r = Int(s.reviewer.dropFirst()) ?? 0
            return a <= 8 ? r > 4 : r < 4
        }
        let res = try aggregatePanel(b.snapshot, mic, config: PingshenConfig(aggregation: AggregationSettings(quorum: 3)))
        #expect(res.agreement.reviewerSetsDiffer && res.agreement.components == 1)
        let cal = calibrate(results: res, settings: CalibrationSettings(replicates: 60))
        #expect(cal.components.count == 1 && cal.sheets == 64)
        #expect(cal.reviewer("r2").map { $0.severity < -4 } == true)
        for a in res.applicants where a.status == .graded {
            let c = try #require(cal.applicant(a.id))
            #expect(c.raw == a.total && c.gradeRaw == a.grade)
            #expect(c.gradeAdjusted == c.adjusted.flatMap { mic.grade(for: $0)?.name })
        }
        // Applicants scored by the harsh r2 move up when adjusted.
        for a in res.applicants where a.counted.contains("r2") {
            let c = try #require(cal.applicant(a.id))
            #expect((c.adjusted ?? 0) > (a.totalsView ?? 100) - 0.01)
        }
    }

    @Test("--method calibrated: the official score is the adjusted score, rounded; grade and rank follow it")
    func calibratedMethod() throws {
        let rubric = flatRubric()
        // 30 applicants, 6 reviewers, 3 per applicant in a rotating design; r1 is 12 points harsh.
        let ids = (1...30).map { "A\($0)" }
        var b = PanelBuilder(rubric: "flat", reviewers: 6, applicants: ids)
        var rng = SplitMix64(seed: 77)
        for (k, a) in ids.enumerated() {
            let level = 60 + Double(k)
            for r in [k % 6, (k + 1) % 6, (k + 3) % 6] {
                let noise = Double(rng.next() % 400) / 100 - 2
                b.sheet("r\(r + 1)", a, ["x": ((level + (r == 0 ? -12 : 0) + noise) * 100).rounded() / 100])
            }
        }
        let raw = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        let cal = try aggregatePanel(b.snapshot, rubric, settings: settings(.calibrated), outliers: OutlierSettings())
        let model = calibrate(results: raw, settings: CalibrationSettings(replicates: 0))
        #expect(cal.settings.method == .calibrated)
        for a in cal.applicants {
            let m = try #require(model.applicant(a.id))
            #expect(a.method == .calibrated && a.total == officialRound(m.adjustedExact ?? 0).value)
            #expect(a.grade == a.total.flatMap { rubric.grade(for: $0)?.name })
        }
        // Against the truth (level 60 + k), up to the panel's common level (the six reviewers' mean severity,
        // −2 here, shifts every applicant alike and no data can tell it apart), the calibrated totals are
        // much closer than the raw ones.
        let truth = (0..<30).map { 60 + Double($0) }
        func centered(_ xs: [Double]) -> [Double] {
            let shift = zip(xs, truth).reduce(0) { $0 + $1.0 - $1.1 } / Double(xs.count)
            return xs.map { $0 - shift }
        }
        let eRaw = rmse(centered(raw.applicants.map { $0.total ?? 0 }), truth)
        let eCal = rmse(centered(cal.applicants.map { $0.total ?? 0 }), truth)
        #expect(eCal < 0.6 * eRaw, "raw \(eRaw) calibrated \(eCal)")
        #expect(try AggregationMethod.parse("calibrated") == .calibrated)
    }

    @Test("Agrees with statsmodels MixedLM (REML) within the stated tolerance")
    func statsmodels() throws {
        // 60 applicants × 15 reviewers, 4 per applicant; tolerance: 0.01 points for severities and adjusted
        // scores, 1 % for standard errors and variances.
        let s = generatePartialDesign(applicants: 60, reviewers: 15, perApplicant: 4, severitySD: 3, noise: 4,
                                      shifts: [0: -10, 1: 10], seed: 51)
        let cal = calibrate(s.input, settings: CalibrationSettings(replicates: 0))
        let v = try #require(cal.variance)
        var reviewers: [String: Any] = [:]
        for r in cal.reviewers { reviewers[r.id] = ["severity": r.severity, "se": r.se ?? 0] }
        var applicants: [String: Any] = [:]
        for a in cal.applicants { applicants[a.id] = ["adjusted": a.adjustedExact ?? 0, "se": a.se ?? 0] }
        let sheets = s.input.sheets.map { ["applicant": s.input.applicants[$0.applicant], "reviewer": s.input.reviewers[$0.reviewer],
                                           "score": $0.score] as [String: Any] }
        let spec: [String: Any] = ["sheets": sheets,
                                   "pingshen": ["reviewers": reviewers, "applicants": applicants,
                                                "variance": ["reviewer": v.reviewer, "residual": v.residual]],
                                   "tolerance": ["points": 0.01, "relative": 0.01]]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pingshen-cal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.json"), output = dir.appendingPathComponent("out.json")
        try JSONSerialization.data(withJSONObject: spec).write(to: input)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", repoRoot + "/scripts/check-calibration.py", input.path, output.path]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
        let abs = report["max_abs_diff"] as? [String: Double] ?? [:]
        let rel = report["max_rel_diff"] as? [String: Double] ?? [:]
        #expect(p.terminationStatus == 0 && report["ok"] as? Bool == true, "\(report)")
        #expect((abs["severity"] ?? 1) <= 0.01 && (abs["adjusted"] ?? 1) <= 0.01)
        #expect((rel["reviewer_variance"] ?? 1) <= 0.01 && (rel["residual_variance"] ?? 1) <= 0.01 && (rel["adjusted_se"] ?? 1) <= 0.01)
    }
}
