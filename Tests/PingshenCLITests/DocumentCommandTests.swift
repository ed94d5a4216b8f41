import Foundation
import PingshenCore
import Testing

/// Prints an HTML file with headless Chromium (installed by scripts/deps.sh) and reads the PDF back:
/// the page count, whether the pages are landscape, and each page's text.
func printedPages(_ html: String) throws -> (pages: [String], landscape: Bool) {
    func find(_ names: [String]) throws -> String {
        for n in names where FileManager.default.isExecutableFile(atPath: "/usr/bin/\(n)") { return "/usr/bin/\(n)" }
        throw TestFailure("\(names[0]) is not installed: run scripts/deps.sh")
    }
    let pdf = html + ".pdf"
    _ = try runTool(try find(["chromium", "chromium-browser"]),
                    ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf=\(pdf)", "file://\(html)"])
    let info = try runTool(try find(["pdfinfo"]), [pdf])
    let size = info.split(separator: "\n").first { $0.hasPrefix("Page size:") }?.split(separator: " ").compactMap { Double($0) } ?? []
    let text = try runTool(try find(["pdftotext"]), ["-layout", pdf, "-"])
    var pages = text.components(separatedBy: "\u{0C}")
    if pages.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true { pages.removeLast() }
    return (pages, size.count > 1 && size[0] > size[1])
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

@discardableResult
func runTool(_ exe: String, _ args: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

@Suite("Documents from the binary: every sample's matrix and sheets print; opinions are logged, exported, sealed")
struct DocumentCommandTests {
    @Test("Each bundled sample: the matrix equals the JSON's reviewer totals and prints on one page; the sheets print one expert per --reviewer",
          arguments: ["manufacturing-innovation-center", "tech-center-evaluation", "tech-innovation-demo-enterprise"])
    func samples(_ sample: String) throws {
        let sb = try Sandbox()
        try sb.ok(["panel", "load", "\(cliRepoRoot)/Samples/\(sample)"])
        let panel = try panelId(sample)
        let json = try jsonObject(try sb.ok(["results", panel, "--json"]))
        let apps = try #require((json["results"] as? [String: Any])?["applicants"] as? [[String: Any]])

        let matrix = sb.path("matrix.html")
        try sb.ok(["export", panel, "--format", "html", "--document", "matrix", "--out", matrix])
        let html = try String(contentsOfFile: matrix, encoding: .utf8)
        for a in apps {
            let id = try #require(a["id"] as? String)
            for t in a["reviewer_totals"] as? [[String: Any]] ?? [] {
                let r = try #require(t["reviewer"] as? String)
                let v = try #require(t["total"] as? Double)
                #expect(html.contains("data-reviewer=\"\(r)\" data-applicant=\"\(id)\" data-total=\"\(String(format: "%.2f", officialRound(v, decimals: 2).value))\""),
                        "\(sample) \(r)/\(id)")
            }
        }
        let printed = try printedPages(matrix)
        #expect(printed.pages.count == 1, "\(sample): matrix on \(printed.pages.count) pages")
        #expect(printed.landscape, "\(sample): 7 experts print landscape")
        #expect(printed.pages.joined().contains("专家打分汇总表") && printed.pages.joined().contains("组长"))

        let sheets = sb.path("sheets-r1.html")
        try sb.ok(["export", panel, "--format", "html", "--document", "sheets", "--reviewer", "r1", "--out", sheets])
        let s = try printedPages(sheets)
        let n = s.pages.joined().components(separatedBy: "专家签字").count - 1
        #expect(n >= 1 && (n...(2 * n)).contains(s.pages.count), "\(sample): \(n) sheets on \(s.pages.count) pages")
        // An unknown reviewer is refused, naming the known ones.
        let bad = try sb.run(["export", panel, "--format", "html", "--document", "sheets", "--reviewer", "nobody", "--out", sb.path("x.html")])
        #expect(bad.code != 0 && bad.err.contains("nobody"))
        let csvDoc = try sb.run(["export", panel, "--format", "csv", "--document", "matrix", "--out", sb.path("x.csv")])
        #expect(csvDoc.code != 0)
    }

    func panelId(_ sample: String) throws -> String {
        let text = try String(contentsOfFile: "\(cliRepoRoot)/Samples/\(sample)/panel.yaml", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("panel:") })
        return line.dropFirst("panel:".count).trimmingCharacters(in: .whitespaces)
    }

    @Test("Opinions and reservations: logged in the audit chain, in the JSON export and the opinions document, refused after the seal")
    func opinions() throws {
        let sb = try Sandbox()
        let sample = "manufacturing-innovation-center"
        try sb.ok(["panel", "load", "\(cliRepoRoot)/Samples/\(sample)"])
        let panel = try panelId(sample)
        try sb.ok(["opinion", panel, "a2", "--text", "建设目标基本完成，建议评为良好。", "--actor", "组长"])
        try sb.ok(["opinion", panel, "a2", "--reviewer", "r3", "--reservation", "产业化进展偏慢。"])
        let file = try sb.file("op.txt", "第一段。\n第二段。\n")
        try sb.ok(["opinion", panel, "a1", "--file", file])
        #expect(try sb.run(["opinion", panel, "a2", "--reservation", "无专家"]).code != 0)
        #expect(try sb.run(["opinion", panel, "nobody", "--text", "x"]).code != 0)

        let audit = try sb.ok(["audit", panel])
        #expect(audit.contains("opinion:a2") && audit.contains("reservation:r3"))
        try sb.ok(["verify", panel])

        let jsonPath = sb.path("r.json")
        try sb.ok(["export", panel, "--format", "json", "--out", jsonPath])
        let json = try jsonObject(try String(contentsOfFile: jsonPath, encoding: .utf8))
        let ops = try #require(json["opinions"] as? [[String: Any]])
        #expect(ops.count == 3)
        #expect(ops.contains { $0["kind"] as? String == "reservation" && $0["reviewer"] as? String == "r3" && $0["text"] as? String == "产业化进展偏慢。" })
        #expect(ops.allSatisfy { ($0["at"] as? String)?.hasSuffix("Z") == true && ($0["at_local"] as? String)?.hasSuffix("+08:00") == true })

        // The report and the workbook carry them too.
        try sb.ok(["export", panel, "--format", "html", "--out", sb.path("report.html")])
        #expect(try String(contentsOfFile: sb.path("report.html"), encoding: .utf8).contains("产业化进展偏慢。"))
        try sb.ok(["export", panel, "--format", "xlsx", "--out", sb.path("book.xlsx")])
        let sheets = try runTool("/usr/bin/env", ["python3", "-c", "import sys, openpyxl; wb = openpyxl.load_workbook(sys.argv[1]); print(wb.sheetnames[-1], wb.worksheets[-1].max_row)", sb.path("book.xlsx")])
        #expect(sheets.hasPrefix("评审意见 4"), "\(sheets)")

        try sb.ok(["finalize", panel, "--allow-incomplete", "--actor", "组长"])
        let refused = try sb.run(["opinion", panel, "a3", "--text", "封存后"])
        #expect(refused.code != 0)
        try sb.ok(["export", panel, "--format", "json", "--out", jsonPath])
        let sealedJSON = try jsonObject(try String(contentsOfFile: jsonPath, encoding: .utf8))
        #expect((sealedJSON["sealed_at_local"] as? String)?.hasSuffix("+08:00") == true)
        let doc = sb.path("opinions.html")
        try sb.ok(["export", panel, "--format", "html", "--document", "opinions", "--out", doc])
        let text = try printedPages(doc).pages.joined()
        for s in ["建设目标基本完成", "产业化进展偏慢", "第二段", "封存时间", "+08:00"] { #expect(text.contains(s), "\(s)") }
        #expect(!text.contains("封存后"))
        try sb.ok(["verify", panel])

        // The archive: written from the sealed panel, verified without the database, a changed file caught.
        let zip = sb.path("归档.zip")
        try sb.ok(["archive", panel, "--out", zip])
        let ok = try runPingshen(["archive", "verify", zip])
        #expect(ok.code == 0 && ok.out.contains("归档核验通过"), "\(ok.err)")
        let tampered = sb.path("tampered.zip")
        let script = try sb.file("tamper.py", """
            import sys, zipfile
            src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w")
            for n in src.namelist():
                d = src.read(n)
                if n == "audit.json": d = d.replace("建设目标基本完成".encode(), "建设目标全部完成".encode())
                dst.writestr(n, d)
            dst.close()
            """)
        _ = try runTool("/usr/bin/env", ["python3", script, zip, tampered])
        let bad = try runPingshen(["archive", "verify", tampered])
        #expect(bad.code != 0 && bad.err.contains("audit.json") && bad.err.contains("哈希链"), "\(bad.err)")
        // An open panel cannot be archived.
        let open = try Sandbox()
        try open.ok(["panel", "load", "\(cliRepoRoot)/Samples/\(sample)"])
        #expect(try open.run(["archive", panel, "--out", open.path("x.zip")]).code != 0)
    }
}
