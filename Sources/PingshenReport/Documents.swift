import Foundation
import PingshenCore

/// The printable documents a secretariat files, as self-contained HTML with print CSS for A4:
/// the results report, each expert's signed score sheets (专家个人评分表), the score matrix (专家打分汇总表),
/// the panel's opinions with reservations (评审意见), blank sheets for scoring on paper, and the experts'
/// commitment / declaration of no conflict (承诺书 / 回避声明) with the sign-in sheet (签到表).
public enum DocumentKind: String, CaseIterable, Sendable {
    case report, sheets, matrix, opinions, blank, declarations

    public static func parse(_ s: String) throws -> DocumentKind {
        guard let d = DocumentKind(rawValue: s.lowercased()) else {
            throw PingshenError("doc.bad_document", [s, allCases.map(\.rawValue).joined(separator: ", ")])
        }
        return d
    }
}

/// What a document is built from: the results, the stored sheets (for the expert sheets), the opinions.
public struct DocumentInput: Sendable {
    public var results: PanelResults
    public var rubric: Rubric
    public var snapshot: PanelSnapshot
    public var lang: Lang
    /// The document's date as printed (Beijing date of the seal, or today).
    public var date: String
    /// Only this reviewer's sheets (sheets, blank, declarations).
    public var reviewer: String?
    public var opinions: [PanelOpinion]

    public init(results: PanelResults, rubric: Rubric, snapshot: PanelSnapshot, lang: Lang, date: String,
                reviewer: String? = nil, opinions: [PanelOpinion] = []) {
        self.results = results
        self.rubric = rubric
        self.snapshot = snapshot
        self.lang = lang
        self.date = date
        self.reviewer = reviewer
        self.opinions = opinions
    }
}

/// A number with exactly `decimals` places, rounded half-up as the official score is ("83.40", never "83.4").
public func fixedNumber(_ v: Double?, decimals: Int) -> String {
    guard let v, v.isFinite else { return "—" }
    let d = max(0, min(decimals, 6))
    return String(format: "%.\(d)f", officialRound(v, decimals: d).value)
}

/// More reviewers than this and the matrix holds each applicant's experts by name in columns 专家一…专家K.
let matrixMaxNamedColumns = 14
/// More expert columns than this and the matrix is printed landscape.
let matrixPortraitColumns = 6

extension ReportExporter {
    /// A printable document as HTML.
    public static func document(_ kind: DocumentKind, _ input: DocumentInput) throws -> String {
        if let r = input.reviewer, !input.snapshot.reviewers.contains(where: { $0.id == r }) {
            throw PingshenError("doc.unknown_reviewer", [r, input.snapshot.panel.id,
                                                         input.snapshot.reviewers.map(\.id).joined(separator: ", ")])
        }
        let d = Documents(input: input, w: Words(lang: input.lang, results: input.results, rubric: input.rubric))
        switch kind {
        case .report: return html(input.results, rubric: input.rubric, lang: input.lang, date: input.date)
        case .sheets: return d.sheets(blank: false)
        case .blank: return d.sheets(blank: true)
        case .matrix: return d.matrix()
        case .opinions: return d.opinionsDocument()
        case .declarations: return d.declarations()
        }
    }

    /// Writes a document atomically.
    public static func writeDocument(_ kind: DocumentKind, _ input: DocumentInput, to path: String) throws {
        let text = try document(kind, input)
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PingshenError("report.write_failed", [path, error.localizedDescription])
        }
    }
}

struct Documents {
    let input: DocumentInput
    let w: Words
    var results: PanelResults { input.results }
    var lang: Lang { input.lang }
    var decimals: Int { results.settings.decimals }

    func e(_ s: String) -> String { htmlEscape(s) }
    func t(_ key: String, _ args: String...) -> String { Catalog.text(key, args, lang) }
    func fixed(_ v: Double?) -> String { fixedNumber(v, decimals: decimals) }

    var reviewers: [ReviewerInfo] {
        input.snapshot.reviewers.filter { input.reviewer == nil || $0.id == input.reviewer }
    }

    func isRecused(_ r: String, _ a: String) -> Bool {
        input.snapshot.recusals.contains { $0.reviewer == r && $0.applicant == a }
    }

    // MARK: Frame

    static let css = """
    @page { size: A4 portrait; margin: 14mm 12mm 14mm 12mm; }
    * { box-sizing: border-box; }
    body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "SimSun", "Songti SC", serif;
           color: #000; margin: 0 auto; max-width: 1100px; font-size: 10.5pt; line-height: 1.45; }
    h1 { font-size: 17pt; text-align: center; margin: 0 0 6pt; letter-spacing: 1pt; }
    h2 { font-size: 13pt; margin: 10pt 0 4pt; }
    .meta { margin: 2pt 0 6pt; display: flex; flex-wrap: wrap; gap: 2pt 18pt; }
    .meta span { white-space: nowrap; }
    .doc { break-after: page; page-break-after: always; }
    .doc:last-child { break-after: auto; page-break-after: auto; }
    table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; }
    thead { display: table-header-group; }
    tfoot { display: table-row-group; }
    tr { break-inside: avoid; page-break-inside: avoid; }
    th, td { border: 0.75pt solid #000; padding: 2.5pt 4pt; vertical-align: middle; text-align: left; }
    th { font-weight: bold; text-align: center; background: #eee; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    td.c { text-align: center; white-space: nowrap; }
    td.blankcell { min-width: 16mm; height: 8mm; }
    tr.l1 td { font-weight: bold; }
    tr.l2 td.name { padding-left: 12pt; }
    tr.l3 td.name { padding-left: 24pt; }
    tr.l4 td.name { padding-left: 36pt; }
    tr.total td { font-weight: bold; border-top: 1.5pt solid #000; }
    table.sheet-table { font-size: 9.5pt; }
    table.sheet-table td { padding: 1.2pt 4pt; }
    section.sheet h1 { font-size: 15pt; margin-bottom: 2pt; }
    section.sheet .meta { margin: 1pt 0 3pt; }
    section.sheet .sign { margin-top: 8pt; }
    td.value { white-space: nowrap; }
    .guide { display: block; font-size: 8.5pt; color: #333; font-weight: normal; }
    .muted { color: #444; font-size: 9pt; }
    td.compact { white-space: normal; text-align: center; font-size: 8.5pt; padding: 1.5pt 2pt; }
    td.compact .who { display: block; font-size: 8pt; color: #222; }
    table.compact-matrix { font-size: 9pt; }
    table.compact-matrix th { white-space: nowrap; padding: 2pt 2pt; }
    del.trim { text-decoration: line-through; text-decoration-thickness: 1pt; color: #555; }
    .recused { font-weight: bold; }
    .sign { margin-top: 16pt; break-inside: avoid; page-break-inside: avoid; }
    .sign p { margin: 10pt 0; }
    .signatures { width: 100%; border: none; margin-top: 6pt; }
    .signatures td { border: none; padding: 9pt 4pt; white-space: nowrap; }
    .opinion-box { border: 0.75pt solid #000; min-height: 70mm; padding: 6pt 8pt; white-space: pre-wrap; }
    .reservation { border: 0.75pt solid #000; padding: 4pt 8pt; margin: 4pt 0; white-space: pre-wrap; break-inside: avoid; }
    .para { text-indent: 2em; margin: 6pt 0; text-align: justify; }
    @media screen { body { padding: 16px; } .doc { border-bottom: 1px dashed #999; padding-bottom: 18px; margin-bottom: 18px; } }
    @media print { body { max-width: none; } th { background: none; } }

    """

    func frame(title: String, landscape: Bool, body: String) -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"\(lang == .en ? "en" : "zh-CN")\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<title>\(e(title))</title>\n<style>\n\(Self.css)"
        if landscape { h += "@page { size: A4 landscape; }\nbody { max-width: 1500px; }\n" }
        h += "</style>\n</head>\n<body>\n" + body + "</body>\n</html>\n"
        return h
    }

    /// The panel, round and date line under a title (with the seal's time in Beijing time when sealed).
    func metaLine(_ extra: [String] = []) -> String {
        let p = results.panel
        var parts = [
            "\(e(t("doc.panel")))\(w.colon)\(e(p.title))",
            "\(e(t("doc.round")))\(w.colon)\(e(results.round))",
        ]
        parts += extra
        parts.append("\(e(t("doc.date")))\(w.colon)\(e(input.date))")
        var h = "<p class=\"meta\">" + parts.map { "<span>\($0)</span>" }.joined() + "</p>\n"
        if let at = p.sealedAt {
            h += "<p class=\"meta muted\">\(e(t("doc.sealed", UTCTime.display(at), p.sealedBy ?? "")))</p>\n"
        }
        return h
    }

    // MARK: Expert sheets and blank sheets

    /// One sheet per reviewer × applicant: the stored sheets of the round (`blank` false), or an empty sheet for
    /// every applicant the reviewer is not recused from (`blank` true).
    func sheets(blank: Bool) -> String {
        let title = t(blank ? "doc.blank.title" : "doc.sheets.title")
        var pairs: [(ReviewerInfo, ApplicantInfo, SheetRecord?)] = []
        for r in reviewers {
            for a in input.snapshot.applicants where !isRecused(r.id, a.id) {
                let sheet = input.snapshot.sheets.first { $0.reviewer == r.id && $0.applicant == a.id && $0.round == results.round }
                if blank {
                    pairs.append((r, a, nil))
                } else if let sheet {
                    pairs.append((r, a, sheet))
                }
            }
        }
        var body = ""
        if pairs.isEmpty {
            body = "<section class=\"doc\"><h1>\(e(title))</h1>\n\(metaLine())<p>\(e(t("doc.sheets.empty")))</p></section>\n"
        }
        for (i, (r, a, sheet)) in pairs.enumerated() {
            body += sheetPage(title: title, reviewer: r, applicant: a, sheet: sheet, index: i + 1, of: pairs.count)
        }
        return frame(title: results.panel.title + " — " + title, landscape: false, body: body)
    }

    func sheetPage(title: String, reviewer: ReviewerInfo, applicant: ApplicantInfo, sheet: SheetRecord?,
                   index: Int, of count: Int) -> String {
        let rubric = input.rubric
        let data = input.snapshot.data[applicant.id] ?? ApplicantData()
        let score = scoreSheet(rubric: rubric, points: sheet?.points ?? [:], data: data)
        let blank = sheet == nil
        var h = "<section class=\"doc sheet\" data-reviewer=\"\(e(reviewer.id))\" data-applicant=\"\(e(applicant.id))\">\n"
        h += "<h1>\(e(title))</h1>\n"
        var extra = [
            "\(e(t("doc.applicant")))\(w.colon)<strong>\(e(applicant.name))</strong>\(e(w.paren(applicant.id)))",
            "\(e(t("doc.reviewer")))\(w.colon)<strong>\(e(reviewer.name))</strong>",
        ]
        if let sheet {
            extra.append("\(e(t("doc.sheets.status")))\(w.colon)\(e(t(sheet.submitted ? "doc.sheets.submitted" : "doc.sheets.draft")))")
        }
        extra.append(e(t("doc.page_note", String(index), String(count))))
        h += metaLine(extra)
        if blank { h += "<p class=\"muted\">\(e(t("doc.blank.hint")))</p>\n" }
        h += "<table class=\"sheet-table\">\n<thead><tr>"
        h += "<th>\(e(t("doc.sheets.no")))</th><th>\(e(t("doc.sheets.indicator")))</th><th class=\"num\">\(e(t("doc.sheets.weight")))</th>"
        h += "<th>\(e(t("doc.sheets.value")))</th><th class=\"num\">\(e(t("doc.sheets.points")))</th><th>\(e(t("doc.sheets.note")))</th>"
        h += "</tr></thead>\n<tbody>\n"
        var leafNo = 0
        for (node, path) in rubric.nodesWithPath {
            let level = path.count + 1
            h += "<tr class=\"l\(min(level, 4))\(node.isLeaf ? " leaf" : "")\">"
            if node.isLeaf {
                leafNo += 1
                h += "<td class=\"c\">\(leafNo)</td>"
            } else {
                h += "<td></td>"
            }
            h += "<td class=\"name\">\(e(lang == .en ? (node.nameEn ?? node.name) : node.name))"
            if blank, node.isLeaf, let g = node.guidance, !g.isEmpty { h += "<span class=\"guide\">\(e(g))</span>" }
            h += "</td><td class=\"num\">\(e(formatNumber(node.weight)))</td>"
            if node.isLeaf && node.input == .value {
                let valueText: String
                if let v = data.values[node.id] {
                    valueText = formatNumber(v, decimals: 4) + (node.unit.map { " \($0)" } ?? "")
                } else {
                    valueText = t("doc.sheets.missing_data")
                }
                let pts = score.leafPoints[node.id] ?? nil
                h += "<td class=\"value\">\(e(valueText))</td>"
                h += "<td class=\"num\">\(pts.map { e(formatNumber($0)) } ?? "—")</td><td></td>"
            } else if node.isLeaf {
                let pts = sheet?.points[node.id]
                h += "<td></td><td class=\"num\(blank ? " blankcell" : "")\">\(pts.map { e(formatNumber($0)) } ?? (blank ? "" : "—"))</td>"
                h += "<td>\(e(sheet?.notes[node.id] ?? ""))</td>"
            } else {
                let sub = score.nodeTotals[node.id]
                h += "<td class=\"muted\">\(e(t("doc.sheets.subtotal")))</td>"
                h += "<td class=\"num\(blank ? " blankcell" : "")\">\(blank ? "" : e(fixed(sub)))</td><td></td>"
            }
            h += "</tr>\n"
        }
        h += "<tr class=\"total\"><td></td><td>\(e(t("doc.sheets.total")))</td><td class=\"num\">\(e(formatNumber(rubric.total)))</td>"
        h += "<td></td><td class=\"num\(blank ? " blankcell" : "")\">\(blank ? "" : e(fixed(score.total)))</td><td></td></tr>\n"
        h += "</tbody>\n</table>\n"
        h += "<div class=\"sign\"><p>\(e(t("doc.expert_sign")))</p></div>\n"
        return h + "</section>\n"
    }

    // MARK: Score matrix

    /// A cell of the matrix: what the reviewer gave the applicant (struck through when trimmed), 回避, 未提交, —.
    func matrixCell(_ a: ApplicantResult, _ r: String) -> String {
        let attrs = "data-reviewer=\"\(e(r))\" data-applicant=\"\(e(a.id))\""
        if a.recused.contains(r) || isRecused(r, a.id) {
            return "<td class=\"c recused\" \(attrs)>\(e(t("doc.matrix.recused")))</td>"
        }
        if let s = a.reviewerTotals.first(where: { $0.reviewer == r }) {
            let v = e(fixed(s.total))
            return "<td class=\"num\" \(attrs) data-total=\"\(v)\">\(s.trimmed ? "<del class=\"trim\">\(v)</del>" : v)</td>"
        }
        if a.unsubmitted.contains(r) {
            return "<td class=\"c muted\" \(attrs)>\(e(t("doc.matrix.unsubmitted")))</td>"
        }
        return "<td class=\"c muted\" \(attrs)>—</td>"
    }

    func matrix() -> String {
        let reviewers = input.snapshot.reviewers
        let compact = reviewers.count > matrixMaxNamedColumns
        // Compact: each applicant's own experts (counted, recused, unsubmitted) in columns 专家一…专家K.
        let perApplicant: [String: [String]] = Dictionary(uniqueKeysWithValues: results.applicants.map { a in
            var ids = a.reviewerTotals.map(\.reviewer)
            for r in a.unsubmitted + a.recused where !ids.contains(r) { ids.append(r) }
            return (a.id, ids)
        })
        let k = compact ? (perApplicant.values.map(\.count).max() ?? 0) : reviewers.count
        let landscape = k > matrixPortraitColumns
        var h = "<section class=\"doc matrix\">\n<h1>\(e(t("doc.matrix.title")))</h1>\n"
        h += metaLine(["\(e(t("doc.rubric")))\(w.colon)\(e(input.rubric.displayName(lang)))"])
        h += "<table class=\"matrix-table\(compact ? " compact-matrix" : "")\">\n<thead><tr><th>\(e(t("doc.matrix.no")))</th><th>\(e(t("doc.matrix.id")))</th><th>\(e(t("doc.applicant")))</th>"
        if compact {
            for i in 0..<k { h += "<th>\(e(t("doc.matrix.expert_n", lang == .en ? String(i + 1) : chineseNumeral(i + 1))))</th>" }
        } else {
            for r in reviewers { h += "<th class=\"num\" data-reviewer=\"\(e(r.id))\">\(e(r.name))</th>" }
        }
        h += "<th class=\"num\">\(e(t("doc.matrix.total")))</th><th>\(e(t("doc.matrix.grade")))</th><th class=\"num\">\(e(t("doc.matrix.rank")))</th></tr></thead>\n<tbody>\n"
        for (i, a) in results.applicants.enumerated() {
            h += "<tr data-applicant=\"\(e(a.id))\"><td class=\"c\">\(i + 1)</td><td>\(e(a.id))</td><td>\(e(a.name))</td>"
            if compact {
                let ids = perApplicant[a.id] ?? []
                for j in 0..<k {
                    guard j < ids.count else { h += "<td></td>"; continue }
                    let r = ids[j]
                    // The reviewer's name above the mark, in a cell that may wrap.
                    let cell = matrixCell(a, r).replacingOccurrences(of: "class=\"num\"", with: "class=\"num compact\"")
                        .replacingOccurrences(of: "class=\"c ", with: "class=\"c compact ")
                    if let open = cell.range(of: "\">") {
                        h += cell[..<open.upperBound] + "<span class=\"who\">\(e(w.reviewerName(r)))</span>" + cell[open.upperBound...]
                    } else {
                        h += cell
                    }
                }
            } else {
                for r in reviewers { h += matrixCell(a, r.id) }
            }
            let mark = a.provisional ? " ※" : ""
            h += "<td class=\"num\"><strong>\(a.total.map { e(fixed($0)) + mark } ?? "—")</strong></td>"
            h += "<td class=\"c\">\(a.status == .graded ? e(w.grade(a)) : e(w.status(a)))</td>"
            h += "<td class=\"num\">\(e(w.rank(a)))</td></tr>\n"
        }
        h += "</tbody>\n</table>\n"
        let usesTrim = results.applicants.contains { $0.reviewerTotals.contains(where: \.trimmed) }
        h += "<p class=\"muted\">" + e(usesTrim ? t("doc.matrix.legend_trim", String(decimals))
                                         : t("doc.matrix.legend_plain", String(decimals), w.methodLong(results.settings.method))) + "</p>\n"
        h += "<div class=\"sign\"><h2>\(e(t("doc.matrix.signatures")))</h2>\n<table class=\"signatures\">\n"
        let perRow = landscape ? 4 : 3
        var row: [String] = []
        for r in reviewers {
            row.append("<td>\(e(r.name))\(w.colon)\(e(t("doc.sign_line")))</td>")
            if row.count == perRow {
                h += "<tr>" + row.joined() + "</tr>\n"
                row = []
            }
        }
        if !row.isEmpty { h += "<tr>" + row.joined() + "</tr>\n" }
        h += "</table>\n<p>\(e(t("doc.chair_sign")))</p></div>\n</section>\n"
        return frame(title: results.panel.title + " — " + t("doc.matrix.title"), landscape: landscape, body: h)
    }

    func chineseNumeral(_ n: Int) -> String {
        let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
        if n < 10 { return digits[n] }
        if n < 20 { return "十" + (n == 10 ? "" : digits[n - 10]) }
        if n < 100 { return digits[n / 10] + "十" + (n % 10 == 0 ? "" : digits[n % 10]) }
        return String(n)
    }

    // MARK: Opinions

    func opinionsDocument() -> String {
        var body = ""
        let ops = input.opinions
        for a in results.ranked {
            body += "<section class=\"doc opinion\" data-applicant=\"\(e(a.id))\">\n<h1>\(e(t("doc.opinions.title")))</h1>\n"
            body += metaLine(["\(e(t("doc.applicant")))\(w.colon)<strong>\(e(a.name))</strong>\(e(w.paren(a.id)))"])
            let grade = a.status == .graded ? w.grade(a) : w.status(a)
            body += "<p>\(e(t("doc.opinions.result", a.total.map(fixed) ?? "—", grade, w.rank(a).isEmpty ? "—" : w.rank(a))))</p>\n"
            body += "<h2>\(e(t("doc.opinions.panel")))</h2>\n"
            if let o = ops.last(where: { $0.applicant == a.id && $0.reviewer == nil }) {
                body += "<div class=\"opinion-box\">\(e(o.text))</div>\n"
                body += "<p class=\"muted\">\(e(t("doc.opinions.recorded", o.by, UTCTime.display(o.at))))</p>\n"
            } else {
                body += "<div class=\"opinion-box muted\">\(e(t("doc.opinions.none_recorded")))</div>\n"
            }
            body += "<h2>\(e(t("doc.opinions.reservations")))</h2>\n"
            // The latest reservation of each reviewer.
            var latest: [String: PanelOpinion] = [:]
            var order: [String] = []
            for o in ops where o.applicant == a.id {
                guard let r = o.reviewer else { continue }
                if latest[r] == nil { order.append(r) }
                latest[r] = o
            }
            let reservations = order.compactMap { latest[$0] }.filter { !$0.text.isEmpty }
            if reservations.isEmpty {
                body += "<p>\(e(t("doc.opinions.no_reservation")))</p>\n"
            }
            for o in reservations {
                let name = w.reviewerName(o.reviewer ?? "")
                body += "<div class=\"reservation\"><strong>\(e(name))</strong>\(w.colon)\(e(o.text))"
                body += "<br><span class=\"muted\">\(e(t("doc.opinions.recorded", o.by, UTCTime.display(o.at))))</span>　"
                body += "<span>\(e(t("doc.expert_sign")))</span></div>\n"
            }
            body += "<div class=\"sign\"><p>\(e(t("doc.chair_sign")))</p></div>\n</section>\n"
        }
        return frame(title: results.panel.title + " — " + t("doc.opinions.title"), landscape: false, body: body)
    }

    // MARK: Declarations and sign-in

    func declarations() -> String {
        let p = results.panel
        var body = ""
        for r in reviewers {
            body += "<section class=\"doc declaration\" data-reviewer=\"\(e(r.id))\">\n<h1>\(e(t("doc.decl.title")))</h1>\n"
            body += metaLine(["\(e(t("doc.reviewer")))\(w.colon)<strong>\(e(r.name))</strong>"])
            body += "<p class=\"para\">\(e(t("doc.decl.commitment", p.title)))</p>\n"
            body += "<p class=\"para\">\(e(t("doc.decl.conflict")))</p>\n"
            body += "<table>\n<thead><tr><th>\(e(t("doc.matrix.no")))</th><th>\(e(t("doc.matrix.id")))</th><th>\(e(t("doc.applicant")))</th><th>\(e(t("doc.decl.relation")))</th></tr></thead>\n<tbody>\n"
            for (i, a) in input.snapshot.applicants.enumerated() {
                let rec = input.snapshot.recusals.first { $0.reviewer == r.id && $0.applicant == a.id }
                body += "<tr><td class=\"c\">\(i + 1)</td><td>\(e(a.id))</td><td>\(e(a.name))</td>"
                body += "<td>\(rec.map { "<span class=\"recused\">\(e(t("doc.decl.recused", $0.reason)))</span>" } ?? "")</td></tr>\n"
            }
            body += "</tbody>\n</table>\n<div class=\"sign\"><p>\(e(t("doc.expert_sign")))</p></div>\n</section>\n"
        }
        body += "<section class=\"doc signin\">\n<h1>\(e(t("doc.decl.signin")))</h1>\n"
        body += metaLine()
        body += "<table>\n<thead><tr><th>\(e(t("doc.matrix.no")))</th><th>\(e(t("doc.decl.name")))</th><th>\(e(t("doc.decl.role")))</th>"
        body += "<th>\(e(t("doc.decl.org")))</th><th>\(e(t("doc.decl.title_col")))</th><th>\(e(t("doc.decl.signature")))</th><th>\(e(t("doc.decl.time")))</th></tr></thead>\n<tbody>\n"
        for (i, r) in input.snapshot.reviewers.enumerated() {
            body += "<tr><td class=\"c\">\(i + 1)</td><td>\(e(r.name))</td><td>\(e(t("doc.decl.expert")))</td>"
            body += "<td class=\"blankcell\"></td><td class=\"blankcell\"></td><td class=\"blankcell\"></td><td class=\"blankcell\"></td></tr>\n"
        }
        body += "</tbody>\n</table>\n<div class=\"sign\"><p>\(e(t("doc.chair_sign")))</p></div>\n</section>\n"
        return frame(title: p.title + " — " + t("doc.decl.title"), landscape: false, body: body)
    }
}
