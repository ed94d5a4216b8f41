import Foundation
import Testing
import PingshenCore
@testable import PingshenReport

/// A program installed by scripts/deps.sh (chromium, pdftotext, pdfinfo, soffice), or a failure naming the script.
func tool(_ names: [String]) throws -> String {
    for dir in ["/usr/bin", "/usr/local/bin", "/snap/bin"] {
        for n in names where FileManager.default.isExecutableFile(atPath: "\(dir)/\(n)") { return "\(dir)/\(n)" }
    }
    throw TestFailure.message("\(names[0]) is not installed: run scripts/deps.sh")
}

/// A printed PDF read back: its pages' text (pdftotext -layout) and its page size in points.
struct PrintedPDF {
    let pages: [String]
    let width: Double
    let height: Double
    var text: String { pages.joined(separator: "\n") }
    var landscape: Bool { width > height }

    init(_ pdf: String) throws {
        let info = try run(try tool(["pdfinfo"]), [pdf])
        guard info.code == 0 else { throw TestFailure.message("pdfinfo failed: \(info.err)") }
        let count = info.out.split(separator: "\n").first { $0.hasPrefix("Pages:") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        let size = info.out.split(separator: "\n").first { $0.hasPrefix("Page size:") }?
            .split(separator: " ").compactMap { Double($0) } ?? []
        width = size.first ?? 0
        height = size.count > 1 ? size[1] : 0
        let txt = pdf + ".txt"
        let r = try run(try tool(["pdftotext"]), ["-layout", pdf, txt])
        guard r.code == 0 else { throw TestFailure.message("pdftotext failed: \(r.err)") }
        var split = try String(contentsOfFile: txt, encoding: .utf8).components(separatedBy: "\u{0C}")
        if split.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true { split.removeLast() }
        pages = split
        if pages.count != count { throw TestFailure.message("pdftotext gave \(pages.count) pages, pdfinfo \(count)") }
    }
}

/// Prints an HTML document to PDF with headless Chromium (what a person gets from the browser's print).
func printHTML(_ html: String, _ name: String) throws -> PrintedPDF {
    let dir = try tempDir()
    let page = dir.appendingPathComponent("\(name).html").path
    let pdf = dir.appendingPathComponent("\(name).pdf").path
    try html.write(toFile: page, atomically: true, encoding: .utf8)
    let r = try run(try tool(["chromium", "chromium-browser"]),
                    ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf=\(pdf)",
                     "file://\(page)"])
    guard FileManager.default.fileExists(atPath: pdf) else { throw TestFailure.message("chromium printed nothing: \(r.err)") }
    return try PrintedPDF(pdf)
}

/// Reads the print setup of a workbook with openpyxl.
let printSetupScript = """
import sys, json, zipfile, openpyxl
z = zipfile.ZipFile(sys.argv[1])
wb = openpyxl.load_workbook(sys.argv[1])
out = [{"name": "", "sheet1": z.read("xl/worksheets/sheet1.xml").decode(), "workbook": z.read("xl/workbook.xml").decode()}]
for ws in wb.worksheets:
    fmts = sorted({c.number_format for row in ws.iter_rows() for c in row if isinstance(c.value, float)})
    out.append({"name": ws.title, "orientation": ws.page_setup.orientation, "paper": ws.page_setup.paperSize,
                "fit_width": ws.page_setup.fitToWidth, "fit_height": ws.page_setup.fitToHeight,
                "fit": ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None,
                "titles": ws.print_title_rows, "title_cols": ws.print_title_cols, "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref,
                "formats": fmts,
                "floats": [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, float)],
                "struck": [c.value for row in ws.iter_rows() for c in row if c.font is not None and c.font.strike]})
print(json.dumps(out, ensure_ascii=False))
"""

@Suite("Documents: printed with Chromium and LibreOffice, read back")
struct DocumentTests {
    let snapshot: PanelSnapshot
    let results: PanelResults
    let rubric: Rubric

    init() throws {
        let (snapshot, rubric) = try samplePanel()
        self.snapshot = snapshot
        self.rubric = rubric
        results = try aggregatePanel(snapshot, rubric, config: repoConfig)
    }

    func input(reviewer: String? = nil, opinions: [PanelOpinion] = []) -> DocumentInput {
        DocumentInput(results: results, rubric: rubric, snapshot: snapshot, lang: .zh, date: "2025-03-01",
                      reviewer: reviewer, opinions: opinions)
    }

    /// The sheets of the round that count on paper: not recused, stored.
    var sheetCount: Int {
        snapshot.sheets.filter { s in s.round == results.round && !snapshot.isRecused(s.reviewer, s.applicant) }.count
    }

    @Test("The matrix holds every reviewer's total as the results do, trimmed marks struck, the recusal marked 回避")
    func matrixCells() throws {
        let html = try ReportExporter.document(.matrix, input())
        let cell = try NSRegularExpression(pattern: "data-reviewer=\"([^\"]+)\" data-applicant=\"([^\"]+)\"( data-total=\"([^\"]+)\">(<del class=\"trim\">)?)?")
        var seen = 0
        for m in cell.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let r = String(html[try #require(Range(m.range(at: 1), in: html))])
            let a = String(html[try #require(Range(m.range(at: 2), in: html))])
            let app = try #require(results.applicant(a))
            if let s = app.reviewerTotals.first(where: { $0.reviewer == r }) {
                let shown = Range(m.range(at: 4), in: html).map { String(html[$0]) }
                #expect(shown == fixedNumber(s.total, decimals: 2), "\(r)/\(a)")
                #expect((m.range(at: 5).location != NSNotFound) == s.trimmed, "\(r)/\(a) trimmed")
                seen += 1
            }
        }
        #expect(seen == results.applicants.reduce(0) { $0 + $1.reviewerTotals.count })
        #expect(html.contains("data-reviewer=\"r2\" data-applicant=\"A1\">回避</td>"))
        // Markup in names is printed, not obeyed.
        #expect(html.contains("&lt;script&gt;") && !html.contains("<script>"))
    }

    @Test("The matrix prints on one or two A4 pages with every expert, the scores, 回避 and the signature lines")
    func matrixPrint() throws {
        let pdf = try printHTML(try ReportExporter.document(.matrix, input()), "matrix")
        #expect((1...2).contains(pdf.pages.count), "\(pdf.pages.count) pages")
        #expect(abs(pdf.width - 595) < 2 && abs(pdf.height - 842) < 2, "A4 portrait for 6 experts")
        let text = pdf.text
        for s in ["专家打分汇总表", "回避", "评审专家签字", "组长", "<b>张三</b>", "专家6"] { #expect(text.contains(s), "\(s)") }
        // No row is cut: each graded applicant's id and its official score are on the same page.
        for a in results.applicants where a.status == .graded {
            let total = try #require(a.total)
            let hit = pdf.pages.contains { $0.contains(" \(a.id) ") && $0.contains(fixedNumber(total, decimals: 2)) }
            #expect(hit, "\(a.id) \(fixedNumber(total, decimals: 2))")
        }
    }

    @Test("With more experts than fit a page, the matrix names each applicant's experts in columns 专家一…专家K")
    func matrixManyExperts() throws {
        var big = snapshot
        // 14 more reviewers, each scoring two applicants as r1 did (an assignment: nobody scores everyone).
        for k in 7...20 {
            big.reviewers.append(ReviewerInfo(id: "r\(k)", name: "外聘专家\(k)"))
            for a in ["A\(k % 5 + 1)", "A\((k + 2) % 5 + 1)"] {
                if var s = snapshot.sheets.first(where: { $0.reviewer == "r1" && $0.applicant == a }) {
                    s.reviewer = "r\(k)"
                    big.sheets.append(s)
                }
            }
        }
        let res = try aggregatePanel(big, rubric, config: repoConfig)
        let html = try ReportExporter.document(.matrix, DocumentInput(results: res, rubric: rubric, snapshot: big, lang: .zh,
                                                                      date: "2025-03-01"))
        #expect(html.contains("<th>专家一</th>") && !html.contains("<th class=\"num\" data-reviewer=\"r20\">"))
        let k = res.applicants.map { $0.reviewerTotals.count + $0.recused.count + $0.unsubmitted.count }.max() ?? 0
        #expect(html.contains("<th>专家\(Documents(input: DocumentInput(results: res, rubric: rubric, snapshot: big, lang: .zh, date: ""), w: Words(lang: .zh, results: res, rubric: rubric)).chineseNumeral(k))</th>"))
        let pdf = try printHTML(html, "matrix-many")
        #expect((1...2).contains(pdf.pages.count), "\(pdf.pages.count) pages")
        #expect(pdf.text.contains("外聘专家20"))
        // The last column is on the page, not cut off at its right edge.
        let last = Documents(input: DocumentInput(results: res, rubric: rubric, snapshot: big, lang: .zh, date: ""),
                             w: Words(lang: .zh, results: res, rubric: rubric)).chineseNumeral(k)
        #expect(pdf.pages[0].contains("专家\(last)") && pdf.pages[0].contains("排名"), "\(pdf.pages[0])")
    }

    @Test("Expert sheets: one per stored sheet, each with its signature line; --reviewer prints one expert's")
    func sheetsPrint() throws {
        let all = try printHTML(try ReportExporter.document(.sheets, input()), "sheets")
        let n = sheetCount
        #expect((n...(2 * n)).contains(all.pages.count), "\(all.pages.count) pages for \(n) sheets")
        #expect(all.text.components(separatedBy: "专家签字").count - 1 == n)
        #expect(all.text.components(separatedBy: "合计").count - 1 == n)
        for k in 1...n { #expect(all.text.contains("第 \(k) 份，共 \(n) 份")) }
        // A sheet starts on a new page: every page holding a title holds it once.
        #expect(all.pages.allSatisfy { $0.components(separatedBy: "专家个人评分表").count <= 2 })

        let mine = try printHTML(try ReportExporter.document(.sheets, input(reviewer: "r1")), "sheets-r1")
        let m = snapshot.sheets.filter { $0.reviewer == "r1" }.count
        #expect((m...(2 * m)).contains(mine.pages.count), "\(mine.pages.count) pages for \(m) sheets")
        #expect(mine.text.contains("<b>张三</b>") && !mine.text.contains("专家2"))
        #expect(throws: PingshenError.self) { try ReportExporter.document(.sheets, input(reviewer: "nobody")) }
    }

    @Test("Blank sheets, declarations and opinions print with their text, dates in Beijing time")
    func otherDocuments() throws {
        let blank = try printHTML(try ReportExporter.document(.blank, input(reviewer: "r3")), "blank")
        let b = snapshot.applicants.filter { !snapshot.isRecused("r3", $0.id) }.count
        #expect((b...(2 * b)).contains(blank.pages.count), "\(blank.pages.count) pages for \(b) blank sheets")
        #expect(blank.text.contains("纸质评分") && blank.text.contains("专家3"))

        let decl = try printHTML(try ReportExporter.document(.declarations, input()), "declarations")
        let reviewers = snapshot.reviewers.count
        #expect(((reviewers + 1)...(2 * reviewers + 2)).contains(decl.pages.count), "\(decl.pages.count) pages")
        for s in ["承诺书", "回避声明", "签到表", "已回避：曾任该中心顾问"] { #expect(decl.text.contains(s), "\(s)") }

        let ops = [PanelOpinion(applicant: "A2", text: "研发投入稳定，建议评为良好。", at: "2025-03-01T02:30:00.000Z", by: "chair"),
                   PanelOpinion(applicant: "A2", reviewer: "r4", text: "对专利质量持保留意见。", at: "2025-03-01T17:05:00.000Z", by: "r4")]
        let op = try printHTML(try ReportExporter.document(.opinions, input(opinions: ops)), "opinions")
        let apps = results.applicants.count
        #expect((apps...(2 * apps)).contains(op.pages.count), "\(op.pages.count) pages")
        for s in ["研发投入稳定", "对专利质量持保留意见", "专家4", "2025-03-01 10:30:00 +08:00", "2025-03-02 01:05:00 +08:00",
                  "尚未录入评审组意见"] {
            #expect(op.text.contains(s), "\(s)")
        }
    }

    @Test("The report prints on A4 with its tables' header rows and the seal in Beijing time")
    func reportPrint() throws {
        var sealed = results
        sealed.panel.sealedAt = "2025-03-01T16:30:00.000Z"
        sealed.panel.sealedBy = "chair"
        let pdf = try printHTML(ReportExporter.html(sealed, rubric: rubric, lang: .zh, date: "2025-03-02"), "report")
        #expect((4...14).contains(pdf.pages.count), "\(pdf.pages.count) pages")
        #expect(pdf.text.contains("2025-03-02 00:30:00 +08:00") && !pdf.text.contains("16:30:00.000Z"))
    }

    @Test("The xlsx prints tidily with LibreOffice: A4, fitted to width, titles, filter, official decimals, a matrix sheet")
    func xlsxPrint() throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("results.xlsx").path
        try ReportExporter.write(.xlsx, results: results, rubric: rubric, lang: .zh, date: "2025-03-01", to: path)

        var setup = try #require(try python(printSetupScript, path) as? [[String: Any]])
        // The package itself: sheetFormatPr, page setup and the print titles.
        let package = setup.removeFirst()
        let sheet1 = package["sheet1"] as? String ?? ""
        #expect(sheet1.contains("<sheetFormatPr") && sheet1.contains("paperSize=\"9\"") && sheet1.contains("<autoFilter"))
        #expect((package["workbook"] as? String ?? "").contains("_xlnm.Print_Titles"))
        #expect(setup.map { $0["name"] as? String ?? "" } == ["结果", "指标明细", "评审专家", "异常标记", "说明", "打分汇总"])
        for s in setup {
            let name = s["name"] as? String ?? ""
            #expect(s["paper"] as? Int == 9, "\(name)")
            if name == "指标明细" {
                // One column per indicator: printed across pages at full size, the applicant columns repeated.
                #expect(s["fit"] as? Bool == false && s["title_cols"] as? String == "$A:$B", "\(name) \(s)")
            } else {
                #expect(s["fit"] as? Bool == true && s["fit_width"] as? Int == 1 && s["fit_height"] as? Int == 0, "\(name)")
            }
            #expect((s["formats"] as? [String] ?? []).allSatisfy { $0 == "0.00" }, "\(name)")
            // Stored values are what is shown: at most two decimals.
            for v in s["floats"] as? [Double] ?? [] { #expect(abs(v * 100 - (v * 100).rounded()) < 1e-6, "\(name) \(v)") }
        }
        #expect(setup[0]["orientation"] as? String == "landscape" && setup[0]["titles"] as? String == "$1:$1")
        #expect(setup[0]["freeze"] as? String == "A2" && (setup[0]["filter"] as? String)?.hasPrefix("A1:") == true)
        let trimmed = results.applicants.flatMap { $0.reviewerTotals.filter(\.trimmed) }.count
        #expect((setup[5]["struck"] as? [Any])?.count == trimmed)

        // LibreOffice lays it out: a handful of pages, not dozens; the results on one page.
        let soffice = try tool(["soffice", "libreoffice"])
        let conv = try run(soffice, ["--headless", "-env:UserInstallation=file://\(dir.path)/lo", "--convert-to", "pdf",
                                     "--outdir", dir.path, path])
        let pdfPath = dir.appendingPathComponent("results.pdf").path
        #expect(FileManager.default.fileExists(atPath: pdfPath), "soffice: \(conv.err)")
        let pdf = try PrintedPDF(pdfPath)
        #expect((6...20).contains(pdf.pages.count), "\(pdf.pages.count) pages")
        let first = pdf.pages.first ?? ""
        for a in results.applicants where a.status == .graded {
            let total = try #require(a.total)
            #expect(first.contains(fixedNumber(total, decimals: 2)), "\(a.id) on the first page")
        }
    }
}
