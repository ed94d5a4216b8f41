import Foundation
import PingshenCore
import ZIPFoundation

/// A cell of a worksheet.
enum XCell {
    case empty
    case text(String)
    /// Bold header text.
    case header(String)
    /// Long text, wrapped.
    case wrap(String)
    /// A number, shown with the official decimals and stored rounded to them (what is shown is what is stored).
    case number(Double)
    /// A number struck through (a mark the trimmed mean dropped).
    case struck(Double)
    case integer(Int)

    static func num(_ v: Double?) -> XCell { v.map { .number($0) } ?? .empty }
}

struct XSheet {
    var name: String
    var rows: [[XCell]]
    /// Column widths in characters (the rest default).
    var widths: [Double]
    var frozenRows: Int
    var frozenColumns: Int
    /// Print landscape (set from the widths when nil: wider than an A4 portrait page).
    var landscape: Bool? = nil

    /// The widths: the given ones, widened to fit each column's text (CJK characters count double), capped.
    var fittedWidths: [Double] {
        let columns = rows.map(\.count).max() ?? 0
        var out: [Double] = []
        for c in 0..<columns {
            var need = 0.0
            for row in rows where c < row.count {
                let text: String
                var cap = 24.0
                switch row[c] {
                case .empty: continue
                case .text(let t): text = t
                case .header(let t): text = t; cap = 14
                case .wrap(let t): text = t; cap = 22
                case .number(let v), .struck(let v): text = String(format: "%.2f", v)
                case .integer(let v): text = String(v)
                }
                let longest = text.split(separator: "\n").map { XSheet.displayWidth(String($0)) }.max() ?? 0
                need = max(need, min(longest + 2, cap))
            }
            let given = c < widths.count ? widths[c] : 0
            // The given width is a floor for numbers and short codes, never wider than the text needs by much.
            out.append(max(6, min(max(need, min(given, need + 4)), 50)))
        }
        return out
    }

    var isLandscape: Bool { landscape ?? (fittedWidths.reduce(0, +) > 95) }

    /// Scaled to the page width when that keeps the text legible (about half size at most on A4 landscape);
    /// wider sheets (one column per indicator) print across pages at full size with their first columns repeated.
    var fitsWidth: Bool { fittedWidths.reduce(0, +) <= 300 }

    /// Columns a text takes in a spreadsheet: East Asian wide characters count two.
    static func displayWidth(_ s: String) -> Double {
        var w = 0.0
        for u in s.unicodeScalars { w += u.value >= 0x2E80 ? 2 : 1 }
        return w
    }
}

/// A minimal Office Open XML (SpreadsheetML) writer: inline strings, numbers as numbers, one bold and one
/// two-decimal style, frozen header rows. The package is zipped by ZIPFoundation.
enum XLSXWriter {
    static func workbook(_ sheets: [XSheet], decimals: Int = 2) throws -> Data {
        let archive: Archive
        do {
            archive = try Archive(accessMode: .create)
        } catch {
            throw PingshenError("report.xlsx_failed", [String(describing: error)])
        }
        var parts: [(String, Data)] = [
            ("[Content_Types].xml", Data(contentTypes(sheets.count).utf8)),
            ("_rels/.rels", Data(rootRels.utf8)),
            ("docProps/app.xml", Data(appXML.utf8)),
            ("xl/workbook.xml", Data(workbookXML(sheets).utf8)),
            ("xl/_rels/workbook.xml.rels", Data(workbookRels(sheets.count).utf8)),
            ("xl/styles.xml", Data(stylesXML(decimals: decimals).utf8)),
        ]
        for (i, s) in sheets.enumerated() {
            parts.append(("xl/worksheets/sheet\(i + 1).xml", Data(sheetXML(s, decimals: decimals).utf8)))
        }
        do {
            for (path, data) in parts {
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count),
                                     modificationDate: Date(timeIntervalSince1970: 1_700_000_000),
                                     compressionMethod: .deflate) { position, size in
                    let start = Int(position)
                    return data.subdata(in: start..<(start + size))
                }
            }
        } catch {
            throw PingshenError("report.xlsx_failed", [String(describing: error)])
        }
        guard let bytes = archive.data else { throw PingshenError("report.xlsx_failed", ["no archive data"]) }
        return bytes
    }

    static let header = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    static let mainNS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let relNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    static func contentTypes(_ n: Int) -> String {
        var s = header + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
        s += "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
        s += "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
        s += "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
        s += "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
        s += "<Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
        for i in stride(from: 1, through: n, by: 1) {
            s += "<Override PartName=\"/xl/worksheets/sheet\(i).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        }
        return s + "</Types>"
    }

    static let rootRels = header
        + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        + "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>"
        + "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>"
        + "</Relationships>"

    static let appXML = header
        + "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">"
        + "<Application>Pingshen</Application></Properties>"

    static func workbookXML(_ sheets: [XSheet]) -> String {
        var s = header + "<workbook xmlns=\"\(mainNS)\" xmlns:r=\"\(relNS)\"><sheets>"
        for (i, sh) in sheets.enumerated() {
            s += "<sheet name=\"\(xmlEscape(sheetName(sh.name)))\" sheetId=\"\(i + 1)\" r:id=\"rId\(i + 1)\"/>"
        }
        s += "</sheets><definedNames>"
        for (i, sh) in sheets.enumerated() {
            let quoted = "'" + sheetName(sh.name).replacingOccurrences(of: "'", with: "''") + "'"
            if let ref = filterRef(sh) {
                s += "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"\(i)\" hidden=\"1\">\(xmlEscape(quoted))!\(absolute(ref))</definedName>"
            }
            if sh.frozenRows > 0 {
                var titles = "\(quoted)!$1:$\(sh.frozenRows)"
                if !sh.fitsWidth && sh.frozenColumns > 0 {
                    titles = "\(quoted)!$A:$\(columnName(sh.frozenColumns - 1)),\(titles)"
                }
                s += "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"\(i)\">\(xmlEscape(titles))</definedName>"
            }
        }
        return s + "</definedNames></workbook>"
    }

    static func workbookRels(_ n: Int) -> String {
        var s = header + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        for i in 0..<n {
            s += "<Relationship Id=\"rId\(i + 1)\" Type=\"\(relNS)/worksheet\" Target=\"worksheets/sheet\(i + 1).xml\"/>"
        }
        s += "<Relationship Id=\"rId\(n + 1)\" Type=\"\(relNS)/styles\" Target=\"styles.xml\"/>"
        return s + "</Relationships>"
    }

    /// The autofilter's range: the last header row down to the last row, every column; nil without data rows.
    static func filterRef(_ sh: XSheet) -> String? {
        let columns = sh.rows.map(\.count).max() ?? 0
        guard sh.frozenRows > 0, sh.rows.count > sh.frozenRows, columns > 0 else { return nil }
        return "A\(sh.frozenRows):\(columnName(columns - 1))\(sh.rows.count)"
    }

    /// "A1:K9" as "$A$1:$K$9".
    static func absolute(_ ref: String) -> String {
        ref.split(separator: ":").map { part -> String in
            let letters = part.prefix { $0.isLetter }
            return "$\(letters)$\(part.dropFirst(letters.count))"
        }.joined(separator: ":")
    }

    /// The number format of the official decimals ("0.00" for 2).
    static func numberFormat(_ decimals: Int) -> String {
        let d = max(0, min(decimals, 6))
        return d == 0 ? "0" : "0." + String(repeating: "0", count: d)
    }

    /// Styles: 0 default, 1 bold header (wrapped, bordered), 2 number with the official decimals, 3 wrapped text,
    /// 4 number struck through. Fonts: the CJK-capable 等线 / Noto Sans CJK SC.
    static func stylesXML(decimals: Int) -> String { header + "<styleSheet xmlns=\"\(mainNS)\">"
        + "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"\(numberFormat(decimals))\"/></numFmts>"
        + "<fonts count=\"3\"><font><sz val=\"11\"/><name val=\"等线\"/><family val=\"2\"/><charset val=\"134\"/></font>"
        + "<font><b/><sz val=\"11\"/><name val=\"等线\"/><family val=\"2\"/><charset val=\"134\"/></font>"
        + "<font><strike/><sz val=\"11\"/><name val=\"等线\"/><family val=\"2\"/><charset val=\"134\"/></font></fonts>"
        + "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>"
        + "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
        + "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
        + "<cellXfs count=\"5\">"
        + "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
        + "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\" applyAlignment=\"1\"><alignment vertical=\"top\" wrapText=\"1\"/></xf>"
        + "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
        + "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyAlignment=\"1\"><alignment vertical=\"top\" wrapText=\"1\"/></xf>"
        + "<xf numFmtId=\"164\" fontId=\"2\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\" applyFont=\"1\"/>"
        + "</cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
        + "</styleSheet>"
    }

    static func sheetXML(_ sheet: XSheet, decimals: Int = 2) -> String {
        var s = header + "<worksheet xmlns=\"\(mainNS)\" xmlns:r=\"\(relNS)\">"
        // Printing: fit every column on the page width (as many pages down as needed).
        s += "<sheetPr><pageSetUpPr fitToPage=\"\(sheet.fitsWidth ? 1 : 0)\"/></sheetPr>"
        let fr = sheet.frozenRows, fc = sheet.frozenColumns
        if fr > 0 || fc > 0 {
            let topLeft = columnName(fc) + String(fr + 1)
            let pane = fr > 0 && fc > 0 ? "bottomRight" : fr > 0 ? "bottomLeft" : "topRight"
            s += "<sheetViews><sheetView workbookViewId=\"0\"><pane"
            if fc > 0 { s += " xSplit=\"\(fc)\"" }
            if fr > 0 { s += " ySplit=\"\(fr)\"" }
            s += " topLeftCell=\"\(topLeft)\" activePane=\"\(pane)\" state=\"frozen\"/></sheetView></sheetViews>"
        }
        // Without sheetFormatPr LibreOffice and WPS lay rows out at a height that draws the header over row 2.
        s += "<sheetFormatPr baseColWidth=\"10\" defaultRowHeight=\"16.5\"/>"
        let widths = sheet.fittedWidths
        if !widths.isEmpty {
            s += "<cols>"
            for (i, w) in widths.enumerated() {
                s += "<col min=\"\(i + 1)\" max=\"\(i + 1)\" width=\"\(formatNumber(w, decimals: 1))\" customWidth=\"1\"/>"
            }
            s += "</cols>"
        }
        s += "<sheetData>"
        s.reserveCapacity(sheet.rows.count * 64 * max(1, sheet.rows.first?.count ?? 1))
        for (ri, row) in sheet.rows.enumerated() {
            let r = ri + 1
            s += "<row r=\"\(r)\">"
            for (ci, cell) in row.enumerated() {
                let ref = columnName(ci) + String(r)
                switch cell {
                case .empty:
                    continue
                case .text(let t):
                    s += "<c r=\"\(ref)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(xmlEscape(cellText(t)))</t></is></c>"
                case .header(let t):
                    s += "<c r=\"\(ref)\" s=\"1\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(xmlEscape(cellText(t)))</t></is></c>"
                case .wrap(let t):
                    s += "<c r=\"\(ref)\" s=\"3\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(xmlEscape(cellText(t)))</t></is></c>"
                case .number(let v), .struck(let v):
                    guard v.isFinite else { continue }
                    let shown = officialRound(v, decimals: decimals).value
                    var style = "2"
                    if case .struck = cell { style = "4" }
                    s += "<c r=\"\(ref)\" s=\"\(style)\"><v>\(exactDecimalText(shown))</v></c>"
                case .integer(let v):
                    s += "<c r=\"\(ref)\"><v>\(v)</v></c>"
                }
            }
            s += "</row>"
        }
        s += "</sheetData>"
        if let ref = filterRef(sheet) { s += "<autoFilter ref=\"\(ref)\"/>" }
        s += "<printOptions gridLines=\"1\"/>"
        s += "<pageMargins left=\"0.4\" right=\"0.4\" top=\"0.6\" bottom=\"0.6\" header=\"0.3\" footer=\"0.3\"/>"
        s += "<pageSetup paperSize=\"9\" orientation=\"\(sheet.isLandscape ? "landscape" : "portrait")\""
            + (sheet.fitsWidth ? " fitToWidth=\"1\" fitToHeight=\"0\"/>" : "/>")
        s += "<headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter></headerFooter>"
        return s + "</worksheet>"
    }

    /// A, B, …, Z, AA, AB, … for a zero-based column index.
    static func columnName(_ index: Int) -> String {
        var n = index + 1
        var out = ""
        while n > 0 {
            let rem = (n - 1) % 26
            out = String(UnicodeScalar(UInt8(65 + rem))) + out
            n = (n - 1) / 26
        }
        return out
    }

    /// Sheet names: at most 31 characters, none of : \ / ? * [ ].
    static func sheetName(_ s: String) -> String {
        let cleaned = String(s.filter { !":\\/?*[]".contains($0) })
        return String(cleaned.prefix(31))
    }

    /// A cell holds at most 32 767 characters.
    static func cellText(_ s: String) -> String {
        s.count > 32_767 ? String(s.prefix(32_767)) : s
    }
}

/// Escapes text for XML and drops the characters XML 1.0 cannot carry (control characters other than
/// tab, line feed and carriage return; unpaired surrogates cannot occur in a Swift String).
func xmlEscape(_ s: String) -> String {
    var out = String.UnicodeScalarView()
    for u in s.unicodeScalars {
        switch u {
        case "&": out.append(contentsOf: "&amp;".unicodeScalars)
        case "<": out.append(contentsOf: "&lt;".unicodeScalars)
        case ">": out.append(contentsOf: "&gt;".unicodeScalars)
        case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
        case "'": out.append(contentsOf: "&#39;".unicodeScalars)
        case "\t", "\n", "\r": out.append(u)
        default:
            if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF { continue }
            out.append(u)
        }
    }
    return String(out)
}

extension ReportExporter {
    /// The workbook: 结果 (results), 指标明细 (every indicator per applicant), 评审专家 (per reviewer),
    /// 异常标记 (flags) and 说明 (panel, settings, agreement, provisional notice).
    public static func xlsx(_ results: PanelResults, rubric: Rubric, lang: Lang, date: String,
                            opinions: [PanelOpinion] = []) throws -> Data {
        let w = Words(lang: lang, results: results, rubric: rubric)
        let sep = w.clauseSep
        var sheets: [XSheet] = []

        // 结果
        // Under the calibrated method the official total is the adjusted score and the two views are the raw
        // combinations: the headers say so, side by side.
        let calibrated = results.settings.method == .calibrated
        var rows: [[XCell]] = [["report.h.rank", "report.h.tied", "report.h.applicant_id", "report.h.applicant",
                                "report.h.status", calibrated ? "report.h.total_adjusted" : "report.h.total", "report.h.grade",
                                "report.h.counted", "report.h.method",
                                calibrated ? "report.h.totals_view_raw" : "report.h.totals_view", "report.h.indicators_view",
                                "report.h.sd", "report.h.range",
                                "report.h.flags", "report.h.remarks", "report.h.provisional"].map { .header(w.t($0)) }]
        for a in results.ranked {
            rows.append([
                a.rank.map { .integer($0) } ?? .empty,
                a.tied ? .text(w.t("report.h.tied")) : .empty,
                .text(a.id), .text(a.name), .text(w.status(a)), .num(a.total),
                a.status == .graded ? .text(w.grade(a)) : .empty,
                .integer(a.counted.count), .text(w.methodShort(a.method)),
                .num(a.totalsView), .num(a.indicatorsView), .num(a.spread?.sd), .num(a.spread?.range),
                .text(w.flagSummary(a)), .wrap(w.remarks(a).joined(separator: sep)), .wrap(w.provisionalNote(a)),
            ])
        }
        sheets.append(XSheet(name: w.t("report.sheet.results"), rows: rows,
                             widths: [6, 6, 14, 28, 12, 10, 10, 8, 10, 10, 10, 8, 8, 18, 36, 36],
                             frozenRows: 1, frozenColumns: 0))

        // 指标明细: two header rows (name with weight, then id), one row per applicant.
        let numerals = ["一", "二", "三", "四", "五", "六"]
        let nodeHeaders: [XCell] = results.indicators.map { ind in
            let lvl = lang == .en ? "L\(ind.level) " : "\(numerals[min(ind.level, numerals.count) - 1])级 "
            return .header(lvl + ind.displayName(lang) + w.paren(formatNumber(ind.weight)) + (ind.provisional ? " ※" : ""))
        }
        var irows: [[XCell]] = [[.header(w.t("report.h.applicant_id")), .header(w.t("report.h.applicant")),
                                 .header(w.t("report.h.status"))] + nodeHeaders]
        irows.append([.empty, .empty, .empty] + results.indicators.map { .text($0.id) })
        for a in results.ranked {
            irows.append([.text(a.id), .text(a.name), .text(w.status(a))] + a.nodes.map { .num($0.points) })
        }
        sheets.append(XSheet(name: w.t("report.sheet.indicators"), rows: irows,
                             widths: [14, 28, 12] + results.indicators.map { _ in 14 }, frozenRows: 2, frozenColumns: 2))

        // 评审专家
        var rrows: [[XCell]] = [["report.h.reviewer_id", "report.h.reviewer", "report.h.sheets", "report.h.recused",
                                 "report.h.unsubmitted", "report.h.compared", "report.h.mean_dev", "report.h.se",
                                 "report.h.t", "report.h.rho", "report.h.flags"].map { .header(w.t($0)) }]
        for r in results.reviewers {
            rrows.append([.text(r.id), .text(r.name), .integer(r.sheetsCounted), .integer(r.recusedFrom.count),
                          .integer(r.unsubmitted), .integer(r.compared), .num(r.meanDeviation), .num(r.standardError),
                          .num(r.t), .num(r.rankCorrelation), .text(r.flags.map(w.kind).joined(separator: sep))])
        }
        sheets.append(XSheet(name: w.t("report.sheet.reviewers"), rows: rrows,
                             widths: [14, 20, 10, 8, 8, 10, 12, 12, 8, 10, 24], frozenRows: 1, frozenColumns: 0))

        // 异常标记
        var frows: [[XCell]] = [["report.h.kind", "report.h.applicant_id", "report.h.applicant", "report.h.reviewer_id",
                                 "report.h.reviewer", "report.h.indicator", "report.h.value", "report.h.reference",
                                 "report.h.deviation", "report.h.statistic", "report.h.se", "report.h.threshold",
                                 "report.h.explanation"].map { .header(w.t($0)) }]
        for f in results.flags {
            frows.append([.text(w.kind(f.kind)), f.applicant.map { .text($0) } ?? .empty,
                          f.applicant.map { .text(w.applicantName($0)) } ?? .empty,
                          f.reviewer.map { .text($0) } ?? .empty, f.reviewer.map { .text(w.reviewerName($0)) } ?? .empty,
                          f.indicator.map { .text(w.indicatorName($0)) } ?? .empty,
                          .number(f.value), .num(f.reference), .num(f.deviation), .num(f.statistic), .num(f.standardError),
                          .number(f.threshold), .wrap(f.explanation(lang))])
        }
        sheets.append(XSheet(name: w.t("report.sheet.flags"), rows: frows,
                             widths: [14, 14, 24, 12, 14, 24, 9, 9, 9, 9, 9, 9, 80], frozenRows: 1, frozenColumns: 0))

        // 说明
        let p = results.panel
        var notes: [[XCell]] = [[.header(w.t("report.h.item")), .header(w.t("report.h.explanation"))]]
        notes.append([.text(w.t("report.html.panel")), .text(p.title + w.paren(p.id))])
        notes.append([.text(w.t("report.html.rubric")), .text(rubric.displayName(lang))])
        notes.append([.text(w.t("report.html.round")), .text(results.round)])
        notes.append([.text(w.t("report.html.date")), .text(date)])
        notes.append([.text(w.t("report.html.method")), .text(w.methodLong(results.settings.method))])
        notes.append([.text(w.t("report.html.view")), .text(w.view(results.settings.view))])
        notes.append([.text(w.t("report.html.quorum")), .integer(results.settings.quorum)])
        notes.append([.text(w.t("report.html.results")),
                      .text(w.t("report.html.counts", String(results.counts.graded), String(results.counts.incomplete),
                                String(results.counts.ineligible)))])
        for line in w.agreementLines() { notes.append([.text(w.t("report.html.agreement")), .wrap(line)]) }
        for line in w.noticeLines() { notes.append([.text(w.t("report.h.provisional")), .wrap(line)]) }
        sheets.append(XSheet(name: w.t("report.sheet.notes"), rows: notes, widths: [18, 100], frozenRows: 1, frozenColumns: 0))

        // 打分汇总: every expert's total per applicant (the trimmed marks struck through, recusals 回避).
        var mrows: [[XCell]] = [[.header(w.t("report.h.applicant_id")), .header(w.t("report.h.applicant"))]
            + results.reviewers.map { .header($0.name) }
            + [.header(w.t("report.h.total")), .header(w.t("report.h.grade")), .header(w.t("report.h.rank"))]]
        for a in results.applicants {
            var row: [XCell] = [.text(a.id), .text(a.name)]
            for r in results.reviewers {
                if a.recused.contains(r.id) {
                    row.append(.text(w.t("doc.matrix.recused")))
                } else if let s = a.reviewerTotals.first(where: { $0.reviewer == r.id }) {
                    row.append(s.trimmed ? .struck(s.total) : .number(s.total))
                } else if a.unsubmitted.contains(r.id) {
                    row.append(.text(w.t("doc.matrix.unsubmitted")))
                } else {
                    row.append(.empty)
                }
            }
            row += [.num(a.total), a.status == .graded ? .text(w.grade(a)) : .text(w.status(a)), a.rank.map { .integer($0) } ?? .empty]
            mrows.append(row)
        }
        sheets.append(XSheet(name: w.t("doc.xlsx.matrix"), rows: mrows,
                             widths: [8, 24] + results.reviewers.map { _ in 9 } + [10, 10, 6], frozenRows: 1, frozenColumns: 2))

        // 评审意见 (only when some were recorded).
        if !opinions.isEmpty {
            var orows: [[XCell]] = [[.header(w.t("report.h.applicant_id")), .header(w.t("report.h.applicant")),
                                     .header(w.t("doc.reviewer")), .header(w.t("doc.opinions.title")), .header(w.t("doc.date"))]]
            for o in opinions {
                let who = o.reviewer.map { w.t("doc.opinions.reservations") + w.colon + w.reviewerName($0) } ?? w.t("doc.opinions.panel")
                orows.append([.text(o.applicant), .text(w.applicantName(o.applicant)), .text(who), .wrap(o.text),
                              .text(UTCTime.display(o.at))])
            }
            sheets.append(XSheet(name: w.t("doc.opinions.title"), rows: orows, widths: [10, 24, 16, 50, 26],
                                 frozenRows: 1, frozenColumns: 0))
        }

        return try XLSXWriter.workbook(sheets, decimals: results.settings.decimals)
    }
}
