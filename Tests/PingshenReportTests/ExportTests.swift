import Foundation
import Testing
import PingshenCore
@testable import PingshenReport

/// Reads the XLSX with openpyxl (a real reader) and prints what it holds as JSON.
let openpyxlScript = """
import sys, json, zipfile, openpyxl
path = sys.argv[1]
parts = zipfile.ZipFile(path).namelist()
wb = openpyxl.load_workbook(path)
def rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]
print(json.dumps({
    "parts": parts,
    "sheets": wb.sheetnames,
    "results": rows(wb.worksheets[0]),
    "indicators": rows(wb.worksheets[1]),
    "reviewers": rows(wb.worksheets[2]),
    "flags": rows(wb.worksheets[3]),
    "notes": rows(wb.worksheets[4]),
}, ensure_ascii=False))
"""

/// Parses CSV with Python's csv module and prints the rows as JSON.
let csvScript = """
import sys, csv, json
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    print(json.dumps(list(csv.reader(f)), ensure_ascii=False))
"""

func python(_ script: String, _ file: String) throws -> Any {
    let dir = try tempDir()
    let scriptPath = dir.appendingPathComponent("read.py").path
    try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
    let r = try run("/usr/bin/env", ["python3", scriptPath, file])
    guard r.code == 0 else {
        throw TestFailure.message("python3 failed (run scripts/deps.sh to install python3 and openpyxl): \(r.err)")
    }
    return try JSONSerialization.jsonObject(with: Data(r.out.utf8))
}

@Suite("Exports: CSV, JSON, XLSX, HTML")
struct ExportTests {
    let results: PanelResults
    let rubric: Rubric
    let json: [String: Any]

    init() throws {
        let (snapshot, rubric) = try samplePanel()
        self.rubric = rubric
        results = try aggregatePanel(snapshot, rubric, config: repoConfig)
        let data = try ReportExporter.json(results, rubric: rubric, lang: .zh, date: "2025-03-01")
        json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    var jsonApplicants: [String: [String: Any]] {
        let r = json["results"] as? [String: Any]
        let list = r?["applicants"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.compactMap { a in (a["id"] as? String).map { ($0, a) } })
    }

    @Test("The sample panel exercises every status, the flags and the provisional grades")
    func fixture() {
        #expect(results.counts.graded == 5 && results.counts.incomplete == 1 && results.counts.ineligible == 1)
        #expect(results.applicant("A6")?.status == .ineligible && results.applicant("A7")?.status == .incomplete)
        #expect(results.flags.contains { $0.kind == .severe && $0.reviewer == "r3" })
        #expect(results.flags.contains { $0.kind == .wildScore && $0.applicant == "A4" && $0.reviewer == "r5" })
        #expect(results.provisional.any && results.provisional.gradesProvisional)
        #expect(results.applicant("A1")?.recused == ["r2"])
    }

    @Test("CSV starts with the UTF-8 BOM, parses, and holds the results table")
    func csv() throws {
        let data = ReportExporter.csv(results, rubric: rubric, lang: .zh)
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let dir = try tempDir()
        let path = dir.appendingPathComponent("results.csv").path
        try data.write(to: URL(fileURLWithPath: path))
        let rows = try #require(try python(csvScript, path) as? [[String]])
        #expect(rows.count == results.applicants.count + 1)
        let header = rows[0]
        #expect(header.first == "排名" && header.contains("综合得分") && header.last == "暂定说明")
        #expect(rows.dropFirst().allSatisfy { $0.count == header.count })
        let idCol = try #require(header.firstIndex(of: "单位编号"))
        let nameCol = try #require(header.firstIndex(of: "申报单位"))
        let totalCol = try #require(header.firstIndex(of: "综合得分"))
        let provCol = try #require(header.firstIndex(of: "暂定说明"))
        // Report order: graded by rank first.
        #expect(rows.dropFirst().map { $0[idCol] } == results.ranked.map(\.id))
        for row in rows.dropFirst() {
            let a = try #require(results.applicant(row[idCol]))
            #expect(row[totalCol] == (a.total.map { fixedNumber($0, decimals: 2) } ?? ""))
            // Names come back intact; a leading "=" is defused with an apostrophe.
            #expect(row[nameCol] == (a.name.hasPrefix("=") ? "'" + a.name : a.name))
            #expect(a.status == .graded ? row[provCol].contains("等级分数线") : true)
        }
        let en = String(decoding: ReportExporter.csv(results, rubric: rubric, lang: .en), as: UTF8.self)
        #expect(en.hasPrefix("\u{FEFF}Rank,Tied,Applicant ID"))
    }

    @Test("JSON holds every number of the report and the provisional notice")
    func jsonExport() throws {
        #expect(json["format"] as? String == "pingshen-results" && json["date"] as? String == "2025-03-01")
        let notice = try #require(json["notice"] as? [String])
        #expect(notice.first?.hasPrefix("注意") == true)
        let apps = jsonApplicants
        #expect(apps.count == results.applicants.count)
        for a in results.applicants {
            let j = try #require(apps[a.id])
            #expect(j["total"] as? Double == a.total)
            #expect(j["totals_view"] as? Double == a.totalsView)
            #expect(j["indicators_view"] as? Double == a.indicatorsView)
            #expect(j["rank"] as? Int == a.rank)
            #expect((j["reviewer_totals"] as? [[String: Any]])?.count == a.reviewerTotals.count)
            #expect((j["nodes"] as? [[String: Any]])?.count == results.indicators.count)
        }
        let r = try #require(json["results"] as? [String: Any])
        #expect((r["flags"] as? [[String: Any]])?.count == results.flags.count)
        #expect((r["agreement"] as? [String: Any])?["icc"] as? Double == results.agreement.icc)
        // The whole PanelResults decodes back unchanged.
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        struct Doc: Decodable { var results: PanelResults }
        let back = try dec.decode(Doc.self, from: try ReportExporter.json(results, rubric: rubric, lang: .zh, date: "x"))
        #expect(back.results == results)
    }

    @Test("XLSX is a real workbook: openpyxl reads it and its numbers equal the JSON's")
    func xlsx() throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("results.xlsx").path
        try ReportExporter.write(.xlsx, results: results, rubric: rubric, lang: .zh, date: "2025-03-01", to: path)
        let book = try #require(try python(openpyxlScript, path) as? [String: Any])
        let parts = try #require(book["parts"] as? [String])
        for part in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"] {
            #expect(parts.contains(part), "missing \(part)")
        }
        #expect(book["sheets"] as? [String] == ["结果", "指标明细", "评审专家", "异常标记", "说明", "打分汇总"])
        let apps = jsonApplicants

        // 结果: numbers are numbers and equal the JSON's.
        let res = try #require(book["results"] as? [[Any]])
        let header = res[0].map { $0 as? String ?? "" }
        let col = { (name: String) throws -> Int in try #require(header.firstIndex(of: name)) }
        let (idC, nameC, totalC, tvC, ivC, rankC) = (try col("单位编号"), try col("申报单位"), try col("综合得分"),
                                                    try col("总分视角得分"), try col("指标视角得分"), try col("排名"))
        #expect(res.count == results.applicants.count + 1)
        for row in res.dropFirst() {
            let id = try #require(row[idC] as? String)
            let j = try #require(apps[id])
            #expect(row[totalC] as? Double == j["total"] as? Double)
            // Stored as shown: the official decimals (the JSON keeps full precision).
            #expect(row[tvC] as? Double == (j["totals_view"] as? Double).map { officialRound($0, decimals: 2).value })
            #expect(row[ivC] as? Double == (j["indicators_view"] as? Double).map { officialRound($0, decimals: 2).value })
            #expect(row[rankC] as? Int == j["rank"] as? Int)
            #expect(row[nameC] as? String == results.applicant(id)?.name)  // names verbatim, markup and all
        }

        // 指标明细: the second row holds the node ids; each cell equals the JSON node's points.
        let ind = try #require(book["indicators"] as? [[Any]])
        let ids = ind[1].map { $0 as? String ?? "" }
        #expect(Array(ids.dropFirst(3)) == results.indicators.map(\.id))
        #expect((ind[0][3] as? String)?.contains("建设目标完成情况") == true)
        for row in ind.dropFirst(2) {
            let id = try #require(row[0] as? String)
            let nodes = try #require(apps[id]?["nodes"] as? [[String: Any]])
            for (k, node) in nodes.enumerated() {
                #expect(row[3 + k] as? Double == (node["points"] as? Double).map { officialRound($0, decimals: 2).value }, "\(id) \(ids[3 + k])")
            }
        }

        // 评审专家: deviations, standard errors and rank correlations equal the JSON's.
        let revs = try #require(book["reviewers"] as? [[Any]])
        let jr = try #require((json["results"] as? [String: Any])?["reviewers"] as? [[String: Any]])
        #expect(revs.count == jr.count + 1)
        for (row, j) in zip(revs.dropFirst(), jr) {
            #expect(row[0] as? String == j["id"] as? String)
            let shown = { (k: String) in (j[k] as? Double).map { officialRound($0, decimals: 2).value } }
            #expect(row[6] as? Double == shown("mean_deviation"))
            #expect(row[7] as? Double == shown("standard_error"))
            #expect(row[9] as? Double == shown("rank_correlation"))
        }
        let r3 = try #require(revs.first { $0[0] as? String == "r3" })
        #expect((r3[10] as? String)?.contains("专家偏严") == true)

        let flags = try #require(book["flags"] as? [[Any]])
        #expect(flags.count == results.flags.count + 1)
        let notes = try #require(book["notes"] as? [[Any]])
        #expect(notes.contains { ($0[1] as? String)?.hasPrefix("注意") == true })
    }

    @Test("HTML: the results table, both kinds of SVG chart, the provisional notice, everything escaped, nothing fetched")
    func html() throws {
        let h = ReportExporter.html(results, rubric: rubric, lang: .zh, date: "2025-03-01")
        #expect(h.hasPrefix("<!DOCTYPE html>") && h.contains("<html lang=\"zh-CN\">"))
        #expect(h.contains("<table class=\"results\">"))
        #expect(h.components(separatedBy: "<svg class=\"reviewer-chart\"").count == 2)
        #expect(h.components(separatedBy: "<svg class=\"distribution\"").count == results.applicants.count + 1)
        #expect(h.contains("id=\"provisional-notice\"") && h.contains("注意：本结果使用了来源未给出的暂定数值"))
        #expect(h.contains("2025-03-01") && h.contains("初评"))
        // Grades and the flags are in the page.
        for a in results.applicants where a.status == .graded {
            #expect(h.contains(htmlEscape(a.grade ?? "?")))
        }
        #expect(h.contains("专家偏严") && h.contains("单项评分离群"))
        // Every breakdown lists the 一级 indicators.
        #expect(h.components(separatedBy: "建设目标完成情况").count - 1 >= results.applicants.count)
        // Hostile text is escaped, never markup.
        #expect(!h.contains("<script") && h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;有限公司"))
        #expect(!h.contains("<b>张三</b>") && h.contains("&lt;b&gt;张三&lt;/b&gt;"))
        #expect(h.contains("Smith &amp; Sons &quot;精密&quot;"))
        #expect(h.contains("&lt;第一组&gt; &amp; “复核”"))
        // Self-contained: no scripts, no external resources.
        for bad in ["src=", "href=\"http", "url(", "@import", "<link", "<script"] { #expect(!h.contains(bad), "\(bad)") }
        #expect(h.contains("@media print"))

        let en = ReportExporter.html(results, rubric: rubric, lang: .en, date: "2025-03-01")
        #expect(en.contains("<html lang=\"en\">") && en.contains("Notice: these results use provisional numbers"))
        #expect(en.contains("Severe reviewer"))
    }

    @Test("Without provisional numbers no notice appears")
    func noNotice() throws {
        let (snapshot, rubric0) = try samplePanel()
        var rubric = rubric0
        rubric.gradesProvisional = false
        let plain = try aggregatePanel(snapshot, rubric, config: repoConfig)
        #expect(!plain.provisional.any)
        let h = ReportExporter.html(plain, rubric: rubric, lang: .zh, date: "2025-03-01")
        #expect(!h.contains("provisional-notice") && !h.contains("※ 使用了暂定数值"))
        let csv = String(decoding: ReportExporter.csv(plain, rubric: rubric, lang: .zh), as: UTF8.self)
        #expect(!csv.contains("暂定数值"))
        let j = try JSONSerialization.jsonObject(with: ReportExporter.json(plain, rubric: rubric, lang: .zh, date: "d")) as? [String: Any]
        #expect((j?["notice"] as? [String])?.isEmpty == true)
    }

    @Test("Writing to a place that cannot be written is refused with the path named")
    func writeFailure() throws {
        let path = "/nonexistent-\(UUID().uuidString)/out.csv"
        #expect(throws: PingshenError.self) {
            try ReportExporter.write(.csv, results: results, rubric: rubric, lang: .zh, date: "d", to: path)
        }
        do {
            try ReportExporter.write(.csv, results: results, rubric: rubric, lang: .zh, date: "d", to: path)
        } catch let e as PingshenError {
            #expect(e.key == "report.write_failed" && e.args.first == path)
        }
        #expect(throws: PingshenError("report.bad_format", ["pdf", "csv, json, xlsx, html"])) { try ExportFormat.parse("pdf") }
        #expect(try ExportFormat.parse("XLSX") == .xlsx)
    }

    @Test("Terminal views: the results table, the reviewer table, flag lines and the summary")
    func textViews() throws {
        let t = ResultsText.resultsTable(results, rubric: rubric, lang: .zh)
        #expect(t.headers.count == 11 && t.rows.count == results.applicants.count)
        #expect(t.rows.allSatisfy { $0.count == t.headers.count })
        #expect(t.rows.map { $0[1] } == results.ranked.map(\.id))
        let first = try #require(results.ranked.first)
        #expect(t.rows[0][0] == "1" && t.rows[0][3] == fixedNumber(first.total ?? -1, decimals: 2) + " ※")
        let ineligible = try #require(t.rows.first { $0[1] == "A6" })
        #expect(ineligible[4] == "不符合基本条件" && ineligible[10].contains("已转移扩散的共性技术"))
        let incomplete = try #require(t.rows.first { $0[1] == "A7" })
        #expect(incomplete[10].contains("少于法定人数 3"))
        let rv = ResultsText.reviewersTable(results, rubric: rubric, lang: .en)
        #expect(rv.rows.count == results.reviewers.count && rv.rows.first { $0[0] == "r3" }?.last == "Severe reviewer")
        let lines = ResultsText.flagLines(results, lang: .zh)
        #expect(lines.count == results.flags.count && lines.contains { $0.hasPrefix("[专家偏严]") })
        let summary = ResultsText.summaryLines(results, rubric: rubric, lang: .zh)
        #expect(summary.contains { $0.contains("ICC(2,1)") } && summary.contains { $0.hasPrefix("注意") })
        #expect(throws: PingshenError("report.bad_method", ["mode", "--method", "auto, trimmed, mean, median, calibrated"])) {
            try AggregationMethod.parse("mode")
        }
        #expect(try AggregationMethod.parse("Median") == .median)
    }

    @Test("XML and HTML escaping drop control characters and escape markup")
    func escaping() {
        #expect(xmlEscape("a<b>&\"c'\u{1}\u{7}\td") == "a&lt;b&gt;&amp;&quot;c&#39;\td")
        #expect(htmlEscape("<i>\u{0}x</i>") == "&lt;i&gt;x&lt;/i&gt;")
        #expect(XLSXWriter.columnName(0) == "A" && XLSXWriter.columnName(25) == "Z" && XLSXWriter.columnName(26) == "AA"
            && XLSXWriter.columnName(701) == "ZZ" && XLSXWriter.columnName(702) == "AAA")
        #expect(ReportExporter.csvField("a,\"b\"") == "\"a,\"\"b\"\"\"")
    }
}
