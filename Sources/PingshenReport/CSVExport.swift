import Foundation
import PingshenCore

extension ReportExporter {
    /// The results table as CSV: UTF-8 with a byte-order mark (so Excel reads Chinese correctly), CRLF
    /// line ends, RFC 4180 quoting. One row per applicant in report order (graded by rank, then incomplete,
    /// then ineligible); the last column carries each row's provisional notice.
    public static func csv(_ results: PanelResults, rubric: Rubric, lang: Lang) -> Data {
        let w = Words(lang: lang, results: results, rubric: rubric)
        var out = "\u{FEFF}"
        let header = ["report.h.rank", "report.h.tied", "report.h.applicant_id", "report.h.applicant", "report.h.status",
                      "report.h.total", "report.h.grade", "report.h.counted", "report.h.method",
                      "report.h.totals_view", "report.h.indicators_view", "report.h.sd", "report.h.range",
                      "report.h.flags", "report.h.remarks", "report.h.provisional"].map { w.t($0) }
        out += csvLine(header)
        for a in results.ranked {
            let row: [String] = [
                a.rank.map(String.init) ?? "",
                a.tied ? w.t("report.h.tied") : "",
                csvText(a.id),
                csvText(a.name),
                w.status(a),
                w.num(a.total),
                a.status == .graded ? csvText(w.grade(a)) : "",
                String(a.counted.count),
                w.methodShort(a.method),
                w.num(a.totalsView),
                w.num(a.indicatorsView),
                w.num(a.spread?.sd),
                w.num(a.spread?.range),
                w.flagSummary(a),
                csvText(w.remarks(a).joined(separator: w.clauseSep)),
                w.provisionalNote(a),
            ]
            out += csvLine(row)
        }
        return Data(out.utf8)
    }

    /// Quotes a field when it holds a comma, a quote or a line break (quotes doubled).
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func csvLine(_ fields: [String]) -> String {
        fields.map(csvField).joined(separator: ",") + "\r\n"
    }

    /// Free text from the data (names, ids): a leading =, +, -, @ or tab would make a spreadsheet read the
    /// cell as a formula, so such text gets a leading apostrophe (the usual CSV-injection guard).
    static func csvText(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return s }
        return "'" + s
    }
}
