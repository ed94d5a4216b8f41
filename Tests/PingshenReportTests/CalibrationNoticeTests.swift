import Foundation
import PingshenCore
import PingshenReport
import Testing

@Suite("Results notice when reviewer sets differ")
struct CalibrationNoticeTests {
    /// 30 applicants, 6 reviewers, 3 per applicant in a rotating design; r1 is 12 points harsh, so some
    /// applicants it scored fall a band below their level.
    func rotatingPanel() -> (PanelSnapshot, Rubric) {
        let rubric = Rubric(id: "flat", name: "单项", total: 100,
                            grades: [GradeBand(name: "优秀", nameEn: "Excellent", min: 90), GradeBand(name: "良好", nameEn: "Good", min: 75),
                                     GradeBand(name: "合格", nameEn: "Qualified", min: 60), GradeBand(name: "不合格", nameEn: "Not qualified", min: 0)],
                            root: [RubricNode(id: "x", name: "单项指标", weight: 100, input: .points, rule: .discretionary(step: nil))])
        let ids = (1...30).map { "A\($0)" }
        var sheets: [SheetRecord] = []
        var rng = SplitMix64(seed: 77)
        for (k, a) in ids.enumerated() {
            for r in [k % 6, (k + 1) % 6, (k + 3) % 6] {
                let noise = Double(rng.next() % 400) / 100 - 2
                let x = ((60 + Double(k) + (r == 0 ? -12 : 0) + noise) * 100).rounded() / 100
                sheets.append(SheetRecord(reviewer: "r\(r + 1)", applicant: a, round: "初评", points: ["x": x], submitted: true))
            }
        }
        let snap = PanelSnapshot(panel: PanelInfo(id: "P1", rubricId: "flat", title: "测试", round: "初评"),
                                 reviewers: (1...6).map { ReviewerInfo(id: "r\($0)", name: "专家\($0)") },
                                 applicants: ids.map { ApplicantInfo(id: $0, name: "单位\($0)") }, data: [:], sheets: sheets, recusals: [])
        return (snap, rubric)
    }

    @Test("results names calibrate and the grades calibration would change; not under --method calibrated")
    func notice() throws {
        let (snap, rubric) = rotatingPanel()
        let res = try aggregatePanel(snap, rubric, settings: AggregationSettings(), outliers: OutlierSettings())
        let lines = ResultsText.summaryLines(res, rubric: rubric, lang: .en)
        #expect(lines.contains { $0.contains("pingshen calibrate P1") })
        let cal = calibrate(results: res, settings: CalibrationSettings(replicates: 0))
        #expect(cal.gradesChanged > 0)
        let changeLine = try #require(lines.first { $0.contains("grade(s) would differ") })
        #expect(changeLine.hasPrefix("With each reviewer's severity removed, \(cal.gradesChanged) grade(s)"))
        for c in cal.applicants where c.gradeRaw != c.gradeAdjusted {
            #expect(changeLine.contains("单位\(c.id) (\(c.gradeRawEn ?? "") → \(c.gradeAdjustedEn ?? ""))"))
        }
        var calibrated = AggregationSettings()
        calibrated.method = .calibrated
        let official = try aggregatePanel(snap, rubric, settings: calibrated, outliers: OutlierSettings())
        let lines2 = ResultsText.summaryLines(official, rubric: rubric, lang: .zh)
        #expect(!lines2.contains { $0.contains("等级会不同") } && lines2.contains { $0.contains("综合得分采用校准得分") })
    }

    @Test("Under the calibrated method the report and the xlsx show the adjusted total beside the raw score")
    func sideBySide() throws {
        let (snap, rubric) = rotatingPanel()
        var calibrated = AggregationSettings()
        calibrated.method = .calibrated
        let official = try aggregatePanel(snap, rubric, settings: calibrated, outliers: OutlierSettings())
        // Adjusted and raw differ for some applicant (r1 is harsh), and both are in the results.
        #expect(official.applicants.contains { a in
            guard let t = a.total, let raw = a.totalsView else { return false }
            return abs(t - raw) >= 0.01
        })
        let html = ReportExporter.html(official, rubric: rubric, lang: .en, date: "2026-12-01")
        #expect(html.contains("Adjusted total") && html.contains("Raw score (not calibrated, totals view)"))
        let raw = try aggregatePanel(snap, rubric, settings: AggregationSettings(), outliers: OutlierSettings())
        let plain = ReportExporter.html(raw, rubric: rubric, lang: .en, date: "2026-12-01")
        #expect(!plain.contains("Adjusted total"))
        let xlsx = try ReportExporter.xlsx(official, rubric: rubric, lang: .en, date: "2026-12-01")
        let file = try tempDir().appendingPathComponent("cal.xlsx")
        try xlsx.write(to: file)
        let read = try #require(try python(openpyxlScript, file.path) as? [String: Any])
        let header = try #require((read["results"] as? [[Any]])?.first?.compactMap { $0 as? String })
        #expect(header.contains("Adjusted total") && header.contains("Raw score (not calibrated, totals view)"), "\(header)")
    }
}
