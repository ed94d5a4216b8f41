import Foundation
import PingshenCore
import PingshenStore
import Testing

@Suite("pingshen panel / reviewer / applicant")
struct PanelCommandTests {
    @Test("panel create, list, show, round; settings are checked before the database is created")
    func panels() throws {
        let s = try Sandbox()
        // A bad rubric, variant, method or quorum creates nothing.
        let bad = try s.run(["panel", "create", "P1", "--rubric", "nope"])
        #expect(bad.code == 1)
        #expect(bad.err.contains("找不到评分表“nope”"))
        #expect(!FileManager.default.fileExists(atPath: s.db))
        #expect(try s.run(["panel", "create", "P1", "--rubric", "tech-center-evaluation", "--variant", "galactic"]).err
            .contains("没有资格条件方案“galactic”"))
        #expect(try s.run(["panel", "create", "P1", "--rubric", "tech-center-evaluation", "--method", "vote"]).code == 64)
        #expect(try s.run(["panel", "create", "P1", "--rubric", "tech-center-evaluation", "--quorum", "0"]).code == 1)
        #expect(try s.run(["panel", "create", "P 1", "--rubric", "tech-center-evaluation"]).err.contains("无效"))
        #expect(!FileManager.default.fileExists(atPath: s.db))

        let out = try s.ok(["panel", "create", "TC-2024", "--rubric", "tech-center-evaluation", "--title", "2024年度技术中心评价",
                            "--variant", "provincial", "--method", "median", "--quorum", "4", "--view", "indicators"])
        #expect(out.contains("已建立评审组 TC-2024"))
        try s.ok(["panel", "create", "M1", "--rubric", "manufacturing-innovation-center", "--round", "综合评议"])
        let dup = try s.run(["panel", "create", "M1", "--rubric", "manufacturing-innovation-center"])
        #expect(dup.code == 1)
        #expect(dup.err.contains("评审组“M1”已存在"))

        let list = try s.ok(["panel", "list"])
        #expect(list.contains("TC-2024") && list.contains("2024年度技术中心评价") && list.contains("综合评议"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try s.ok(["panel", "list", "--json"]).utf8)) as? [[String: Any]])
        #expect(json.compactMap { $0["id"] as? String } == ["M1", "TC-2024"])
        let tc = try #require(json.last)
        #expect(tc["rubric"] as? String == "tech-center-evaluation")
        #expect(tc["variant"] as? String == "provincial")
        #expect(tc["method"] as? String == "median")
        #expect(tc["quorum"] as? Int == 4)
        #expect(tc["view"] as? String == "indicators")
        #expect(tc["round"] as? String == "初评")

        try s.ok(["panel", "round", "TC-2024", "现场考察"])
        let again = try s.run(["panel", "round", "TC-2024", "现场考察"])
        #expect(again.code == 1)
        #expect(again.err.contains("已有轮次“现场考察”"))
        let show = try jsonObject(try s.ok(["panel", "show", "TC-2024", "--json"]))
        #expect(show["round"] as? String == "现场考察")
        #expect((show["rounds"] as? [[String: Any]])?.compactMap { $0["round"] as? String } == ["初评", "现场考察"])
        let text = try s.ok(["panel", "show", "TC-2024"])
        #expect(text.contains("初评（") && text.contains("→ 现场考察"))
    }

    @Test("Commands other than panel create refuse a missing database instead of creating one")
    func missingDatabase() throws {
        let s = try Sandbox()
        for args in [["panel", "list"], ["status", "P1"], ["reviewer", "add", "P1", "r1", "--name", "x"]] {
            let r = try s.run(args)
            #expect(r.code == 1)
            #expect(r.err.contains("找不到数据库文件"))
        }
        #expect(!FileManager.default.fileExists(atPath: s.db))
    }

    @Test("reviewer add, applicant add (industry checked against the rubric's table), recuse; panel show lists them")
    func members() throws {
        let s = try Sandbox()
        try s.ok(["panel", "create", "P1", "--rubric", "tech-center-evaluation"])
        #expect(try s.ok(["reviewer", "add", "P1", "r1", "--name", "王五"]).contains("已添加专家 r1（王五）"))
        #expect(try s.run(["reviewer", "add", "P1", "r1", "--name", "重复"]).err.contains("已有专家“r1”"))
        #expect(try s.run(["reviewer", "add", "P9", "r1", "--name", "x"]).err.contains("没有评审组“P9”"))
        try s.ok(["applicant", "add", "P1", "a1", "--name", "海川电器股份有限公司", "--industry", "家电"])
        let badIndustry = try s.run(["applicant", "add", "P1", "a2", "--name", "x", "--industry", "火星采矿"])
        #expect(badIndustry.code == 1)
        #expect(badIndustry.err.contains("没有行业“火星采矿”"))
        #expect(try s.run(["applicant", "add", "P1", "a2", "--name", ""]).code == 1)
        try s.ok(["applicant", "add", "P1", "a2", "--name", "北方重工", "--industry", "机械"])
        let rec = try s.ok(["reviewer", "recuse", "P1", "r1", "--applicant", "a2", "--reason", "曾任该单位技术顾问"])
        #expect(rec.contains("回避"))
        #expect(try s.run(["reviewer", "recuse", "P1", "r1", "--applicant", "a2", "--reason", "again"]).err.contains("已对申报单位“a2”回避"))
        let show = try jsonObject(try s.ok(["panel", "show", "P1", "--json"]))
        #expect((show["reviewers"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["王五"])
        let applicants = try #require(show["applicants"] as? [[String: Any]])
        #expect(applicants.compactMap { $0["industry"] as? String } == ["家电", "机械"])
        let recusals = try #require(show["recusals"] as? [[String: Any]])
        #expect(recusals.first?["reason"] as? String == "曾任该单位技术顾问")
    }

    @Test("--actor names who made a change; the default is $USER; English with --lang en")
    func actorAndLanguage() throws {
        let s = try Sandbox()
        let r = try runPingshen(["--db", s.db, "--lang", "en", "panel", "create", "P1", "--rubric", "manufacturing-innovation-center"],
                                env: ["USER": "secretariat"])
        #expect(r.code == 0)
        #expect(r.out.contains("created panel P1"))
        try s.ok(["reviewer", "add", "P1", "r1", "--name", "x", "--actor", "chair-wang"])
        let log = try s.store().auditLog(panel: "P1")
        #expect(log.first?.actor == "secretariat")
        #expect(log.last?.actor == "chair-wang")
    }
}

@Suite("pingshen data import / import")
struct ImportCommandTests {
    @Test("data import writes verified data (full-width input, industry, notes)")
    func dataImport() throws {
        let s = try Sandbox()
        try s.panel("tech-center-evaluation", applicants: 2)
        let f = try s.file("data.txt", """
            # 核定数据
            panel：P1
            applicant：a1
            industry: 家电
            rd-per-person = ２５
            rd-intensity = ４．２％
            ip-rights = 40
            invention-patents = 12
            rd-spending = 2300
            note rd-intensity: 审计报告 #3
            ---
            panel: P1
            applicant: a2
            industry: 其他
            rd-intensity = 1.5%
            """)
        let out = try s.ok(["data", "import", "P1", f])
        #expect(out.contains("2 家申报单位"))
        let store = try s.store()
        let d = try store.applicantData(panel: "P1", applicant: "a1")
        #expect(d.values == ["rd-per-person": 25, "rd-intensity": 4.2, "ip-rights": 40, "invention-patents": 12, "rd-spending": 2300])
        #expect(d.industry == "家电")
        #expect(try store.dataNotes(panel: "P1", applicant: "a1") == ["rd-intensity": "审计报告 #3"])
    }

    @Test("data import refuses a bad file with FILE:LINE for every problem and imports nothing from any file")
    func dataImportAllOrNothing() throws {
        let s = try Sandbox()
        try s.panel("tech-center-evaluation", applicants: 2)
        let good = try s.file("good.txt", "panel: P1\napplicant: a1\nip-rights = 40\n")
        let bad = try s.file("bad.txt", """
            panel: P1
            applicant: a2
            ip-rights = 10
            invention-patents = 12
            rd-projects = 1e3
            nope = 3
            """)
        let r = try s.run(["data", "import", "P1", good, bad])
        #expect(r.code == 1)
        #expect(r.err.contains("\(bad):4: “invention-patents”（其中项）的数值 12 大于其所属指标“ip-rights”的数值 10"))
        #expect(r.err.contains("\(bad):5: “1e3”不是有效的数字"))
        #expect(r.err.contains("\(bad):6: 评分表“tech-center-evaluation”中没有指标“nope”"))
        #expect(r.err.contains("未导入任何内容"))
        #expect(try s.store().allData(panel: "P1").values.allSatisfy { $0.values.isEmpty })
    }

    @Test("import writes sheets into the current round; errors name FILE:LINE and nothing is written")
    func importSheets() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 3, applicants: 2)
        try s.ok(["reviewer", "recuse", "P1", "r3", "--applicant", "a2", "--reason", "亲属任职"])
        let one = try s.file("r1.txt", """
            panel: P1
            reviewer: r1
            applicant: a1
            goals = 25.5
            leading-expert = 是
            sharing = 3
            note goals: 目标基本完成
            ---
            panel: P1
            reviewer: r2
            applicant: a1
            goals = 22
            """)
        let two = try s.file("r3.txt", """
            panel: P1
            reviewer: r3
            applicant: a2
            goals = 20
            ---
            panel: P1
            reviewer: r1
            applicant: a1
            goals = 24
            ---
            panel: P1
            reviewer: r2
            applicant: a2
            goals = 30.3
            rd-staff-share = 40
            """)
        let r = try s.run(["import", "P1", one, two])
        #expect(r.code == 1)
        #expect(r.err.contains("\(two):3: 专家“r3”已对申报单位“a2”回避，不能评分"))   // the applicant line
        #expect(r.err.contains("\(two):6: 专家“r1”对“a1”的评分表重复出现（第 \(one):1 行已有）"))
        #expect(r.err.contains("\(two):14: “goals”的分值 30.3 超出范围"))
        #expect(r.err.contains("\(two):15: “rd-staff-share”是核定数据指标"))
        #expect(try s.store().snapshot(panel: "P1").sheets.isEmpty)

        let out = try s.ok(["import", "P1", one])
        #expect(out.contains("已导入 2 张评分表"))
        let sheet = try #require(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1"))
        #expect(sheet.points == ["goals": 25.5, "leading-expert": 2, "sharing": 3])
        #expect(sheet.notes == ["goals": "目标基本完成"])
        #expect(sheet.round == "初评")
    }

    @Test("import --submit needs complete sheets and marks them submitted; a submitted sheet refuses re-import")
    func importSubmit() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        let rubric = try cliRubric("manufacturing-innovation-center")
        let partial = try s.file("partial.txt", "panel: P1\nreviewer: r1\napplicant: a1\ngoals = 20\n")
        let r = try s.run(["import", "P1", partial, "--submit"])
        #expect(r.code == 1)
        #expect(r.err.contains("\(partial):1: 专家“r1”对“a1”的评分表不完整，不能提交：缺少 leading-expert"))
        let full = try s.file("full.txt", "panel: P1\nreviewer: r1\napplicant: a1\n"
                              + answers(rubric).map { "\($0.leaf.id) = \($0.input)" }.joined(separator: "\n") + "\n")
        #expect(try s.ok(["import", "P1", full, "--submit"]).contains("提交 1 张"))
        #expect(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.submitted == true)
        let again = try s.run(["import", "P1", full])
        #expect(again.code == 1)
        #expect(again.err.contains("\(full):3: 专家“r1”对“a1”的评分表（初评）已提交"))
    }
}

@Suite("pingshen sheet / status / audit")
struct SheetCommandTests {
    @Test("sheet show: per-indicator points, subtotals per level, total; --json has the same numbers as scoreSheet")
    func show() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        let rubric = try cliRubric("manufacturing-innovation-center")
        try s.file("d.txt", "panel: P1\napplicant: a1\nrd-staff-share = 30%\nrd-spending-share = 20%\nplatform-coverage = 60%\n")
        try s.ok(["data", "import", "P1", s.path("d.txt")])
        try s.file("s.txt", "panel: P1\nreviewer: r1\napplicant: a1\ngoals = 25.5\nleading-expert = 是\nsharing = 1\nnote sharing: 部分共享\n")
        try s.ok(["import", "P1", s.path("s.txt")])

        let data = ApplicantData(values: ["rd-staff-share": 30, "rd-spending-share": 20, "platform-coverage": 60])
        let expected = scoreSheet(rubric: rubric, points: ["goals": 25.5, "leading-expert": 2, "sharing": 1], data: data)
        let j = try jsonObject(try s.ok(["sheet", "show", "P1", "--reviewer", "r1", "--applicant", "a1", "--json"]))
        #expect(j["total"] as? Double == roundTo(expected.total))
        #expect(j["total"] as? Double == 25.5 + 1.5 + 2 + 2.5 + 4 + 1)
        #expect(j["complete"] as? Bool == false)
        #expect(j["submitted"] as? Bool == false)
        #expect((j["missing"] as? [String]) == expected.missing)
        let nodes = try #require(j["nodes"] as? [[String: Any]])
        func node(_ id: String) -> [String: Any]? { nodes.first { $0["id"] as? String == id } }
        #expect(node("team")?["points"] as? Double == 3.5)
        #expect(node("team")?["level"] as? Int == 2)
        #expect(node("rd-staff-share")?["points"] as? Double == 1.5)
        #expect(node("rd-staff-share")?["value"] as? Double == 30)
        #expect(node("resources")?["points"] as? Double == expected.nodeTotals["resources"])
        #expect(node("collaboration")?["points"] as? Double == 5)
        #expect(node("sharing")?["note"] as? String == "部分共享")
        for (id, total) in expected.nodeTotals where !(rubric.node(id)?.isLeaf ?? true) {
            #expect(node(id)?["points"] as? Double == total, "subtotal of \(id)")
        }

        let text = try s.ok(["sheet", "show", "P1", "--reviewer", "r1", "--applicant", "a1"])
        #expect(text.contains("总分：\(formatNumber(expected.total)) / 100"))
        #expect(text.contains("创新队伍  [team]"))
        #expect(text.contains("未评分 15 项"))
        #expect(text.contains("状态：未提交"))
    }

    @Test("sheet show marks provisional contributions and prints the notice")
    func provisional() throws {
        let s = try Sandbox()
        try s.panel("tech-innovation-demo-enterprise", reviewers: 1, applicants: 1)
        try s.file("s.txt", "panel: P1\nreviewer: r1\napplicant: a1\nnew-product-sales-share = 3.5\n")
        try s.ok(["import", "P1", s.path("s.txt")])
        let text = try s.ok(["sheet", "show", "P1", "--reviewer", "r1", "--applicant", "a1"])
        #expect(text.contains("3.5 *"))
        #expect(text.contains("注意：本结果使用了来源未给出、暂定（provisional）的数值"))
        let j = try jsonObject(try s.ok(["sheet", "show", "P1", "--reviewer", "r1", "--applicant", "a1", "--json"]))
        #expect(j["provisional"] as? Bool == true)
        #expect((j["provisional_contributors"] as? [String]) == ["new-product-sales-share"])
    }

    @Test("sheet submit needs a complete sheet; reopen needs a reason and is logged")
    func submitReopen() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        let rubric = try cliRubric("manufacturing-innovation-center")
        try s.file("part.txt", "panel: P1\nreviewer: r1\napplicant: a1\ngoals = 20\n")
        try s.ok(["import", "P1", s.path("part.txt")])
        let early = try s.run(["sheet", "submit", "P1", "--reviewer", "r1", "--applicant", "a1"])
        #expect(early.code == 1)
        #expect(early.err.contains("不完整，不能提交"))
        try s.file("rest.txt", "panel: P1\nreviewer: r1\napplicant: a1\n"
                   + answers(rubric).dropFirst().map { "\($0.leaf.id) = \($0.input)" }.joined(separator: "\n") + "\n")
        try s.ok(["import", "P1", s.path("rest.txt")])
        #expect(try s.ok(["sheet", "submit", "P1", "--reviewer", "r1", "--applicant", "a1"]).contains("已提交"))
        let change = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: "21\n")
        #expect(change.code == 1)
        #expect(change.err.contains("已提交；如需修改请先 sheet reopen"))
        let noReason = try s.run(["sheet", "reopen", "P1", "--reviewer", "r1", "--applicant", "a1"])
        #expect(noReason.code != 0)
        try s.ok(["sheet", "reopen", "P1", "--reviewer", "r1", "--applicant", "a1", "--reason", "专家发现笔误", "--actor", "chair"])
        try s.ok(["score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: "g goals\n21\nq\n")
        #expect(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.points["goals"] == 21)
        let log = try s.store().auditLog(panel: "P1")
        let reopen = try #require(log.last { $0.field == "submitted" })
        #expect(reopen.reason == "专家发现笔误")
        #expect(reopen.actor == "chair")
        #expect(log.last?.actor == "r1")
        #expect(log.last.map { "\($0.old ?? "")→\($0.new ?? "")" } == "20→21")
    }

    @Test("Rounds from the command line: a later round gets fresh sheets; --round shows an earlier one")
    func rounds() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        try s.file("r.txt", "panel: P1\nreviewer: r1\napplicant: a1\ngoals = 20\n")
        try s.ok(["import", "P1", s.path("r.txt")])
        try s.ok(["panel", "round", "P1", "现场考察"])
        #expect(try s.ok(["status", "P1"]).contains("轮次 现场考察"))
        try s.ok(["score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: "27.5\n")
        let now = try jsonObject(try s.ok(["sheet", "show", "P1", "--reviewer", "r1", "--applicant", "a1", "--json"]))
        #expect(now["round"] as? String == "现场考察")
        #expect(now["total"] as? Double == 27.5)
        let before = try jsonObject(try s.ok(["sheet", "show", "P1", "--reviewer", "r1", "--applicant", "a1", "--json",
                                              "--round", "初评"]))
        #expect(before["total"] as? Double == 20)
        let snap = try s.store().snapshot(panel: "P1")
        #expect(snap.sheets.map { "\($0.round):\($0.points["goals"] ?? -1)" } == ["初评:20.0", "现场考察:27.5"])
    }

    @Test("status: who has scored what, what is missing (text and JSON)")
    func status() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 3, applicants: 2)
        let rubric = try cliRubric("manufacturing-innovation-center")
        try s.ok(["panel", "create", "P2", "--rubric", "manufacturing-innovation-center", "--variant", "upgrade"])
        try s.ok(["reviewer", "recuse", "P1", "r3", "--applicant", "a2", "--reason", "同一集团"])
        let full = "panel: P1\nreviewer: r1\napplicant: a1\n" + answers(rubric).map { "\($0.leaf.id) = \($0.input)" }.joined(separator: "\n") + "\n"
        try s.file("full.txt", full)
        try s.file("full2.txt", full.replacingOccurrences(of: "reviewer: r1", with: "reviewer: r2"))
        try s.ok(["import", "P1", s.path("full.txt"), "--submit"])
        try s.ok(["import", "P1", s.path("full2.txt")])
        try s.file("p.txt", "panel: P1\nreviewer: r1\napplicant: a2\ngoals = 10\nsharing = 1\n")
        try s.ok(["import", "P1", s.path("p.txt")])

        let j = try jsonObject(try s.ok(["status", "P1", "--json"]))
        #expect(j["round"] as? String == "初评")
        #expect(j["expected"] as? Int == 5)
        #expect(j["submitted"] as? Int == 1)
        let apps = try #require(j["applicants"] as? [[String: Any]])
        let states = apps.map { ($0["sheets"] as? [[String: Any]])?.compactMap { $0["state"] as? String } ?? [] }
        #expect(states == [["submitted", "complete", "not_started"], ["in_progress", "not_started", "recused"]])
        let a2r1 = try #require((apps[1]["sheets"] as? [[String: Any]])?.first)
        #expect(a2r1["scored"] as? Int == 2)
        #expect(a2r1["leaves"] as? Int == 18)
        #expect((a2r1["missing"] as? [String])?.first == "leading-expert")
        #expect((apps[0]["missing_data"] as? [String]) == ["rd-staff-share", "rd-spending-share", "platform-coverage"])

        let text = try s.ok(["status", "P1"])
        #expect(text.contains("✓") && text.contains("●") && text.contains("2/18") && text.contains("回避"))
        #expect(text.contains("已提交 1 / 5 张评分表（回避 1）"))
        // The upgrade variant's gates are data the secretariat still owes.
        try s.ok(["applicant", "add", "P2", "a1", "--name", "x"])
        let gates = try jsonObject(try s.ok(["status", "P2", "--json"]))
        let missing = try #require((gates["applicants"] as? [[String: Any]])?.first?["missing_data"] as? [String])
        #expect(missing.contains("legal-person") && missing.contains("tech-transferred"))
    }

    @Test("audit shows every change; audit --check detects a row edited behind the store's back")
    func audit() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        try s.ok(["score", "P1", "--reviewer", "r1", "--applicant", "a1"], stdin: "20\n是\n")
        let text = try s.ok(["audit", "P1"])
        #expect(text.contains("sheet:r1/a1/初评") && text.contains("∅ → 20"))
        let log = try #require(try JSONSerialization.jsonObject(with: Data(try s.ok(["audit", "P1", "--json"]).utf8)) as? [[String: Any]])
        #expect(log.count == (try s.store().auditLog(panel: "P1").count))
        #expect(try s.ok(["audit", "P1", "--check"]).contains("哈希链校验通过"))
        try s.store().executeRaw("DROP TRIGGER audit_no_update")
        try s.store().executeRaw("UPDATE audit SET new = '30' WHERE field = 'goals'")
        let r = try s.run(["audit", "P1", "--check"])
        #expect(r.code == 1)
        #expect(r.err.contains("内容与其哈希不符"))
    }

    @Test("A sealed panel refuses every change from the command line")
    func sealed() throws {
        let s = try Sandbox()
        try s.panel("manufacturing-innovation-center", reviewers: 1, applicants: 1)
        let store = try s.store()
        try store.seal(panel: "P1", by: "chair", digest: try store.inputDigest(panel: "P1"))
        try s.file("x.txt", "panel: P1\nreviewer: r1\napplicant: a1\ngoals = 1\n")
        try s.file("d.txt", "panel: P1\napplicant: a1\nrd-staff-share = 20\n")
        let attempts: [[String]] = [
            ["score", "P1", "--reviewer", "r1", "--applicant", "a1"],
            ["import", "P1", s.path("x.txt")],
            ["data", "import", "P1", s.path("d.txt")],
            ["reviewer", "add", "P1", "r2", "--name", "x"],
            ["applicant", "add", "P1", "a2", "--name", "x"],
            ["reviewer", "recuse", "P1", "r1", "--applicant", "a1", "--reason", "x"],
            ["panel", "round", "P1", "现场考察"],
            ["sheet", "submit", "P1", "--reviewer", "r1", "--applicant", "a1"],
        ]
        for a in attempts {
            let r = try s.run(a, stdin: "1\n")
            #expect(r.code == 1, "\(a) was not refused")
            #expect(r.err.contains("已于") && r.err.contains("由 chair 封存，不能再修改"), "\(a): \(r.err)")
        }
        #expect(try store.snapshot(panel: "P1").sheets.isEmpty)
        #expect(try s.ok(["panel", "list"]).contains("已封存"))
    }
}
