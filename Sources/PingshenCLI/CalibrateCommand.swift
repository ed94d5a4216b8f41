import ArgumentParser
import Foundation
import PingshenCore
import PingshenReport

/// `pingshen calibrate PANEL [--json]`: reviewer severities, fits, the design's components, reliability
/// for any design and, per applicant, raw and adjusted scores, their grades and how stable each grade is
/// (issue 12; docs/statistics.md §6).
struct CalibrateCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Reviewer calibration: severities, adjusted scores and grades, reliability, grade stability.",
        discussion: """
            Fits total = applicant's level + reviewer's severity + error on every counted sheet of the round (REML),
            so that applicants scored by different reviewers can be compared. The official method stays the panel's
            (the trimmed mean by default); this command shows what adjusting for severity would change.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String
    @Flag(name: .long, help: "Print JSON (components, reviewers, applicants, reliability).") var json = false
    @Option(help: "Bootstrap replicates for grade stability and the reliability intervals (default 400).")
    var replicates: Int = 400

    struct Output: Encodable {
        struct Reviewer: Encodable {
            var id: String
            var name: String
            var severity: Double
            var se: Double?
            var sheets: Int
            var fit: Double?
            var component: Int?
        }
        struct Applicant: Encodable {
            var id: String
            var name: String
            var status: String
            var component: Int?
            var sheets: Int
            var raw: Double?
            var adjusted: Double?
            var se: Double?
            var gradeRaw: String?
            var gradeAdjusted: String?
            var gradeStability: Double?
            var gradeStabilityAdjusted: Double?
            var unstable: Bool
        }
        var panel: String
        var round: String
        var estimator: String
        var sheets: Int
        var components: [CalibrationComponent]
        var reviewers: [Reviewer]
        var applicants: [Applicant]
        var variance: VarianceComponents?
        var reliability: CalibrationReliability
        var replicates: Int
        var stabilityThreshold: Double
        var gradesChanged: Int
        var ranksChanged: Int
    }

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let (results, rubric) = try env.panelResults(store, panel, options)
        if !rubric.leaves.contains(where: { $0.input != .value }) {
            throw PingshenError("cal.no_points", [panel])
        }
        guard results.applicants.contains(where: { !$0.reviewerTotals.isEmpty }) else {
            throw PingshenError("cal.no_sheets", [panel, results.round])
        }
        let settings = CalibrationSettings(decimals: results.settings.decimals,
                                           stabilityThreshold: env.config.aggregation.stabilityThreshold,
                                           replicates: max(0, min(replicates, 10_000)))
        let cal = calibrate(results: results, settings: settings)
        let lang = env.lang
        if json {
            let out = Output(
                panel: results.panel.id, round: results.round, estimator: cal.estimator, sheets: cal.sheets,
                components: cal.components,
                reviewers: zip(cal.reviewers, results.reviewers).map { c, r in
                    Output.Reviewer(id: c.id, name: r.name, severity: c.severity, se: c.se, sheets: c.sheets, fit: c.fit,
                                    component: c.component)
                },
                applicants: zip(cal.applicants, results.applicants).map { c, a in
                    Output.Applicant(id: c.id, name: a.name, status: a.status.rawValue, component: c.component, sheets: c.sheets,
                                     raw: c.raw, adjusted: c.adjusted, se: c.se,
                                     gradeRaw: lang == .en ? c.gradeRawEn : c.gradeRaw,
                                     gradeAdjusted: lang == .en ? c.gradeAdjustedEn : c.gradeAdjusted,
                                     gradeStability: c.gradeStability, gradeStabilityAdjusted: c.gradeStabilityAdjusted,
                                     unstable: c.unstable)
                },
                variance: cal.variance, reliability: cal.reliability, replicates: cal.replicates,
                stabilityThreshold: cal.stabilityThreshold, gradesChanged: cal.gradesChanged, ranksChanged: cal.ranksChanged)
            Console.outRaw(String(decoding: try ReportExporter.jsonEncoder().encode(out), as: UTF8.self) + "\n")
            return
        }
        for line in CalibrationText.lines(cal, results: results, lang: lang) { Console.out(line) }
    }
}

/// The text of `pingshen calibrate`.
enum CalibrationText {
    static func pct(_ v: Double?, threshold: Double) -> String {
        guard let v else { return "" }
        return formatNumber(v * 100, decimals: 0) + "%" + (v > threshold ? " !" : "")
    }

    static func lines(_ cal: CalibrationResult, results: PanelResults, lang: Lang) -> [String] {
        func t(_ key: String, _ args: String...) -> String { Catalog.text(key, args, lang) }
        func num(_ v: Double?, _ d: Int = 2) -> String { v.map { formatNumber($0, decimals: d) } ?? "" }
        let listSep = lang == .en ? ", " : "、"
        var out: [String] = []
        let fitted = cal.applicants.filter { $0.sheets > 0 }.count
        out.append(t("cal.title", results.panel.id, results.round, String(cal.sheets),
                     String(cal.reviewers.filter { $0.sheets > 0 }.count), String(fitted)))
        out.append(t("cal.model"))
        if let v = cal.variance {
            out.append(t("cal.variance", num(v.reviewer.squareRoot()), num(v.residual.squareRoot()),
                         num(v.applicant.map { $0.squareRoot() })))
        } else {
            let why = cal.reliability.notes.first.map { t("cal.note.\($0.rawValue)", "") } ?? ""
            out.append(t("cal.variance_none", why))
        }
        if cal.components.count <= 1 {
            out.append(t("cal.components_one"))
        } else {
            out.append(t("cal.components", String(cal.components.count)))
            for (i, c) in cal.components.enumerated() {
                out.append(t("cal.component", String(i + 1), c.reviewers.joined(separator: listSep), String(c.applicants.count)))
            }
        }
        out.append("")

        // Reviewers.
        let rHeaders = ["report.h.reviewer_id", "report.h.reviewer", "cal.h.sheets", "cal.h.severity", "cal.h.se", "cal.h.fit",
                        "cal.h.reading", "cal.h.group"].map { t($0) }
        let rRows = zip(cal.reviewers, results.reviewers).map { c, r -> [String] in
            var reading: [String] = []
            if let se = c.se, se > 0, abs(c.severity) > 2 * se { reading.append(t(c.severity < 0 ? "cal.read.severe" : "cal.read.lenient")) }
            if let f = c.fit { if f > 1.5 { reading.append(t("cal.read.erratic")) } else if f < 0.5 { reading.append(t("cal.read.predictable")) } }
            return [c.id, r.name, String(c.sheets), c.sheets > 0 ? num(c.severity) : "", num(c.se), num(c.fit),
                    reading.joined(separator: listSep), c.component.map { String($0 + 1) } ?? ""]
        }
        out.append(TextTable(headers: rHeaders, rows: rRows, rightAligned: [2, 3, 4, 5, 7]).render())
        out.append(t("cal.fit_explain"))
        out.append("")

        // Applicants, in the results' order (rank, then incomplete, then ineligible).
        let aHeaders = ["report.h.rank", "report.h.applicant_id", "report.h.applicant", "cal.h.raw", "cal.h.grade_raw",
                        "cal.h.change_raw", "cal.h.adjusted", "cal.h.se", "cal.h.grade_adjusted", "cal.h.change_adjusted"].map { t($0) }
        let byId = Dictionary(cal.applicants.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let th = cal.stabilityThreshold
        let aRows = results.ranked.compactMap { a -> [String]? in
            guard let c = byId[a.id] else { return nil }
            let rank = a.rank.map { a.tied ? t("report.rank_tied", String($0)) : String($0) } ?? ""
            let g1 = a.status == .graded ? ((lang == .en ? c.gradeRawEn : c.gradeRaw) ?? "") : t("report.status.\(a.status.rawValue)")
            let g2 = a.status == .graded ? ((lang == .en ? c.gradeAdjustedEn : c.gradeAdjusted) ?? "") : ""
            return [rank, a.id, a.name, num(c.raw), g1, pct(c.gradeStability, threshold: th), num(c.adjusted), num(c.se), g2,
                    pct(c.gradeStabilityAdjusted, threshold: th)]
        }
        out.append(TextTable(headers: aHeaders, rows: aRows, rightAligned: [0, 3, 5, 6, 7, 9]).render())
        out.append(t("cal.stability_explain", formatNumber(th * 100, decimals: 0) + "%"))
        out.append(t("cal.changes", String(cal.gradesChanged), String(cal.ranksChanged)))
        let unstable = cal.applicants.filter(\.unstable).map(\.id)
        if !unstable.isEmpty {
            out.append(t("cal.unstable", formatNumber(th * 100, decimals: 0) + "%", unstable.joined(separator: listSep)))
        }
        out.append("")

        // Reliability.
        let rel = cal.reliability
        out.append(t("cal.reliability", String(cal.replicates)))
        func est(_ e: Estimate?) -> (String, String) {
            guard let e else { return ("", "") }
            let interval = (e.low != nil && e.high != nil)
                ? t("report.agreement.interval", num(e.low, 3), num(e.high, 3)) : ""
            return (num(e.value, 3), interval)
        }
        if rel.singleRater == nil {
            out.append(t("cal.rel.none"))
        } else {
            let s = est(rel.singleRater), k = est(rel.kRater), a = est(rel.adjusted)
            out.append(t("cal.rel.single", s.0, s.1))
            out.append(t("cal.rel.k", k.0, k.1, num(rel.k, 1)))
            out.append(t("cal.rel.adjusted", a.0, a.1))
        }
        let settings = CalibrationSettings()
        for n in rel.notes {
            switch n {
            case .fewApplicants: out.append("  " + t("cal.note.few_applicants", String(settings.minApplicantsForReliability)))
            case .fewReviewers: out.append("  " + t("cal.note.few_reviewers", String(settings.minReviewersForReliability)))
            default: out.append("  " + t("cal.note.\(n.rawValue)"))
            }
        }
        return out
    }
}
