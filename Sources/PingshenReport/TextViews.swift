import Foundation
import PingshenCore

/// A table as plain strings, for the command line's `TextTable` (`pingshen results`, `pingshen outliers`).
public struct TableText: Sendable, Equatable {
    public var headers: [String]
    public var rows: [[String]]
    /// Indices of the numeric columns.
    public var rightAligned: [Int]
}

/// The terminal views of the results, in the chosen language (the same wording as the exports).
public enum ResultsText {
    /// applicant, total, grade, rank, reviewers counted, flags — report order; a ※ marks totals that rest
    /// on provisional numbers.
    public static func resultsTable(_ results: PanelResults, rubric: Rubric, lang: Lang) -> TableText {
        let w = Words(lang: lang, results: results, rubric: rubric)
        let headers = ["report.h.rank", "report.h.applicant_id", "report.h.applicant", "report.h.total", "report.h.grade",
                       "report.h.counted", "report.h.method", "report.h.totals_view", "report.h.indicators_view",
                       "report.h.flags", "report.h.remarks"].map { w.t($0) }
        let rows = results.ranked.map { a -> [String] in
            [w.rank(a), a.id, a.name, a.total.map { w.num($0) + (a.provisional ? " ※" : "") } ?? "—",
             a.status == .graded ? w.grade(a) : w.status(a), String(a.counted.count), w.methodShort(a.method),
             w.num(a.totalsView), w.num(a.indicatorsView), w.flagSummary(a),
             w.remarks(a).joined(separator: w.clauseSep)]
        }
        return TableText(headers: headers, rows: rows, rightAligned: [0, 3, 5, 7, 8])
    }

    /// Per reviewer: sheets, mean deviation, SE, t, rank correlation, flags.
    public static func reviewersTable(_ results: PanelResults, rubric: Rubric, lang: Lang) -> TableText {
        let w = Words(lang: lang, results: results, rubric: rubric)
        let headers = ["report.h.reviewer_id", "report.h.reviewer", "report.h.sheets", "report.h.compared",
                       "report.h.mean_dev", "report.h.se", "report.h.t", "report.h.rho", "report.h.flags"].map { w.t($0) }
        let rows = results.reviewers.map { r -> [String] in
            [r.id, r.name, String(r.sheetsCounted), String(r.compared), w.num(r.meanDeviation), w.num(r.standardError),
             w.num(r.t), w.num(r.rankCorrelation), r.flags.map(w.kind).joined(separator: w.listSep)]
        }
        return TableText(headers: headers, rows: rows, rightAligned: [2, 3, 4, 5, 6, 7])
    }

    /// One line per flag: "[kind] explanation".
    public static func flagLines(_ results: PanelResults, lang: Lang) -> [String] {
        results.flags.map { "[\(Catalog.text("report.kind.\($0.kind.rawValue)", [], lang))] \($0.explanation(lang))" }
    }

    /// What `outliers` says when no flag was raised: "no flags", and which checks could not run and why.
    public static func noFlagsLine(_ results: PanelResults, rubric: Rubric, lang: Lang) -> String {
        let w = Words(lang: lang, results: results, rubric: rubric)
        let limits = w.checkLimits()
        return limits.isEmpty ? w.t("chair.no_flags") : w.t("chair.no_flags_limits", limits.joined(separator: w.clauseSep))
    }

    /// The heading lines: panel and round, method and view, agreement in words, provisional notice.
    public static func summaryLines(_ results: PanelResults, rubric: Rubric, lang: Lang) -> [String] {
        let w = Words(lang: lang, results: results, rubric: rubric)
        let p = results.panel
        var lines = [
            "\(w.t("report.html.panel"))\(w.colon)\(p.title)\(w.paren(p.id)) · \(w.t("report.html.rubric"))\(w.colon)\(rubric.displayName(lang)) · \(w.t("report.html.round"))\(w.colon)\(results.round)",
            "\(w.t("report.html.method"))\(w.colon)\(w.methodLong(results.settings.method)) · \(w.t("report.html.view"))\(w.colon)\(w.view(results.settings.view)) · \(w.t("report.html.quorum"))\(w.colon)\(results.settings.quorum)",
            w.t("report.html.counts", String(results.counts.graded), String(results.counts.incomplete), String(results.counts.ineligible)),
        ]
        lines += w.agreementLines()
        lines += w.noticeLines()
        return lines
    }
}
