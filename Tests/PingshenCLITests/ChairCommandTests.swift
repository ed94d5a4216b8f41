import Foundation
import GRDB
import PingshenCore
import PingshenRubricFormat
import Testing

/// The bundled sample panels, by folder.
let sampleFolders = ["manufacturing-innovation-center", "tech-innovation-demo-enterprise", "tech-center-evaluation"]

/// Loads a bundled sample into a fresh sandbox and returns the sandbox and the panel id.
func loadedSample(_ folder: String) throws -> (Sandbox, String, PlantedTruth) {
    let sb = try Sandbox()
    let dir = "\(cliRepoRoot)/Samples/\(folder)"
    try sb.ok(["panel", "load", dir])
    let plantedPath = "\(dir)/planted.yaml"
    let planted = try PlantedLoader.parse(try String(contentsOfFile: plantedPath, encoding: .utf8), file: plantedPath).get()
    return (sb, planted.panel, planted)
}

func flagList(_ outliersJSON: String) throws -> [[String: Any]] {
    try #require(try jsonObject(outliersJSON)["flags"] as? [[String: Any]])
}

@Suite("The chair: results, outliers, finalize, verify, export, panel load")
struct ChairCommandTests {
    @Test("Each bundled sample loads, and its planted harsh reviewer, wild score and ineligible applicant are found",
          arguments: sampleFolders)
    func samplesFlagged(folder: String) throws {
        let (sb, panel, planted) = try loadedSample(folder)
        let flags = try flagList(try sb.ok(["outliers", panel, "--json"]))
        for h in planted.harsh {
            #expect(flags.contains { $0["kind"] as? String == "severe" && $0["reviewer"] as? String == h.reviewer },
                    "harsh reviewer \(h.reviewer) not flagged in \(folder)")
        }
        for w in planted.wild {
            let isTotal = w.leaf == nil || w.leaf == "total"
            let kind = isTotal ? "wild_total" : "wild_score"
            #expect(flags.contains {
                $0["kind"] as? String == kind && $0["reviewer"] as? String == w.reviewer
                    && $0["applicant"] as? String == w.applicant && (isTotal || $0["indicator"] as? String == w.leaf)
            }, "wild score \(w.reviewer)/\(w.applicant)/\(w.leaf ?? "total") not flagged in \(folder)")
        }
        // No reviewer is called lenient or severe who was not planted so.
        let biased = Set(planted.harsh.map(\.reviewer) + planted.lenient.map(\.reviewer))
        for f in flags where ["severe", "lenient"].contains(f["kind"] as? String ?? "") {
            #expect(biased.contains(f["reviewer"] as? String ?? ""), "unplanted bias flag in \(folder): \(f)")
        }
        let results = try jsonObject(try sb.ok(["results", panel, "--json"]))
        let r = try #require(results["results"] as? [String: Any])
        let applicants = try #require(r["applicants"] as? [[String: Any]])
        for i in planted.ineligible {
            let a = try #require(applicants.first { $0["id"] as? String == i.applicant })
            #expect(a["status"] as? String == "ineligible")
        }
        let ineligible = applicants.filter { $0["status"] as? String == "ineligible" }
        #expect(ineligible.count == planted.ineligible.count)
        // The recused reviewer is left out of that applicant.
        for rec in planted.recusals {
            let a = try #require(applicants.first { $0["id"] as? String == rec.applicant })
            #expect((a["recused"] as? [String])?.contains(rec.reviewer) == true)
            #expect((a["counted"] as? [String])?.contains(rec.reviewer) == false)
        }
    }

    @Test("results prints the table; --method changes the combination and is named")
    func resultsTable() throws {
        let (sb, panel, _) = try loadedSample("manufacturing-innovation-center")
        let text = try sb.ok(["results", panel])
        #expect(text.contains("综合得分") && text.contains("不符合基本条件") && text.contains("良好"))
        let mean = try jsonObject(try sb.ok(["results", panel, "--json", "--method", "mean"]))
        let median = try jsonObject(try sb.ok(["results", panel, "--json", "--method", "median"]))
        let m1 = (mean["results"] as? [String: Any])?["settings"] as? [String: Any]
        let m2 = (median["results"] as? [String: Any])?["settings"] as? [String: Any]
        #expect(m1?["method"] as? String == "mean")
        #expect(m2?["method"] as? String == "median")
        let bad = try sb.run(["results", panel, "--method", "vote"])
        // A typed option: the argument parser refuses it (usage error, exit 64) naming the value and the choices.
        #expect(bad.code == 64 && bad.err.contains("vote") && bad.err.contains("trimmed"), "\(bad.err)")
    }

    @Test("finalize seals: later changes are refused; verify confirms; a row edited in the database is caught")
    func sealAndVerify() throws {
        let (sb, panel, _) = try loadedSample("manufacturing-innovation-center")
        let sealed = try sb.ok(["finalize", panel, "--actor", "组长"])
        #expect(sealed.contains("已封存"))
        #expect(try sb.run(["finalize", panel]).code == 1)
        let reopen = try sb.run(["sheet", "reopen", panel, "--reviewer", "r1", "--applicant", "a1", "--reason", "改分"])
        #expect(reopen.code == 1 && reopen.err.contains("封存"))
        let add = try sb.run(["reviewer", "add", panel, "r9", "--name", "新专家"])
        #expect(add.code == 1)
        let ok = try sb.run(["verify", panel])
        #expect(ok.code == 0 && ok.out.contains("核验通过"))

        // Tamper behind the program's back: drop the guard trigger and change one stored score.
        let q = try DatabaseQueue(path: sb.db)
        try q.write { db in
            try db.execute(sql: "DROP TRIGGER sheet_point_sealed_update")
            try db.execute(sql: """
                UPDATE sheet_point SET points = 0
                WHERE sheet_id = (SELECT min(sheet_id) FROM sheet_point) AND leaf_id = 'goals'
                """)
        }
        let bad = try sb.run(["--lang", "en", "verify", panel])
        #expect(bad.code == 1)
        #expect(bad.err.contains("changed after sealing"))
        #expect(bad.err.contains("recomputed results"))
        #expect(bad.err.contains("audit"), "the replay of the audit log names the edited score: \(bad.err)")
    }

    @Test("verify catches an edited audit row")
    func auditTamper() throws {
        let (sb, panel, _) = try loadedSample("tech-center-evaluation")
        try sb.ok(["finalize", panel])
        let q = try DatabaseQueue(path: sb.db)
        try q.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit SET actor = 'mallory' WHERE rowid = (SELECT min(rowid) + 3 FROM audit)")
        }
        let bad = try sb.run(["verify", panel])
        #expect(bad.code == 1)
    }

    @Test("finalize refuses a panel with applicants short of the quorum unless told")
    func finalizeIncomplete() throws {
        let sb = try Sandbox()
        try sb.panel("manufacturing-innovation-center", reviewers: 3, applicants: 1)  // variant annual: no gates
        let r = try sb.run(["finalize", "P1"])
        #expect(r.code == 1 && r.err.contains("a1"))
        try sb.ok(["finalize", "P1", "--allow-incomplete"])
    }

    @Test("export writes csv (BOM), json, xlsx (read back by openpyxl) and html with the same totals")
    func exports() throws {
        let (sb, panel, _) = try loadedSample("tech-innovation-demo-enterprise")
        for f in ["csv", "json", "xlsx", "html"] {
            try sb.ok(["export", panel, "--format", f, "--out", sb.path("out.\(f)")])
        }
        let csv = try #require(FileManager.default.contents(atPath: sb.path("out.csv")))
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let json = try jsonObject(try String(contentsOfFile: sb.path("out.json"), encoding: .utf8))
        let applicants = try #require((json["results"] as? [String: Any])?["applicants"] as? [[String: Any]])
        let totals = Dictionary(uniqueKeysWithValues: applicants.compactMap { a -> (String, Double)? in
            guard let id = a["id"] as? String, let t = a["total"] as? Double else { return nil }
            return (id, t)
        })
        #expect(totals.count >= 6)
        // The workbook's first sheet, read by a real reader.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import json, sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
            ws = wb.worksheets[0]
            rows = list(ws.iter_rows(values_only=True))
            print(json.dumps({"sheets": wb.sheetnames, "rows": [[c if isinstance(c, (int, float, str)) or c is None else str(c) for c in r] for r in rows]}))
            """, sb.path("out.xlsx")]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let book = try jsonObject(String(decoding: data, as: UTF8.self))
        #expect((book["sheets"] as? [String])?.count ?? 0 >= 3)
        let rows = try #require(book["rows"] as? [[Any]])
        var matched = 0
        for row in rows {
            for (id, total) in totals where row.contains(where: { ($0 as? String) == id }) {
                if row.contains(where: { ($0 as? Double).map { abs($0 - total) < 1e-9 } ?? false }) { matched += 1 }
            }
        }
        #expect(matched == totals.count, "every graded applicant's total appears in the workbook's results sheet")
        let html = try String(contentsOfFile: sb.path("out.html"), encoding: .utf8)
        #expect(html.contains("<table") && html.contains("<svg") && html.contains("暂定"))
        let bad = try sb.run(["export", panel, "--format", "pdf", "--out", sb.path("x.pdf")])
        #expect(bad.code == 1)
    }

    @Test("panel load refuses a manifest with an error before writing anything")
    func loadRefuses() throws {
        let sb = try Sandbox()
        let dir = sb.dir.appendingPathComponent("bad").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        panel: bad1
        rubric: manufacturing-innovation-center
        title: 坏的清单
        round: 初评
        reviewers: [{id: r1, name: 甲}]
        applicants: [{id: a1, name: 乙}]
        recusals: [{reviewer: r9, applicant: a1, reason: 无此人}]
        """.write(toFile: "\(dir)/panel.yaml", atomically: true, encoding: .utf8)
        let r = try sb.run(["panel", "load", dir])
        #expect(r.code == 1)
        #expect(r.err.contains("panel.yaml:7"))
        #expect(!FileManager.default.fileExists(atPath: sb.db))
    }
}
