import Foundation
import PingshenCore
import PingshenStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("pingshen score: the interactive session")
struct ScoreSessionTests {
    @Test("Each rubric can be scored start to finish with piped input, then submitted; sheet show agrees",
          arguments: ["manufacturing-innovation-center", "tech-innovation-demo-enterprise", "tech-center-evaluation"])
    func fullSession(rubricId: String) throws {
        let s = try Sandbox()
        try s.panel(rubricId, reviewers: 1, applicants: 1)
        let rubric = try cliRubric(rubricId)
        // Verified data for every value leaf (a plausible mid value) and the industry.
        var dataLines = ["panel: P1", "applicant: a1"]
        if rubric.industries != nil { dataLines.append("industry: 机械") }
        var values: [String: Double] = [:]
        for leaf in rubric.leaves where leaf.input == .value {
            let v: Double
            switch leaf.rule {
            case .proportional(let zero, let full)?: v = (zero + full) / 2
            case .requirement(let basic, let full, _, _)?: v = (basic + full) / 2
            default: v = 1
            }
            values[leaf.id] = v
            dataLines.append("\(leaf.id) = \(formatNumber(v, decimals: 4))")
        }
        if values.isEmpty == false {
            try s.file("d.txt", dataLines.joined(separator: "\n") + "\n")
            try s.ok(["data", "import", "P1", s.path("d.txt")])
        }
        let plan = answers(rubric)
        let input = plan.map { $0.input + "\n" }.joined()
        let r = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: input)
        #expect(r.code == 0)
        // The session talks on standard error; standard output has only the closing summary.
        #expect(r.out.split(separator: "\n").count == 1)
        #expect(r.out.contains("已评 \(plan.count)/\(plan.count) 项"))
        #expect(r.err.contains("全部评完"))
        #expect(r.err.components(separatedBy: "（已保存）").count - 1 == plan.count)
        for leaf in rubric.leaves where leaf.input == .value {
            #expect(r.err.contains("[\(leaf.id)]"), "value leaf \(leaf.id) not shown")
        }

        let points = Dictionary(uniqueKeysWithValues: plan.map { ($0.leaf.id, $0.points) })
        #expect(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.points ?? [:] == points)
        let expected = scoreSheet(rubric: rubric, points: points,
                                  data: ApplicantData(values: values, industry: rubric.industries == nil ? nil : "机械"))
        #expect(expected.isComplete)
        let j = try jsonObject(try s.ok(["sheet", "show", "P1", "--reviewer", "r1", "--applicant", "a1", "--json"]))
        #expect(j["total"] as? Double == roundTo(expected.total))
        #expect(j["complete"] as? Bool == true)
        #expect(try s.ok(["sheet", "submit", "P1", "--reviewer", "r1", "--applicant", "a1"]).contains(formatNumber(expected.total)))
    }

    @Test("The session shows path, weight, guidance, rule and the verified value with its points")
    func display() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        try s.file("d.txt", "panel: P1\napplicant: a1\nrd-staff-share = 30%\nnote rd-staff-share: 核定自花名册\n")
        try s.ok(["data", "import", "P1", s.path("d.txt")])
        let r = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: "20\n")
        #expect(r.err.contains("[1/21] 建设目标完成情况  [goals]"))
        #expect(r.err.contains("分值 30 分 · 酌情得分 0–30 分，步长 0.5"))
        #expect(r.err.contains("指标说明：创新中心完成建设方案所设定的建设目标"))
        #expect(r.err.contains("goals [0–30，步长 0.5] > "))
        #expect(r.err.contains("创新资源 › 创新队伍 › 科技人员占企业职工总数的比例  [rd-staff-share]"))
        #expect(r.err.contains("基本要求：10%"))
        #expect(r.err.contains("核定值：30% → 得 1.5 / 3 分"))
        #expect(r.err.contains("核定说明：核定自花名册"))
        #expect(r.err.contains("leading-expert [0 或 2，或 是/否] > "))
        // The English session.
        let en = try s.run(["--lang", "en", "score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: "")
        #expect(en.code == 0)
        #expect(en.err.contains("Innovation resources › Innovation team") || en.err.contains("Construction goals met"))
        #expect(en.out.contains("everything accepted is saved"))
    }

    @Test("Bad input is refused at the prompt with the allowed range; nothing is written for it")
    func refusals() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        let r = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1"],
                          stdin: "31\n-1\n20.3\nabc\n1e1\nNaN\n是\n２０\n1\n是\n")
        #expect(r.code == 0)
        #expect(r.err.contains("“goals”的分值 31 超出范围，允许 0–30 分"))
        #expect(r.err.contains("“goals”的分值 -1 超出范围，允许 0–30 分"))
        #expect(r.err.contains("“goals”的分值 20.3 不符合步长 0.5"))
        #expect(r.err.contains("无法识别“abc”：请输入 0–30，步长 0.5 的分数"))
        #expect(r.err.contains("无法识别“1e1”"))
        #expect(r.err.contains("无法识别“NaN”"))
        #expect(r.err.contains("无法识别“是”"))
        #expect(r.err.contains("✓ goals = 20（已保存）"))
        #expect(r.err.contains("“leading-expert”只能得 0 或 2 分（也可输入 是/否）"))
        #expect(r.err.contains("✓ leading-expert = 2（已保存）"))
        let sheet = try #require(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1"))
        #expect(sheet.points == ["goals": 20, "leading-expert": 2])
        // Only the two accepted lines are in the audit log.
        #expect(try s.store().auditLog(panel: "P1").filter { $0.entity.hasPrefix("sheet:") }.count == 2)
    }

    @Test("Keys: ? help, Enter keeps, b back, g jump, n note, l list, w total, q leaves")
    func keys() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        let input = [
            "?", "25", "是",           // goals, leading-expert
            "b", "",                   // back to leading-expert, keep it
            "n 有院士一名", "5.5",      // note on tech-progress, then score it
            "g sharing", "3",          // jump, score
            "g market", "4",           // jump to a parent: its first leaf (market-share)
            "g nowhere", "l", "w", "q", "this line is never read",
        ].joined(separator: "\n") + "\n"
        let r = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1", "--actor", "r1-laptop"], stdin: input)
        #expect(r.code == 0)
        #expect(r.err.contains("b            返回上一个需要打分的指标"))
        #expect(r.err.contains("保留 leading-expert = 2"))
        #expect(r.err.contains("✓ 已保存 tech-progress 的备注"))
        #expect(r.err.contains("评分表中没有指标“nowhere”"))
        #expect(r.err.contains("▶"))
        #expect(r.err.contains("当前总分：39.5 / 100（已评 5/18 项）"))
        #expect(r.out.contains("已评 5/18 项"))
        let sheet = try #require(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1"))
        #expect(sheet.points == ["goals": 25, "leading-expert": 2, "tech-progress": 5.5, "sharing": 3, "market-share": 4])
        #expect(sheet.notes == ["tech-progress": "有院士一名"])
        #expect(try s.store().auditLog(panel: "P1").last?.actor == "r1-laptop")
    }

    @Test("The session resumes at the first unscored indicator; end of input is a clean exit")
    func resume() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        let first = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: "20\n是\n")
        #expect(first.code == 0)
        let second = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: "")
        #expect(second.code == 0)
        #expect(second.err.contains("已评 2/18 项，从“tech-progress”开始"))
        #expect(second.err.contains("tech-progress [0–6，步长 0.5] > "))
        #expect(!second.err.contains("goals [0–30"))
    }

    @Test("--save keeps the sheet in the line format, and import reads that file back")
    func saveFile() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        let save = s.path("r1-a1.txt")
        try s.ok(["score", "P1", "--reviewer", "r1", "--applicant", "a1", "--save", save], stdin: "22.5\n否\nn 见现场记录 #2\n4\n")
        let text = try String(contentsOfFile: save, encoding: .utf8)
        #expect(text.contains("goals = 22.5\nleading-expert = 0\ntech-progress = 4\nnote tech-progress: 见现场记录 #2"))
        // The same file goes into another panel's import unchanged but for the panel line.
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1, id: "P2")
        try s.file("p2.txt", text.replacingOccurrences(of: "panel: P1", with: "panel: P2"))
        try s.ok(["import", "P2", s.path("p2.txt")])
        let a = try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1")
        let b = try s.store().sheet(panel: "P2", reviewer: "r1", applicant: "a1")
        #expect(a?.points == b?.points)
        #expect(a?.notes == b?.notes)
    }

    @Test("A recused reviewer cannot open a session for that applicant")
    func recused() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        try s.ok(["reviewer", "recuse", "P1", "r1", "--applicant", "a1", "--reason", "本人曾任该中心理事"])
        let r = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: "20\n")
        #expect(r.code == 1)
        #expect(r.err.contains("专家“r1”已对申报单位“a1”回避，不能评分"))
        #expect(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1") == nil)
        let imp = try s.run(["import", "P1", try s.file("x.txt", "panel: P1\nreviewer: r1\napplicant: a1\ngoals = 1\n")])
        #expect(imp.code == 1)
        #expect(imp.err.contains("x.txt:3: 专家“r1”已对申报单位“a1”回避"))   // the applicant line
    }

    @Test("kill -9 in the middle of a session loses no acknowledged line; the session resumes and finishes")
    func killAndResume() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        let rubric = try cliRubric("manufacturing-innovation-center")
        let plan = answers(rubric)

        let errPath = s.path("session.err")
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let p = Process()
        p.executableURL = pingshenBinary
        p.arguments = ["--db", s.db, "score", "P1", "--reviewer", "r1", "--applicant", "a1"]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "PINGSHEN_DB")
        p.environment = environment
        let stdin = Pipe()
        p.standardInput = stdin
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try p.run()

        let watcher = try s.store()
        func scored() throws -> [String: Double] {
            try watcher.sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.points ?? [:]
        }
        // Feed lines one at a time and wait until the database shows each.
        let fed = 6
        for i in 0..<fed {
            stdin.fileHandleForWriting.write(Data((plan[i].input + "\n").utf8))
            let deadline = Date().addingTimeInterval(30)
            while try scored().count < i + 1 {
                #expect(Date() < deadline, "line \(i + 1) never reached the database")
                if Date() >= deadline { break }
                usleep(5_000)
            }
        }
        // One more line, and the kill right behind it: it may or may not be committed.
        stdin.fileHandleForWriting.write(Data((plan[fed].input + "\n").utf8))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(p.terminationStatus == SIGKILL)
        try? stdin.fileHandleForWriting.close()

        // The database opens, is sound, and holds every acknowledged line.
        let after = try PanelStore(path: s.db)
        #expect(try after.integrityCheck() == "ok")
        let points = try after.sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.points ?? [:]
        #expect(points.count == fed || points.count == fed + 1)
        for a in plan.prefix(points.count) {
            #expect(points[a.leaf.id] == a.points, "\(a.leaf.id) lost or wrong")
        }
        let err = try String(contentsOfFile: errPath, encoding: .utf8)
        for a in plan where err.contains("✓ \(a.leaf.id) = \(formatNumber(a.points))（已保存）") {
            #expect(points[a.leaf.id] == a.points, "acknowledged \(a.leaf.id) is not in the database")
        }
        #expect(try after.verifyAuditChain(panel: "P1").isIntact)

        // Resume: the session starts at the first unscored indicator and finishes the sheet.
        let rest = plan.dropFirst(points.count)
        let resumed = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1"],
                                stdin: rest.map { $0.input + "\n" }.joined())
        #expect(resumed.code == 0)
        #expect(resumed.err.contains("从“\(rest.first?.leaf.id ?? "")”开始"))
        let final = try #require(try after.sheet(panel: "P1", reviewer: "r1", applicant: "a1"))
        #expect(final.points == Dictionary(uniqueKeysWithValues: plan.map { ($0.leaf.id, $0.points) }))
        try s.ok(["sheet", "submit", "P1", "--reviewer", "r1", "--applicant", "a1"])
        #expect(try after.integrityCheck() == "ok")
    }
}
