import Foundation
import Testing
@testable import PingshenCore

// MARK: - Fixtures shared by the aggregation and outlier tests

/// A small rubric whose numbers are easy to follow by hand:
///
///     a  (60)        a1 points 0–30 (step 0.5), a2 points 0–30 (step 0.5)
///     b  (40, cap)   b1 points 0–30 (step 0.5), b2 value: proportional 0 → 0, 100 → 20 points
///
/// b's children's maxima add up to 50, capped at 40. Grades 优秀 90 / 良好 75 / 合格 60 / 不合格 0.
/// Eligibility variant `std`: revenue ≥ 100 万元.
func tinyRubric(provisional: Set<String> = [], gradesProvisional: Bool = false) -> Rubric {
    func leaf(_ id: String, _ w: Double) -> RubricNode {
        RubricNode(id: id, name: "指标\(id)", nameEn: "Indicator \(id)", weight: w, input: .points,
                   rule: .discretionary(step: 0.5), provisional: provisional.contains(id))
    }
    let b2 = RubricNode(id: "b2", name: "指标b2", nameEn: "Indicator b2", weight: 20, unit: "%", input: .value,
                        rule: .proportional(zero: 0, full: 100), provisional: provisional.contains("b2"))
    return Rubric(
        id: "tiny", name: "测试评分表", nameEn: "Test rubric", total: 100,
        grades: [GradeBand(name: "优秀", nameEn: "Excellent", min: 90), GradeBand(name: "良好", nameEn: "Good", min: 75),
                 GradeBand(name: "合格", nameEn: "Qualified", min: 60), GradeBand(name: "不合格", nameEn: "Not qualified", min: 0)],
        gradesProvisional: gradesProvisional, gradesNote: gradesProvisional ? "暂定分数线" : nil,
        eligibility: [EligibilityVariant(id: "std", name: "标准", gates: [
            Gate(id: "revenue", name: "营业收入", nameEn: "Revenue", op: .ge, threshold: 100, unit: "万元"),
        ])],
        root: [
            RubricNode(id: "a", name: "一级a", nameEn: "Level a", weight: 60, provisional: provisional.contains("a"),
                       children: [leaf("a1", 30), leaf("a2", 30)]),
            RubricNode(id: "b", name: "一级b", nameEn: "Level b", weight: 40, cap: true, provisional: provisional.contains("b"),
                       children: [leaf("b1", 30), b2]),
        ])
}

/// One points leaf x worth 0–100: a reviewer's total is their points on x.
func flatRubric() -> Rubric {
    Rubric(id: "flat", name: "单项", total: 100,
           grades: [GradeBand(name: "优秀", min: 90), GradeBand(name: "良好", min: 75), GradeBand(name: "合格", min: 60),
                    GradeBand(name: "不合格", min: 0)],
           root: [RubricNode(id: "x", name: "单项指标", weight: 100, input: .points, rule: .discretionary(step: nil))])
}

/// Builds panel snapshots for tests.
struct PanelBuilder {
    var snapshot: PanelSnapshot

    init(rubric: String, reviewers: Int, applicants: [String], round: String = "初评", variant: String? = nil) {
        snapshot = PanelSnapshot(
            panel: PanelInfo(id: "P1", rubricId: rubric, title: "测试评审组", round: round, variant: variant),
            reviewers: (1...max(reviewers, 1)).prefix(reviewers).map { ReviewerInfo(id: "r\($0)", name: "专家\($0)") },
            applicants: applicants.map { ApplicantInfo(id: $0, name: "单位\($0)") },
            data: [:], sheets: [], recusals: [])
    }

    mutating func sheet(_ reviewer: String, _ applicant: String, _ points: [String: Double], round: String? = nil,
                        submitted: Bool = true) {
        snapshot.sheets.append(SheetRecord(reviewer: reviewer, applicant: applicant, round: round ?? snapshot.panel.round,
                                           points: points, submitted: submitted))
    }

    mutating func data(_ applicant: String, _ values: [String: Double], industry: String? = nil) {
        snapshot.data[applicant] = ApplicantData(values: values, industry: industry)
    }

    mutating func recuse(_ reviewer: String, _ applicant: String) {
        snapshot.recusals.append(Recusal(reviewer: reviewer, applicant: applicant, reason: "任职关系"))
    }

    /// Flat rubric: one sheet per reviewer with these totals (r1, r2, … in order).
    mutating func totals(_ applicant: String, _ xs: [Double]) {
        for (i, x) in xs.enumerated() { sheet("r\(i + 1)", applicant, ["x": x]) }
    }
}

func close(_ a: Double?, _ b: Double, _ tol: Double = 1e-9) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tol
}

func settings(_ method: AggregationMethod = .auto, trimMin: Int = 5, quorum: Int = 3, view: AggregationView = .totals) -> AggregationSettings {
    AggregationSettings(method: method, trimMinReviewers: trimMin, quorum: quorum, view: view)
}

// MARK: - Tests

@Suite("Panel aggregation")
struct AggregationTests {
    /// Five reviewers on the tiny rubric; b2's verified value 80% earns 16 points for everyone.
    ///
    ///     reviewer  a1  a2  b1 | a = a1+a2 | b = min(b1+16, 40) | total
    ///     r1        20  20  20 |    40     |        36          |  76
    ///     r2        25  22  25 |    47     |   min(41, 40) = 40 |  87
    ///     r3        30  25  30 |    55     |   min(46, 40) = 40 |  95
    ///     r4        15  10  10 |    25     |        26          |  51
    ///     r5        28  24  28 |    52     |   min(44, 40) = 40 |  92
    func fivePanel() -> PanelBuilder {
        var b = PanelBuilder(rubric: "tiny", reviewers: 5, applicants: ["A1"], variant: "std")
        let sheets: [[Double]] = [[20, 20, 20], [25, 22, 25], [30, 25, 30], [15, 10, 10], [28, 24, 28]]
        for (i, s) in sheets.enumerated() {
            b.sheet("r\(i + 1)", "A1", ["a1": s[0], "a2": s[1], "b1": s[2]])
        }
        b.data("A1", ["b2": 80, "revenue": 200])
        return b
    }

    @Test("Every method in both views against hand-computed values")
    func methodsHandComputed() throws {
        let rubric = tinyRubric()
        let snap = fivePanel().snapshot
        let trimmed = try #require(try aggregatePanel(snap, rubric, settings: settings(.trimmed), outliers: OutlierSettings()).applicants.first)
        #expect(trimmed.reviewerTotals.map(\.total) == [76, 87, 95, 51, 92])
        // Totals view: drop 51 and 95 → (76 + 87 + 92) / 3 = 85.
        #expect(close(trimmed.totalsView, 85))
        // Indicators view: a1 {15,20,25,28,30} → (20+25+28)/3 = 73/3; a2 {10,20,22,24,25} → 22;
        // b1 {10,20,25,28,30} → 73/3; a = 73/3 + 22 = 139/3; b = min(73/3 + 16, 40) = 40 (capped);
        // total = 139/3 + 40 = 259/3.
        #expect(close(trimmed.indicatorsView, 259.0 / 3))
        #expect(close(trimmed.node("a1")?.points, 73.0 / 3))
        #expect(close(trimmed.node("a")?.points, 139.0 / 3))
        #expect(close(trimmed.node("b")?.points, 40))
        #expect(close(trimmed.node("b2")?.points, 16))
        #expect(trimmed.method == .trimmed)
        #expect(trimmed.reviewerTotals.filter { $0.trimmed }.map(\.reviewer).sorted() == ["r3", "r4"])
        #expect(close(trimmed.total, 85))  // the configured view is totals
        #expect(trimmed.grade == "良好" && trimmed.gradeEn == "Good")

        let mean = try #require(try aggregatePanel(snap, rubric, settings: settings(.mean), outliers: OutlierSettings()).applicants.first)
        // (76 + 87 + 95 + 51 + 92) / 5 = 401/5; indicators: a1 118/5 + a2 101/5 + min(113/5 + 16, 40) = 82.4
        #expect(close(mean.totalsView, 80.2))
        #expect(close(mean.indicatorsView, 82.4))
        #expect(mean.reviewerTotals.allSatisfy { !$0.trimmed })

        let median = try #require(try aggregatePanel(snap, rubric, settings: settings(.median), outliers: OutlierSettings()).applicants.first)
        // Totals median 87; indicators a1 25 + a2 22 + min(25 + 16, 40) = 87.
        #expect(close(median.totalsView, 87))
        #expect(close(median.indicatorsView, 87))

        // auto with 5 scoring reviewers (≥ trimMinReviewers 5) is the trimmed mean.
        let auto = try #require(try aggregatePanel(snap, rubric, settings: settings(.auto), outliers: OutlierSettings()).applicants.first)
        #expect(auto.method == .trimmed)
        #expect(auto.totalsView == trimmed.totalsView && auto.indicatorsView == trimmed.indicatorsView)

        // The indicators view is scoreSheet of the combined leaf points.
        let combined = ["a1": 73.0 / 3, "a2": 22.0, "b1": 73.0 / 3]
        let sheet = scoreSheet(rubric: rubric, points: combined, data: ApplicantData(values: ["b2": 80]))
        #expect(trimmed.indicatorsView == sheet.total)
    }

    @Test("Trimming with 4, 5 and 9 reviewers, and with ties at the extremes")
    func trimming() throws {
        let rubric = flatRubric()
        func run(_ xs: [Double], _ s: AggregationSettings) throws -> ApplicantResult {
            var b = PanelBuilder(rubric: "flat", reviewers: xs.count, applicants: ["A"])
            b.totals("A", xs)
            return try #require(try aggregatePanel(b.snapshot, rubric, settings: s, outliers: OutlierSettings()).applicants.first)
        }
        // 4 reviewers: auto is the plain mean (60+70+80+95)/4 = 76.25; trimmed on request (70+80)/2 = 75.
        let four = try run([60, 70, 80, 95], settings())
        #expect(four.method == .mean && close(four.total, 76.25))
        let fourT = try run([60, 70, 80, 95], settings(.trimmed))
        #expect(fourT.method == .trimmed && close(fourT.total, 75))
        // 5 reviewers: auto trims → (70+80+90)/3 = 80 (the mean would be 79).
        let five = try run([60, 70, 80, 90, 95], settings())
        #expect(five.method == .trimmed && close(five.total, 80))
        #expect(close(try run([60, 70, 80, 90, 95], settings(.mean)).total, 79))
        // 9 reviewers: drop 60 and 99 → (70+72+75+78+80+81+85)/7 = 541/7; mean 700/9; median 78.
        let nine: [Double] = [81, 60, 72, 99, 75, 78, 70, 85, 80]
        // The official total is the exact combination rounded half-up to 2 decimals (totalsView keeps it exact).
        let nineTrimmed = try run(nine, settings()), nineMean = try run(nine, settings(.mean))
        #expect(close(nineTrimmed.total, 77.29) && close(nineTrimmed.totalsView, 541.0 / 7))
        #expect(close(nineMean.total, 77.78) && close(nineMean.totalsView, 700.0 / 9))
        #expect(close(try run(nine, settings(.median)).total, 78))
        // Ties: only one highest and one lowest are dropped: {90, 90, 80, 70, 60} → (90+80+70)/3 = 80.
        let ties = try run([90, 90, 80, 70, 60], settings())
        #expect(close(ties.total, 80))
        #expect(ties.reviewerTotals.filter { $0.trimmed }.count == 2)
        // A higher trim threshold keeps 5 reviewers on the mean.
        #expect(try run([60, 70, 80, 90, 95], settings(trimMin: 7)).method == .mean)
        // trimmed with only 2 scores cannot drop anything: the mean.
        let two = try run([60, 80], settings(.trimmed, quorum: 1))
        #expect(two.method == .mean && close(two.total, 70))
    }

    @Test("Fewer submitted sheets than the quorum: incomplete, no grade, no rank")
    func quorum() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 4, applicants: ["A", "B"])
        b.totals("A", [80, 82, 84])
        b.sheet("r4", "A", ["x": 10], submitted: false)
        b.totals("B", [70, 71, 72, 73])
        let q4 = try aggregatePanel(b.snapshot, rubric, settings: settings(quorum: 4), outliers: OutlierSettings())
        let a = try #require(q4.applicant("A"))
        #expect(a.status == .incomplete && !a.quorumMet)
        #expect(a.total == nil && a.grade == nil && a.rank == nil)
        #expect(a.counted == ["r1", "r2", "r3"] && a.unsubmitted == ["r4"])
        #expect(close(a.totalsView, 82))  // still shown for information, never graded
        #expect(q4.applicant("B")?.status == .graded && q4.applicant("B")?.rank == 1)
        #expect(q4.counts == StatusCounts(graded: 1, incomplete: 1, ineligible: 0))
        #expect(q4.reviewer("r4")?.unsubmitted == 1)

        let q3 = try aggregatePanel(b.snapshot, rubric, settings: settings(quorum: 3), outliers: OutlierSettings())
        #expect(q3.applicant("A")?.status == .graded && close(q3.applicant("A")?.total, 82))
        #expect(q3.applicant("A")?.rank == 1 && q3.applicant("B")?.rank == 2)

        // The panel's quorum beats the configuration.
        var s = b.snapshot
        s.panel.quorum = 4
        let p = try aggregatePanel(s, rubric, settings: settings(quorum: 3), outliers: OutlierSettings())
        #expect(p.applicant("A")?.status == .incomplete)
        #expect(p.settings.quorum == 4 && p.settings.quorumSource == .panel)
    }

    @Test("Eligibility gates are checked first; failures name the gate, the value and the requirement")
    func eligibility() throws {
        let rubric = tinyRubric()
        var b = PanelBuilder(rubric: "tiny", reviewers: 3, applicants: ["A1", "A2", "A3"], variant: "std")
        for a in ["A1", "A2", "A3"] {
            for r in ["r1", "r2", "r3"] { b.sheet(r, a, ["a1": 25, "a2": 25, "b1": 20]) }
        }
        b.data("A1", ["b2": 50, "revenue": 200])
        b.data("A2", ["b2": 50, "revenue": 50])
        b.data("A3", ["b2": 50])
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        let a1 = try #require(res.applicant("A1"))
        #expect(a1.status == .graded && close(a1.total, 80) && a1.rank == 1)
        let a2 = try #require(res.applicant("A2"))
        #expect(a2.status == .ineligible && a2.grade == nil && a2.rank == nil && a2.total == nil)
        #expect(a2.failedGates == [GateFailure(gate: "revenue", field: "revenue", name: "营业收入", nameEn: "Revenue",
                                               value: 50, unit: "万元", requirement: ">= 100 万元", provisional: false)])
        let a3 = try #require(res.applicant("A3"))
        #expect(a3.status == .ineligible && a3.failedGates.first?.value == nil)
        #expect(res.counts.ineligible == 2)
    }

    @Test("Rounds: the panel's current round by default, an earlier round on request, an unknown round refused")
    func rounds() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 3, applicants: ["A"], round: "现场考察")
        for (r, x) in [("r1", 60.0), ("r2", 62), ("r3", 64)] { b.sheet(r, "A", ["x": x], round: "初评") }
        for (r, x) in [("r1", 80.0), ("r2", 82), ("r3", 84)] { b.sheet(r, "A", ["x": x]) }
        let current = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        #expect(current.round == "现场考察" && close(current.applicant("A")?.total, 82))
        #expect(current.rounds == ["现场考察", "初评"])
        let initial = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings(), round: "初评")
        #expect(initial.round == "初评" && close(initial.applicant("A")?.total, 62))
        #expect(throws: PingshenError("report.unknown_round", ["复评", "P1", "现场考察、初评"])) {
            try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings(), round: "复评")
        }
    }

    @Test("A recused reviewer is left out of the applicant and reported")
    func recusal() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 5, applicants: ["A", "B"])
        b.totals("A", [70, 100, 72, 74, 76])  // r2's sheet exists but r2 is recused
        b.totals("B", [70, 71, 72, 73, 74])
        b.recuse("r2", "A")
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        let a = try #require(res.applicant("A"))
        #expect(a.counted == ["r1", "r3", "r4", "r5"] && a.recused == ["r2"])
        // 4 counted reviewers: auto is the mean (70+72+74+76)/4 = 73.
        #expect(a.method == .mean && close(a.total, 73))
        #expect(res.reviewer("r2")?.recusedFrom == ["A"] && res.reviewer("r2")?.sheetsCounted == 1)
        #expect(res.applicant("B")?.method == .trimmed && close(res.applicant("B")?.total, 72))
    }

    @Test("Value leaves are scored once from the verified data; a missing value leaves the applicant incomplete")
    func valueLeaves() throws {
        let rubric = tinyRubric()
        var b = PanelBuilder(rubric: "tiny", reviewers: 3, applicants: ["A1", "A2"], variant: "std")
        for r in ["r1", "r2", "r3"] {
            // A points entry for the value leaf b2 in a sheet is ignored.
            b.sheet(r, "A1", ["a1": 20, "a2": 20, "b1": 10, "b2": 0])
            b.sheet(r, "A2", ["a1": 20, "a2": 20, "b1": 10])
        }
        b.data("A1", ["b2": 25, "revenue": 500])  // 25% → 5 points
        b.data("A2", ["revenue": 500])
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        let a1 = try #require(res.applicant("A1"))
        #expect(a1.reviewerTotals.map(\.total) == [55, 55, 55])
        #expect(close(a1.node("b2")?.points, 5) && close(a1.total, 55))
        let a2 = try #require(res.applicant("A2"))
        #expect(a2.status == .incomplete && a2.missingData == ["b2"] && a2.quorumMet)
        #expect(a2.node("b2")?.points == nil)
    }

    @Test("The official total is the configured view; the panel's view and method beat the configuration")
    func officialView() throws {
        let rubric = tinyRubric()
        var snap = fivePanel().snapshot
        let ind = try aggregatePanel(snap, rubric, settings: settings(.trimmed, view: .indicators), outliers: OutlierSettings())
        #expect(close(ind.applicants[0].total, 86.33) && close(ind.applicants[0].indicatorsView, 259.0 / 3) && ind.settings.view == .indicators)
        snap.panel.view = .totals
        snap.panel.method = .median
        let panel = try aggregatePanel(snap, rubric, settings: settings(.trimmed, view: .indicators), outliers: OutlierSettings())
        #expect(close(panel.applicants[0].total, 87))
        #expect(panel.settings.method == .median && panel.settings.methodSource == .panel && panel.settings.viewSource == .panel)
        // A method given on the command line beats the panel.
        let cmd = try aggregatePanel(snap, rubric, settings: settings(), outliers: OutlierSettings(), method: .mean)
        #expect(close(cmd.applicants[0].total, 80.2) && cmd.settings.methodSource == .command)
        // Unknown names are refused where they are read (typed from then on); the wrong rubric is refused.
        #expect(throws: PingshenError.self) { try AggregationMethod.parse("geometric", field: "panel.method") }
        #expect(throws: PingshenError("report.rubric_mismatch", ["P1", "tiny", "flat"])) {
            try aggregatePanel(fivePanel().snapshot, flatRubric(), settings: settings(), outliers: OutlierSettings())
        }
    }

    @Test("Equal totals at 2 decimals share a rank (并列) and the next rank is skipped")
    func ranks() throws {
        let rubric = flatRubric()
        var b = PanelBuilder(rubric: "flat", reviewers: 3, applicants: ["A", "B", "C", "D", "E"])
        b.totals("A", [90, 90, 90])
        b.totals("B", [85.001, 85.001, 85.001])
        b.totals("C", [84.999, 84.999, 84.999])
        b.totals("D", [70, 70, 70])
        b.totals("E", [95, 95])  // below the quorum: not ranked
        let res = try aggregatePanel(b.snapshot, rubric, settings: settings(), outliers: OutlierSettings())
        #expect(res.applicants.map(\.rank) == [1, 2, 2, 4, nil])
        #expect(res.applicants.map(\.tied) == [false, true, true, false, false])
        #expect(res.ranked.map(\.id) == ["A", "B", "C", "D", "E"])
    }

    @Test("Provisional nodes that contributed, provisional grade bands and gates are listed")
    func provisional() throws {
        var snap = fivePanel().snapshot
        let plain = try aggregatePanel(snap, tinyRubric(), settings: settings(), outliers: OutlierSettings())
        #expect(!plain.provisional.any && plain.applicants[0].provisionalNodes.isEmpty && !plain.applicants[0].provisional)

        let leafProv = try aggregatePanel(snap, tinyRubric(provisional: ["b2"]), settings: settings(), outliers: OutlierSettings())
        #expect(leafProv.applicants[0].provisionalNodes == ["b2"])
        #expect(leafProv.provisional.any && leafProv.provisional.nodes == ["b2"] && leafProv.provisional.applicants == 1)
        #expect(leafProv.indicator("b2")?.provisional == true && leafProv.indicator("b1")?.provisional == false)

        let parentProv = try aggregatePanel(snap, tinyRubric(provisional: ["b"], gradesProvisional: true),
                                            settings: settings(), outliers: OutlierSettings())
        let a = parentProv.applicants[0]
        #expect(a.provisionalNodes == ["b"] && a.gradeProvisional && a.provisional)
        #expect(parentProv.indicator("b1")?.provisional == true)

        // A provisional value leaf without data contributed nothing.
        snap.data["A1"] = ApplicantData(values: ["revenue": 200])
        let missing = try aggregatePanel(snap, tinyRubric(provisional: ["b2"]), settings: settings(), outliers: OutlierSettings())
        #expect(missing.applicants[0].provisionalNodes.isEmpty)
    }

    @Test("The bundled rubrics: provisional nodes of a real rubric reach the results")
    func bundledProvisional() throws {
        let rubric = try bundledRubric("tech-innovation-demo-enterprise")
        var b = PanelBuilder(rubric: rubric.id, reviewers: 3, applicants: ["A"])
        for r in ["r1", "r2", "r3"] {
            var pts: [String: Double] = [:]
            for l in rubric.leaves { pts[l.id] = l.weight / 2 }
            b.sheet(r, "A", pts)
        }
        b.data("A", ["legal-person": 1, "domestic-base": 1, "provincial-center": 1, "employees": 500,
                     "annual-sales": 5000, "total-assets": 5000, "rd-intensity": 4, "profitable-3y": 1])
        let res = try aggregatePanel(b.snapshot, rubric, config: repoConfig)
        let a = try #require(res.applicant("A"))
        #expect(close(a.total, 50, 1e-9) && a.status == .graded)
        #expect(a.grade == "不合格" && a.gradeProvisional)
        let provisionalIds = Set(rubric.nodesWithPath.filter { $0.node.provisional }.map { $0.node.id })
        #expect(!a.provisionalNodes.isEmpty && a.provisionalNodes.allSatisfy { provisionalIds.contains($0) })
    }

    @Test("The flat scorer gives exactly what scoreSheet gives on every bundled rubric")
    func compiledMatchesScoreSheet() throws {
        var rng = SplitMix64(seed: 7)
        for id in ["manufacturing-innovation-center", "tech-innovation-demo-enterprise", "tech-center-evaluation"] {
            let rubric = try bundledRubric(id)
            let cr = CompiledRubric(rubric)
            let industry = rubric.industries?.rows.first
            for _ in 0..<200 {
                var points: [String: Double] = [:]
                var data = ApplicantData(industry: industry?.name)
                var row = [Double](repeating: .nan, count: cr.leafCount)
                for (li, leaf) in rubric.leaves.enumerated() {
                    if leaf.input == .value {
                        if rng.unit() < 0.9 { data.values[leaf.id] = rng.unit() * 120 }
                        row[li] = pointsFromValue(leaf, value: data.values[leaf.id],
                                                  industry: industry) ?? .nan
                    } else if rng.unit() < 0.9 {
                        let p = (rng.unit() * leaf.weight * 2).rounded() / 2
                        points[leaf.id] = p
                        row[li] = p
                    }
                }
                let expected = scoreSheet(rubric: rubric, points: points, data: data)
                var earned = [Double](repeating: 0, count: cr.nodeCount)
                let total = row.withUnsafeBufferPointer { rp in
                    earned.withUnsafeMutableBufferPointer { cr.score(rp, earned: $0) }
                }
                #expect(total == expected.total)
                for (i, id) in cr.ids.enumerated() {
                    #expect(earned[i] == expected.nodeTotals[id], "\(rubric.id) \(id)")
                }
            }
        }
    }
}

/// A small deterministic random generator for test panels.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Roughly normal (sum of uniforms), mean 0, SD 1.
    mutating func normal() -> Double { (0..<12).reduce(0.0) { acc, _ in acc + unit() } - 6 }
}
