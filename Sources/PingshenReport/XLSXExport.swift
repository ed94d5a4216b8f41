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
    /// A number, shown with two decimals but stored at full precision.
    case number(Double)
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
}

/// A minimal Office Open XML (SpreadsheetML) writer: inline strings, numbers as numbers, one bold and one
/// two-decimal style, frozen header rows. The package is zipped by ZIPFoundation.
enum XLSXWriter {
    static func workbook(_ sheets: [XSheet]) throws -> Data {
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
            ("xl/styles.xml", Data(stylesXML.utf8)),
        ]
        for (i, s) in sheets.enumerated() {
            parts.append(("xl/worksheets/sheet\(i + 1).xml", Data(sheetXML(s).utf8)))
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
        return s + "</sheets></workbook>"
    }

    static func workbookRels(_ n: Int) -> String {
        var s = header + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        for i in 0..<n {
            s += "<Relationship Id=\"rId\(i + 1)\" Type=\"\(relNS)/worksheet\" Target=\"worksheets/sheet\(i + 1).xml\"/>"
        }
        s += "<Relationship Id=\"rId\(n + 1)\" Type=\"\(relNS)/styles\" Target=\"styles.xml\"/>"
        return s + "</Relationships>"
    }

    /// Styles: 0 default, 1 bold header (wrapped), 2 number "0.00", 3 wrapped text.
    static let stylesXML = header + "<styleSheet xmlns=\"\(mainNS)\">"
        + "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"0.00\"/></numFmts>"
        + "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
        + "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
        + "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>"
        + "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
        + "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
        + "<cellXfs count=\"4\">"
        + "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
        + "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\" applyAlignment=\"1\"><alignment vertical=\"top\" wrapText=\"1\"/></xf>"
        + "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
        + "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyAlignment=\"1\"><alignment vertical=\"top\" wrapText=\"1\"/></xf>"
        + "</cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
        + "</styleSheet>"

    static func sheetXML(_ sheet: XSheet) -> String {
        var s = header + "<worksheet xmlns=\"\(mainNS)\" xmlns:r=\"\(relNS)\">"
        let fr = sheet.frozenRows, fc = sheet.frozenColumns
        if fr > 0 || fc > 0 {
            let topLeft = columnName(fc) + String(fr + 1)
            let pane = fr > 0 && fc > 0 ? "bottomRight" : fr > 0 ? "bottomLeft" : "topRight"
            s += "<sheetViews><sheetView workbookViewId=\"0\"><pane"
            if fc > 0 { s += " xSplit=\"\(fc)\"" }
            if fr > 0 { s += " ySplit=\"\(fr)\"" }
            s += " topLeftCell=\"\(topLeft)\" activePane=\"\(pane)\" state=\"frozen\"/></sheetView></sheetViews>"
        }
        if !sheet.widths.isEmpty {
            s += "<cols>"
            for (i, w) in sheet.widths.enumerated() {
                s += "<col min=\"\(i + 1)\" max=\"\(i + 1)\" width=\"\(w)\" customWidth=\"1\"/>"
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
                case .number(let v):
                    guard v.isFinite else { continue }
                    s += "<c r=\"\(ref)\" s=\"2\"><v>\(v == 0 ? "0" : "\(v)")</v></c>"
                case .integer(let v):
                    s += "<c r=\"\(ref)\"><v>\(v)</v></c>"
                }
            }
            s += "</row>"
        }
        return s + "</sheetData></worksheet>"
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
    public static func xlsx(_ results: PanelResults, rubric: Rubric, lang: Lang, date: String) throws -> Data {
        let w = Words(lang: lang, results: results, rubric: rubric)
        let sep = w.clauseSep
        var sheets: [XSheet] = []

        // 结果
        var rows: [[XCell]] = [["report.h.rank", "report.h.tied", "report.h.applicant_id", "report.h.applicant",
                                "report.h.status", "report.h.total", "report.h.grade", "report.h.counted", "report.h.method",
                                "report.h.totals_view", "report.h.indicators_view", "report.h.sd", "report.h.range",
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

        return try XLSXWriter.workbook(sheets)
    }
}
