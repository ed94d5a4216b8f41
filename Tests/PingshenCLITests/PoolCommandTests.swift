import Foundation
import PingshenCore
import PingshenStore
import Testing

/// Runs python3 with the arguments; returns the exit code and standard output.
private func python(_ args: [String]) throws -> (code: Int32, out: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.standardError
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self))
}

private let samplePool = cliRepoRoot + "/Samples/pool/pool.csv"
private let sampleApplicants = cliRepoRoot + "/Samples/pool/applicants.csv"

extension Sandbox {
    /// The sample pool and a panel P1 with the walkthrough's 40 applicants (organizations, groups, fields).
    func poolPanel(applicants limit: Int = 40) throws {
        try ok(["pool", "import", samplePool])
        try ok(["panel", "create", "P1", "--rubric", "tech-innovation-demo-enterprise", "--title", "抽取测试"])
        let lines = try String(contentsOfFile: sampleApplicants, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        for line in lines.prefix(limit) {
            let c = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var args = ["applicant", "add", "P1", c[0], "--name", c[1], "--organization", c[2], "--field", c[4]]
            if !c[3].isEmpty { args += ["--related", c[3]] }
            try ok(args)
        }
    }

    func drawJSON(_ args: [String]) throws -> [String: Any] {
        try jsonObject(try ok(["draw", "P1"] + args + ["--json"]))
    }
}

@Suite("pool, draw and assign commands", .serialized)
struct PoolCommandTests {
    @Test("pool import: the sample CSV (BOM, Chinese headers) and YAML; list; a bad file changes nothing and names FILE:LINE and the field")
    func importAndList() throws {
        let s = try Sandbox()
        let out = try s.ok(["pool", "import", samplePool])
        #expect(out.contains("320"))
        #expect(try s.ok(["pool", "import", cliRepoRoot + "/Samples/pool/pool.yaml"]).contains("未变 320"))
        let list = try #require(try JSONSerialization.jsonObject(with: Data(try s.ok(["pool", "list", "--json"]).utf8)) as? [[String: Any]])
        #expect(list.count == 320)
        #expect(list.contains { ($0["available"] as? Bool) == false })
        let bad = try s.file("bad.csv", "\u{FEFF}id,name,organization,kind,available\nx1,甲,单位甲,技术,yes\nx1,乙,单位乙,技术,yes\nx3,丙,单位丙,技术,maybe\n")
        let r = try s.run(["pool", "import", bad, "--lang", "en"])
        #expect(r.code == 1)
        #expect(r.err.contains("bad.csv:3:") && r.err.contains("appears twice"))
        #expect(r.err.contains("bad.csv:4:") && r.err.contains("[field available]"))
        #expect(r.err.contains("the pool was not changed"))
        let after = try #require(try JSONSerialization.jsonObject(with: Data(try s.ok(["pool", "list", "--json"]).utf8)) as? [[String: Any]])
        #expect(after.count == 320)
        #expect(!after.contains { ($0["id"] as? String) == "x1" })
        // A pool saved as GB18030 ("ANSI" on a Chinese Windows) is read with a notice.
        let gbPath = s.path("gb.csv")
        let iconv = Process()
        iconv.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        iconv.arguments = ["iconv", "-f", "UTF-8", "-t", "GB18030", "-o", gbPath,
                           try s.file("u.csv", "编号,姓名,工作单位,类别\ng1,郭建华,松岑大学会计学院,财务\n")]
        try iconv.run()
        iconv.waitUntilExit()
        let gb = try s.run(["pool", "import", gbPath])
        #expect(gb.code == 0, "\(gb.err)")
        #expect(try s.store().pool().contains { $0.id == "g1" && $0.name == "郭建华" })
    }

    @Test("draw: quotas, one per organization, no tied or unavailable expert; the same seed gives the same draw; Python agrees")
    func drawRules() throws {
        let a = try Sandbox(), b = try Sandbox()
        try a.poolPanel()
        try b.poolPanel()
        let args = ["--count", "9", "--kinds", "技术=6,管理=2,财务=1", "--reserve", "2", "--one-per-organization", "--seed", "2026-12-01 双色球 07 12 19 23 28 31 + 05"]
        let ja = try a.drawJSON(args), jb = try b.drawJSON(args)
        let drawn = try #require(ja["drawn"] as? [[String: Any]])
        #expect(drawn.map { $0["id"] as? String } == (jb["drawn"] as? [[String: Any]])?.map { $0["id"] as? String })
        #expect(ja["candidates_digest"] as? String == jb["candidates_digest"] as? String)
        #expect(drawn.count == 9)
        #expect(drawn.filter { $0["kind"] as? String == "技术" }.count == 6)
        #expect(drawn.filter { $0["kind"] as? String == "管理" }.count == 2)
        #expect(drawn.filter { $0["kind"] as? String == "财务" }.count == 1)
        let reserve = try #require(ja["reserve"] as? [[String: Any]])
        let orgs = (drawn + reserve).compactMap { $0["organization"] as? String }
        #expect(Set(orgs).count == orgs.count)
        // No drawn expert is unavailable or tied to an applicant.
        let pool = try a.store().pool()
        let profiles = try a.store().applicantProfiles(panel: "P1")
        for d in drawn {
            let e = try #require(pool.first { $0.id == d["id"] as? String })
            #expect(e.available)
            #expect(profiles.allSatisfy { tieReason(e, $0) == nil }, "\(e.id) is tied")
        }
        // A different seed gives a different draw.
        let c = try Sandbox()
        try c.poolPanel()
        let jc = try c.drawJSON(["--count", "9", "--kinds", "技术=6,管理=2,财务=1", "--one-per-organization", "--seed", "another"])
        #expect((jc["drawn"] as? [[String: Any]])?.map { $0["id"] as? String } != drawn.map { $0["id"] as? String })
        // The auditor's script recomputes the same draw from the snapshot.
        let exported = try a.ok(["draw", "verify", "P1", "--json"])
        let file = try a.file("draws.json", exported)
        let py = try python([cliRepoRoot + "/scripts/draw_check.py", file])
        #expect(py.code == 0, "\(py.out)")
        #expect(py.out.contains("drawn=" + drawn.compactMap { $0["id"] as? String }.joined(separator: ",")))
        // Without --seed the seed comes from the system: 32 hex digits, and two draws differ.
        let d = try Sandbox()
        try d.poolPanel(applicants: 3)
        let j1 = try d.drawJSON(["--count", "5"])
        let seed = try #require(j1["seed"] as? String)
        #expect(seed.count == 32 && seed.allSatisfy(\.isHexDigit))
        let j2 = try d.drawJSON(["--count", "5", "--reason", "第一次抽取的专家多人无法到会"])
        #expect(j2["seed"] as? String != seed)
    }

    @Test("draw verify catches an edited snapshot row and an edited reviewer; a later edit of the pool does not matter")
    func verifyTamper() throws {
        let s = try Sandbox()
        try s.poolPanel(applicants: 10)
        let j = try s.drawJSON(["--count", "7", "--kinds", "技术=5,管理=1,财务=1", "--seed", "42"])
        let first = try #require((j["drawn"] as? [[String: Any]])?.first?["id"] as? String)
        #expect(try s.ok(["draw", "verify", "P1"]).contains("✓"))
        // The pool changes afterwards (a new title, an expert made unavailable): the draw still verifies.
        let changed = try String(contentsOfFile: samplePool, encoding: .utf8)
            .replacingOccurrences(of: ",是,", with: ",否,")
        try s.ok(["pool", "import", try s.file("pool2.csv", changed)])
        #expect(try s.run(["draw", "verify", "P1"]).code == 0)
        // An edited snapshot row fails, and so does the Python script.
        try s.store().executeRaw("UPDATE draw_candidate SET organization = organization || 'x' WHERE panel_id = 'P1' AND pos = 3")
        let r = try s.run(["draw", "verify", "P1", "--lang", "en"])
        #expect(r.code == 1)
        #expect(r.out.contains("snapshot of draw 1 was changed"))
        let exported = try s.run(["draw", "verify", "P1", "--json"]).out
        let py = try python([cliRepoRoot + "/scripts/draw_check.py", try s.file("d.json", exported)])
        #expect(py.code == 1)
        #expect(py.out.contains("DIFFERS"))
        try s.store().executeRaw("UPDATE draw_candidate SET organization = substr(organization, 1, length(organization) - 1) WHERE panel_id = 'P1' AND pos = 3")
        #expect(try s.run(["draw", "verify", "P1"]).code == 0)
        // An edited reviewer (another expert put in place of a drawn one) fails.
        try s.store().executeRaw("UPDATE reviewer SET id = 'e9999' WHERE panel_id = 'P1' AND id = '\(first)'")
        let r2 = try s.run(["draw", "verify", "P1", "--lang", "en"])
        #expect(r2.code == 1)
        #expect(r2.out.contains(first) && r2.out.contains("not in the panel"))
    }

    @Test("refusals name the rule and the candidates left; a repeated draw needs a reason; Chinese by default")
    func refusals() throws {
        let s = try Sandbox()
        try s.poolPanel(applicants: 5)
        let r = try s.run(["draw", "P1", "--count", "3", "--kinds", "财务=3", "--field", "纺织", "--seed", "1", "--lang", "en"])
        #expect(r.code == 1)
        #expect(r.err.contains("rule “kind quotas”") && r.err.contains("财务 needs 3"))
        let zh = try s.run(["draw", "P1", "--count", "7", "--kinds", "技术=5,管理=1"])
        #expect(zh.code == 1 && zh.err.contains("各类别人数之和为 6"))
        let big = try s.run(["draw", "P1", "--count", "400", "--seed", "1", "--lang", "en"])
        #expect(big.code == 1 && big.err.contains("rule “count”: 400 needed"))
        #expect(try s.store().reviewers(panel: "P1").isEmpty)
        try s.ok(["draw", "P1", "--count", "3", "--seed", "1"])
        let again = try s.run(["draw", "P1", "--count", "3", "--seed", "2", "--lang", "en"])
        #expect(again.code == 1 && again.err.contains("needs a reason"))
        try s.ok(["draw", "P1", "--count", "3", "--seed", "2", "--reason", "组长更换后重新抽取"])
        let v = try s.ok(["draw", "verify", "P1"])
        #expect(v.contains("第 1 次抽取") && v.contains("第 2 次抽取") && v.contains("组长更换后重新抽取"))
        #expect(try s.store().reviewers(panel: "P1").count == 3)
    }

    @Test("ties as pairs: tied experts may be drawn and their ties become recusals; draw replace takes the next candidate")
    func tiesAsPairsAndReplace() throws {
        let s = try Sandbox()
        try s.poolPanel()
        // e0011 works at a01's organization (Samples/pool: a tie by organization).
        try s.ok(["draw", "P1", "--count", "60", "--ties", "pairs", "--seed", "pairs"])
        let recusals = try s.store().recusals(panel: "P1")
        let pool = try s.store().pool()
        let profiles = try s.store().applicantProfiles(panel: "P1")
        for r in try s.store().reviewers(panel: "P1") {
            let e = try #require(pool.first { $0.id == r.id })
            for a in profiles where tieReason(e, a) != nil {
                #expect(recusals.contains { $0.reviewer == r.id && $0.applicant == a.id }, "\(r.id)/\(a.id) not recused")
            }
        }
        #expect(!recusals.isEmpty)
        let before = try s.store().reviewers(panel: "P1").map(\.id)
        let out = try s.ok(["draw", "replace", "P1", before[0], "--reason", "出差无法参加"])
        #expect(out.contains(before[0]))
        let after = try s.store().reviewers(panel: "P1").map(\.id)
        #expect(!after.contains(before[0]) && after.count == before.count)
        #expect(try s.run(["draw", "verify", "P1"]).code == 0)
        let exported = try s.ok(["draw", "verify", "P1", "--json"])
        let py = try python([cliRepoRoot + "/scripts/draw_check.py", try s.file("d.json", exported)])
        #expect(py.code == 0, "\(py.out)")
        let log = try s.store().auditLog(panel: "P1")
        #expect(log.contains { $0.entity == "draw:1" && $0.field == "replace" && $0.old == before[0] && $0.reason == "出差无法参加" })
        #expect(try s.ok(["audit", "P1", "--check"]).contains("P1"))
    }

    @Test("assign: K per applicant, balanced, connected; status, imports and sessions respect it; pairs by hand are logged")
    func assignAndEnforce() throws {
        let s = try Sandbox()
        try s.poolPanel()
        try s.ok(["draw", "P1", "--count", "30", "--ties", "pairs", "--seed", "assign"])
        let j = try jsonObject(try s.ok(["assign", "P1", "--per-applicant", "5", "--seed", "9", "--json"]))
        let pairs = try #require(j["assignments"] as? [[String: String]])
        #expect(pairs.count == 200)
        #expect(j["connected"] as? Bool == true)
        let loads = try #require(j["loads"] as? [String: Int])
        #expect(loads.count == 30 && loads.values.allSatisfy { $0 == 6 || $0 == 7 })
        let recused = Set(try s.store().recusals(panel: "P1").map { "\($0.reviewer)/\($0.applicant)" })
        #expect(pairs.allSatisfy { !recused.contains("\($0["reviewer"] ?? "")/\($0["applicant"] ?? "")") })
        var perApplicant: [String: Int] = [:]
        for p in pairs { perApplicant[p["applicant"] ?? "", default: 0] += 1 }
        #expect(perApplicant.count == 40 && perApplicant.values.allSatisfy { $0 == 5 })
        let show = try jsonObject(try s.ok(["assign", "show", "P1", "--json"]))
        #expect((show["assignments"] as? [[String: String]])?.count == 200)

        // status expects only the assigned pairs.
        let status = try jsonObject(try s.ok(["status", "P1", "--json"]))
        #expect(status["expected"] as? Int == 200)

        // An import of an unassigned pair is refused, an assigned one accepted.
        let reviewers = try s.store().reviewers(panel: "P1").map(\.id)
        let assigned = Set(pairs.map { "\($0["reviewer"] ?? "")/\($0["applicant"] ?? "")" })
        let unassigned = try #require(reviewers.lazy.flatMap { r in (1...40).map { (r, String(format: "a%02d", $0)) } }
            .first { !assigned.contains("\($0.0)/\($0.1)") && !recused.contains("\($0.0)/\($0.1)") })
        let sheet = try s.file("s.txt", "panel: P1\nreviewer: \(unassigned.0)\napplicant: \(unassigned.1)\n")
        let r = try s.run(["import", "P1", sheet, "--lang", "en"])
        #expect(r.code == 1 && r.err.contains("is not assigned"))
        // So is a scoring session, before its first prompt.
        let session = try s.run(["score", "P1", "--reviewer", unassigned.0, "--applicant", unassigned.1, "--lang", "en"], stdin: "")
        #expect(session.code == 1 && session.err.contains("is not assigned"))
        let p0 = pairs[0]
        try s.ok(["import", "P1", try s.file("ok.txt", "panel: P1\nreviewer: \(p0["reviewer"] ?? "")\napplicant: \(p0["applicant"] ?? "")\n")])
        // The chair adds the pair by hand (logged); then the import goes through.
        try s.ok(["assign", "add", "P1", unassigned.0, unassigned.1, "--reason", "该专家熟悉此领域"])
        try s.ok(["import", "P1", sheet])
        let log = try s.store().auditLog(panel: "P1")
        #expect(log.contains { $0.entity == "assignment:\(unassigned.0)/\(unassigned.1)" && $0.reason == "该专家熟悉此领域" })
        // A scored pair cannot be removed; a re-assignment keeps it.
        let rm = try s.run(["assign", "remove", "P1", unassigned.0, unassigned.1, "--reason", "x", "--lang", "en"])
        #expect(rm.code == 1 && rm.err.contains("already has a sheet"))
        let again = try jsonObject(try s.ok(["assign", "P1", "--per-applicant", "5", "--seed", "10", "--json"]))
        let kept = (again["assignments"] as? [[String: String]]) ?? []
        #expect(kept.contains { $0["reviewer"] == unassigned.0 && $0["applicant"] == unassigned.1 })
        #expect(kept.contains { $0["reviewer"] == p0["reviewer"] && $0["applicant"] == p0["applicant"] })
        #expect(try s.ok(["audit", "P1", "--check"]).contains("P1"))
    }

    @Test("assign never pairs a reviewer with an applicant added after the draw that the pool says they are tied to")
    func tiesAfterTheDraw() throws {
        let s = try Sandbox()
        try s.poolPanel(applicants: 12)
        let j = try s.drawJSON(["--count", "6", "--seed", "late"])
        let first = try #require((j["drawn"] as? [[String: Any]])?.first)
        let org = try #require(first["organization"] as? String), id = try #require(first["id"] as? String)
        try s.ok(["applicant", "add", "P1", "late", "--name", "后加入的申报单位", "--organization", org])
        // Fewer reviewers per applicant than the quorum (3 by default) could grade nobody: refused.
        let low = try s.run(["assign", "P1", "--per-applicant", "2", "--lang", "en"])
        #expect(low.code == 1 && low.err.contains("below the quorum 3"))
        #expect(try s.store().assignments(panel: "P1").isEmpty)
        let out = try s.ok(["assign", "P1", "--per-applicant", "3", "--seed", "1", "--lang", "en"])
        #expect(out.contains("left out of the assignment"))
        let pairs = try s.store().assignments(panel: "P1")
        #expect(!pairs.contains { $0.reviewer == id && $0.applicant == "late" })
        #expect(pairs.filter { $0.applicant == "late" }.count == 3)
    }

    @Test("assign --groups field: groups by the applicants' field with a suggested leader each, connected")
    func groups() throws {
        let s = try Sandbox()
        try s.poolPanel()
        try s.ok(["draw", "P1", "--count", "40", "--kinds", "技术=40", "--seed", "groups"])
        let j = try jsonObject(try s.ok(["assign", "P1", "--per-applicant", "3", "--groups", "field", "--seed", "3", "--json"]))
        let groups = try #require(j["groups"] as? [[String: Any]])
        #expect(groups.count == 10)
        #expect(j["connected"] as? Bool == true)
        #expect((j["assignments"] as? [[String: String]])?.count == 120)
        #expect(groups.allSatisfy { g in (g["leader"] as? String).map { (g["reviewers"] as? [String])?.contains($0) == true } == true })
        let bad = try s.run(["assign", "P1", "--per-applicant", "3", "--groups", "region", "--lang", "en"])
        #expect(bad.code == 1 && bad.err.contains("can only be field"))
    }

    @Test("panel.yaml: applicants' organization, related and field are loaded and drive the tie checks")
    func manifestProfiles() throws {
        let s = try Sandbox()
        try s.ok(["pool", "import", samplePool])
        let dir = s.path("m")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            panel: m1
            rubric: tech-innovation-demo-enterprise
            title: 清单加载
            round: 初评
            reviewers:
              - {id: r1, name: 张三}
            applicants:
              - {id: a1, name: 明溪智能装备有限公司, related: [澄江装备集团], field: 智能制造}
              - {id: a2, name: 甲公司, organization: 恒岳新材料股份有限公司, related: "岱川控股集团；明溪实业集团", field: 新材料}
              - {id: a3, name: 乙公司}
            """.write(toFile: dir + "/panel.yaml", atomically: true, encoding: .utf8)
        try s.ok(["panel", "load", dir])
        let profiles = try s.store().applicantProfiles(panel: "m1")
        #expect(profiles.map(\.field) == ["智能制造", "新材料", nil])
        #expect(profiles[1].organization == "恒岳新材料股份有限公司" && profiles[1].related == ["岱川控股集团", "明溪实业集团"])
        #expect(profiles[0].related == ["澄江装备集团"] && profiles[2].organizations == ["乙公司"])
        let bad = try s.file("bad.yaml", "panel: m2\nrubric: tech-innovation-demo-enterprise\ntitle: x\nround: 初评\nreviewers: [{id: r1, name: a}]\napplicants: [{id: a1, name: b, sector: c}]\n")
        let badDir = s.path("bad")
        try FileManager.default.createDirectory(atPath: badDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: bad, toPath: badDir + "/panel.yaml")
        let r = try s.run(["panel", "load", badDir, "--lang", "en"])
        #expect(r.code == 1 && r.err.contains("sector"))
    }
}
