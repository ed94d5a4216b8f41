import Foundation
import PingshenCore

/// Exports of a panel's results: CSV (UTF-8 with BOM), JSON, XLSX (Office Open XML through ZIPFoundation)
/// and a self-contained printable HTML report. Every export is built from `PanelResults` (what
/// `aggregatePanel` returns), the rubric (for provisional notes) and the language.
///
/// CLI wiring: `try ReportExporter.write(format, results: r, rubric: rubric, lang: env.lang, date: today, to: path)`.
public enum ExportFormat: String, CaseIterable, Sendable {
    case csv, json, xlsx, html

    /// Parses a format name; unknown names are refused with the list of known ones.
    public static func parse(_ s: String) throws -> ExportFormat {
        guard let f = ExportFormat(rawValue: s.lowercased()) else {
            throw PingshenError("report.bad_format", [s, allCases.map(\.rawValue).joined(separator: ", ")])
        }
        return f
    }
}

public enum ReportExporter {
    /// The export's bytes. `date` is printed in the HTML, JSON and XLSX notes (e.g. "2025-03-01").
    public static func data(_ format: ExportFormat, results: PanelResults, rubric: Rubric, lang: Lang,
                            date: String, opinions: [PanelOpinion] = []) throws -> Data {
        switch format {
        case .csv: return csv(results, rubric: rubric, lang: lang)
        case .json: return try json(results, rubric: rubric, lang: lang, date: date, opinions: opinions)
        case .xlsx: return try xlsx(results, rubric: rubric, lang: lang, date: date, opinions: opinions)
        case .html: return Data(html(results, rubric: rubric, lang: lang, date: date, opinions: opinions).utf8)
        }
    }

    /// Writes an export to a file atomically (a half-written file never replaces a good one).
    public static func write(_ format: ExportFormat, results: PanelResults, rubric: Rubric, lang: Lang,
                             date: String, opinions: [PanelOpinion] = [], to path: String) throws {
        let bytes = try data(format, results: results, rubric: rubric, lang: lang, date: date, opinions: opinions)
        do {
            try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PingshenError("report.write_failed", [path, error.localizedDescription])
        }
    }
}

// MARK: - Shared wording

/// Localized wording shared by the exports.
struct Words {
    let lang: Lang
    let results: PanelResults
    let rubric: Rubric

    func t(_ key: String, _ args: String...) -> String { Catalog.text(key, args, lang) }

    var colon: String { lang == .en ? ": " : "：" }
    var listSep: String { lang == .en ? ", " : "、" }
    var clauseSep: String { lang == .en ? "; " : "；" }
    /// " (s)" in English, "（s）" in Chinese.
    func paren(_ s: String) -> String { lang == .en ? " (\(s))" : "（\(s)）" }

    func status(_ a: ApplicantResult) -> String { t("report.status.\(a.status.rawValue)") }

    func grade(_ a: ApplicantResult) -> String {
        guard a.status == .graded else { return status(a) }
        return (lang == .en ? (a.gradeEn ?? a.grade) : a.grade) ?? ""
    }

    func methodShort(_ m: AggregationMethod?) -> String { m.map { t("report.method_short.\($0.rawValue)") } ?? "" }

    func methodLong(_ m: AggregationMethod) -> String {
        m == .auto ? t("report.method.auto", String(results.settings.trimMinReviewers)) : t("report.method.\(m.rawValue)")
    }

    func view(_ v: AggregationView) -> String { t("report.view.\(v.rawValue)") }

    func kind(_ k: FlagKind) -> String { t("report.kind.\(k.rawValue)") }

    func level(_ l: AgreementLevel) -> String { t("report.level.\(l.rawValue)") }

    func rank(_ a: ApplicantResult) -> String {
        guard let r = a.rank else { return "" }
        return a.tied ? t("report.rank_tied", String(r)) : String(r)
    }

    func indicatorName(_ id: String) -> String { results.indicator(id)?.displayName(lang) ?? id }

    func reviewerName(_ id: String) -> String { results.reviewer(id)?.name ?? id }

    func applicantName(_ id: String) -> String { results.applicant(id)?.name ?? id }

    /// A number with the official decimals, fixed ("83.40"): one number style in every export a person reads.
    func num(_ v: Double?) -> String { v.map { fixedNumber($0, decimals: results.settings.decimals) } ?? "" }

    /// Why an applicant has no grade, and other remarks (failed gates, quorum, missing data, gaps).
    func remarks(_ a: ApplicantResult) -> [String] {
        var out: [String] = []
        for g in a.failedGates {
            let name = lang == .en ? (g.nameEn ?? g.name) : g.name
            if let v = g.value {
                out.append(Catalog.text("gate.failed", [name, formatNumber(v, decimals: 4) + (g.unit.map { " \($0)" } ?? ""), g.requirement], lang))
            } else {
                out.append(Catalog.text("gate.missing", [name], lang))
            }
        }
        if !a.quorumMet { out.append(t("report.reason.quorum", String(a.counted.count), String(a.quorum))) }
        if !a.missingData.isEmpty {
            out.append(t("report.reason.data", a.missingData.map(indicatorName).joined(separator: listSep)))
        }
        if !a.sheetsWithGaps.isEmpty {
            out.append(t("report.reason.gaps", a.sheetsWithGaps.map(reviewerName).joined(separator: listSep)))
        }
        return out
    }

    /// Flag kinds naming an applicant, with counts ("单项评分离群 2；专家分歧过大 1").
    func flagSummary(_ a: ApplicantResult) -> String {
        let fs = results.flags(for: a.id)
        return FlagKind.allCases.compactMap { k in
            let n = fs.filter { $0.kind == k }.count
            return n == 0 ? nil : "\(kind(k)) \(n)"
        }.joined(separator: clauseSep)
    }

    /// What provisional numbers an applicant's result used, or "" when none. `brief` lists at most three
    /// (the HTML report lists them all in its notice at the top).
    func provisionalNote(_ a: ApplicantResult, brief: Bool = false) -> String {
        guard a.provisional else { return "" }
        var parts = a.provisionalNodes.map(indicatorName)
        parts += a.provisionalGates.map { id in
            let g = rubric.variant(results.settings.variant)?.gates.first { $0.id == id }
            return g.map { lang == .en ? ($0.nameEn ?? $0.name) : $0.name } ?? id
        }
        if brief && parts.count > 4 {
            parts = Array(parts.prefix(3)) + [t("report.notice.more", String(parts.count - 3))]
        }
        if a.gradeProvisional { parts.append(t("report.notice.grade_only")) }
        return t("report.notice.applicant", parts.joined(separator: listSep))
    }

    /// The panel-wide provisional notice lines (empty when no provisional number contributed).
    func noticeLines() -> [String] {
        let p = results.provisional
        guard p.any else { return [] }
        var lines = [t("report.notice.provisional")]
        if !p.nodes.isEmpty {
            // Indicators that share a note are listed together, the note once after them.
            var groups: [(note: String?, names: [String])] = []
            for id in p.nodes {
                let note = lang == .en ? nil : rubric.node(id)?.note
                if let i = groups.firstIndex(where: { $0.note == note }) {
                    groups[i].names.append(indicatorName(id))
                } else {
                    groups.append((note, [indicatorName(id)]))
                }
            }
            lines.append(t("report.notice.nodes", groups.map { g in
                g.names.joined(separator: listSep) + (g.note.map { paren($0) } ?? "")
            }.joined(separator: clauseSep)))
        }
        if !p.gates.isEmpty {
            let gates = rubric.variant(results.settings.variant)?.gates ?? []
            lines.append(t("report.notice.gates", p.gates.map { id in
                gates.first { $0.id == id }.map { lang == .en ? ($0.nameEn ?? $0.name) : $0.name } ?? id
            }.joined(separator: listSep)))
        }
        if p.gradesProvisional && results.applicants.contains(where: { $0.gradeProvisional }) {
            lines.append(t("report.notice.grades", results.rubric.gradesNote ?? ""))
        }
        return lines
    }

    func agreementLines() -> [String] {
        let g = results.agreement
        var lines: [String] = []
        if let icc = g.icc {
            var line = t("report.agreement.icc", formatNumber(icc, decimals: 3), g.iccLevel.map(level) ?? "",
                         String(g.applicants), String(g.reviewers))
            if let lo = g.iccLow, let hi = g.iccHigh { line += paren(t("report.agreement.interval", formatNumber(lo, decimals: 3), formatNumber(hi, decimals: 3))) }
            lines.append(line)
        } else {
            lines.append(gapText(g.iccGap ?? .fewComplete))
        }
        if let w = g.kendallW {
            var line = t("report.agreement.w", formatNumber(w, decimals: 3), g.kendallWLevel.map(level) ?? "")
            if let lo = g.kendallWLow, let hi = g.kendallWHigh { line += paren(t("report.agreement.interval", formatNumber(lo, decimals: 3), formatNumber(hi, decimals: 3))) }
            lines.append(line)
        } else if g.icc != nil, let gap = g.kendallWGap {
            lines.append(t("report.agreement.w_missing", gapText(gap)))
        }
        if g.fewApplicants { lines.append(t("report.agreement.caveat", String(g.applicants), String(agreementCaveatApplicants))) }
        lines += designLines()
        if results.settings.method == .calibrated { lines.append(t("report.calibrated_notice")) }
        return lines
    }

    /// Why an agreement figure is missing, in words.
    func gapText(_ gap: AgreementGap) -> String {
        switch gap {
        case .fewComplete:
            return t("report.agreement.gap.few_complete", String(results.agreement.applicants),
                     String(results.agreement.reviewers), String(agreementMinApplicants))
        default:
            return t("report.agreement.gap.\(gap.rawValue)")
        }
    }

    /// The notice that applicants had different reviewers (and the design's unconnected groups).
    func designLines() -> [String] {
        let g = results.agreement
        guard g.reviewerSetsDiffer, g.iccGap != .noPoints else { return [] }
        var lines = [t("report.design.differ", String(reviewerSetCount), results.panel.id)]
        if g.components > 1 { lines.append(t("report.design.components", String(g.components))) }
        if let changes = calibrationChanges() { lines.append(changes) }
        return lines
    }

    /// The grades the calibration would change ("a4 合格 → 不合格"), from a quick fit without the bootstrap;
    /// nil when none would change, when the panel already uses the calibrated method, or when the panel has
    /// more than 400 reviewers (the fit's cost grows with the cube of the reviewers).
    func calibrationChanges() -> String? {
        guard results.settings.method != .calibrated, results.reviewers.count <= 400 else { return nil }
        let cal = calibrate(results: results, settings: CalibrationSettings(replicates: 0))
        guard cal.gradesChanged > 0 else { return nil }
        let changed = cal.applicants.filter { $0.gradeRaw != nil && $0.gradeAdjusted != nil && $0.gradeRaw != $0.gradeAdjusted }
        let text = changed.map { c in
            let from = (lang == .en ? c.gradeRawEn : c.gradeRaw) ?? "", to = (lang == .en ? c.gradeAdjustedEn : c.gradeAdjusted) ?? ""
            return "\(applicantName(c.id))\(paren(from + " → " + to))"
        }.joined(separator: listSep)
        return t("report.design.would_change", String(changed.count), text)
    }

    /// Number of distinct sets of counted reviewers among the applicants with sheets.
    var reviewerSetCount: Int {
        Set(results.applicants.filter { !$0.counted.isEmpty }.map { $0.counted.sorted() }).count
    }

    /// Why some outlier checks could not run (said when there is no flag).
    func checkLimits() -> [String] {
        let g = results.agreement
        if g.iccGap == .noPoints { return [t("chair.limit.no_points")] }
        let m = g.maxReviewersPerApplicant
        var out: [String] = []
        if m < 2 { out.append(t("chair.limit.disagreement", String(m))) }
        if m < 3 { out.append(t("chair.limit.reviewer", String(m))) }
        if m < 4 { out.append(t("chair.limit.single", String(m))) }
        return out
    }
}
