import Foundation
import Testing
@testable import PingshenCore

/// Parses and returns the blocks, or the errors as text (English) for readable expectations.
private func parse(_ text: String, file: String = "f.txt") -> (blocks: [LineBlock], errors: [String]) {
    switch parseLineFile(text, file: file) {
    case .success(let b): return (b, [])
    case .failure(let e): return ([], e.errors.map { $0.text(.en) })
    }
}

private func parseErrors(_ bytes: [UInt8]) -> [PingshenError] {
    switch parseLineFile(bytes: bytes, file: "f.txt") {
    case .success: return []
    case .failure(let e): return e.errors
    }
}

private func sheets(_ text: String, _ rubric: Rubric, reviewers: Set<String>? = nil,
                    applicants: Set<String>? = nil) -> (sheets: [SheetInput], errors: [PingshenError]) {
    let r = readSheets(bytes: Array(text.utf8), file: "s.txt", index: RubricIndex(rubric), panel: "P1",
                       reviewers: reviewers, applicants: applicants)
    switch r {
    case .success(let s): return (s, [])
    case .failure(let e): return ([], e.errors)
    }
}

private func data(_ text: String, _ rubric: Rubric, applicants: Set<String>? = nil,
                  existing: [String: ApplicantData] = [:]) -> (data: [DataInput], errors: [PingshenError]) {
    let r = readData(bytes: Array(text.utf8), file: "d.txt", rubric: rubric, panel: "P1", applicants: applicants,
                     existing: existing)
    switch r {
    case .success(let s): return (s, [])
    case .failure(let e): return ([], e.errors)
    }
}

@Suite("The line format: parsing")
struct LineFormatParseTests {
    @Test("Blocks, headers, entries, notes and comments")
    func basic() throws {
        let (blocks, errors) = parse("""
            # a comment line
            panel: P1
            reviewer: r1   # trailing comment
            applicant: a1
            goals = 25.5
            leading-expert = yes
            new-patents = 否
            note goals: 进展 #3 已核实
            ---

            panel: P1
            applicant: a2
            industry: 机械
            rd-staff-share = 30%
            """)
        #expect(errors.isEmpty)
        #expect(blocks.count == 2)
        let b = try #require(blocks.first)
        #expect(b.panel?.value == "P1")
        #expect(b.reviewer?.value == "r1")
        #expect(b.reviewer?.line == 3)
        #expect(b.entries.map(\.id) == ["goals", "leading-expert", "new-patents"])
        #expect(b.entries[0].value == .number(25.5, percent: false))
        #expect(b.entries[1].value == .yes)
        #expect(b.entries[2].value == .no)
        #expect(b.entries[2].line == 7)
        // A note runs to the end of the line: `#` is part of it.
        #expect(b.notes == [LineNote(id: "goals", text: "进展 #3 已核实", line: 8)])
        let d = try #require(blocks.last)
        #expect(d.reviewer == nil)
        #expect(d.industry?.value == "机械")
        #expect(d.entries == [LineEntry(id: "rd-staff-share", value: .number(30, percent: true), line: 14)])
    }

    @Test("Full-width digits and punctuation are accepted; a note's own text is kept as written")
    func fullWidth() throws {
        let (blocks, errors) = parse("""
            panel：P1
            reviewer：r1
            applicant：a1
            goals　＝　８５．５
            rd-staff-share ＝ ３０％
            note goals：进展良好，已核实（见附件）
            """)
        #expect(errors.isEmpty)
        let b = try #require(blocks.first)
        #expect(b.panel?.value == "P1")
        #expect(b.entries[0].value == .number(85.5, percent: false))
        #expect(b.entries[1].value == .number(30, percent: true))
        #expect(b.notes.first?.text == "进展良好，已核实（见附件）")
    }

    @Test("The ASCII fast path and the general path read the same statements alike")
    func twoPaths() {
        let lines = ["panel: P1", "  reviewer:r1  ", "applicant : a1", "goals=25.5", "\tsharing =  3 ", "x.y_z = -0",
                     "leading-expert = YES", "new-patents = No", "rd-staff-share = 30 %", "bad line", "k: ", "q = 1e3",
                     "Industry: 机械", "---", "----", "--", "note goals: a # b"]
        let ascii = parse(lines.joined(separator: "\n"))
        let general = parse(lines.map { $0 + " # 注" }.joined(separator: "\n"))
        #expect(ascii.errors == general.errors)
        #expect(ascii.blocks == general.blocks || (ascii.blocks.isEmpty && general.blocks.isEmpty))
        #expect(!ascii.errors.isEmpty)
        let ok = ["panel: P1", "  reviewer:r1  ", "applicant : a1", "goals=25.5", "\tsharing =  3 ", "x.y_z = -0",
                  "leading-expert = YES", "new-patents = No", "rd-staff-share = 30 %"]
        let a = parse(ok.joined(separator: "\n")), g = parse(ok.map { $0 + " # 注" }.joined(separator: "\n"))
        #expect(a.errors.isEmpty)
        #expect(a.blocks == g.blocks)
        #expect(a.blocks.first?.entries.map { $0.value } == [.number(25.5, percent: false), .number(3, percent: false),
                                                          .number(0, percent: false), .yes, .no, .number(30, percent: true)])
    }

    @Test("A byte-order mark and CRLF line ends are accepted")
    func bomAndCRLF() throws {
        let text = "\u{FEFF}panel: P1\r\nreviewer: r1\r\napplicant: a1\r\ngoals = 3\r\n"
        let (blocks, errors) = parse(text)
        #expect(errors.isEmpty)
        #expect(blocks.first?.entries.first?.value == .number(3, percent: false))
    }

    @Test("Every syntax error is reported with FILE:LINE and its field, all at once")
    func syntaxErrors() {
        let (_, errors) = parse("""
            panel: P1
            reviewer: r1
            applicant: a1
            goals = 
            tech-progress = abc
            goals = 3
            goals = 4
            colour: red
            panel: P2
            just some words
            note goals:
            a = NaN
            b = inf
            c = 1e5
            d = 0x10
            e = 1,000
            f = --3
            """)
        #expect(errors == [
            "f.txt:4: “goals” has an empty value [field goals]",
            "f.txt:5: “abc” is not a valid number (use e.g. 85, 85.5, 30%; no exponents, NaN or infinity) [field tech-progress]",
            "f.txt:7: indicator “goals” is set twice in this block (already on line 6) [field goals]",
            "f.txt:8: unknown header field “colour” (allowed: panel, reviewer, applicant, industry) [field colour]",
            "f.txt:9: “panel” appears twice in this block [field panel]",
            "f.txt:10: unrecognised line: “just some words” (expected “key: value”, “indicator = number” or “note indicator: text”)",
            "f.txt:11: “note goals” has an empty value [field goals]",
            "f.txt:12: “NaN” is not a valid number (use e.g. 85, 85.5, 30%; no exponents, NaN or infinity) [field a]",
            "f.txt:13: “inf” is not a valid number (use e.g. 85, 85.5, 30%; no exponents, NaN or infinity) [field b]",
            "f.txt:14: “1e5” is not a valid number (use e.g. 85, 85.5, 30%; no exponents, NaN or infinity) [field c]",
            "f.txt:15: “0x10” is not a valid number (use e.g. 85, 85.5, 30%; no exponents, NaN or infinity) [field d]",
            "f.txt:16: “1,000” is not a valid number (use e.g. 85, 85.5, 30%; no exponents, NaN or infinity) [field e]",
            "f.txt:17: “--3” is not a valid number (use e.g. 85, 85.5, 30%; no exponents, NaN or infinity) [field f]",
        ])
    }

    @Test("Structure errors: an entry before applicant:, missing headers, duplicate notes, bad ids, no block")
    func structureErrors() {
        let (_, errors) = parse("""
            panel: P1
            goals = 3
            ---
            reviewer: r1
            applicant: a1
            ---
            panel: P1
            applicant: a 1
            ---
            panel: P1
            reviewer: r1
            applicant: a1
            note goals: one
            note goals: two
            """)
        #expect(errors == [
            "f.txt:1: this block lacks “applicant” [field applicant]",
            "f.txt:2: a score line comes before “applicant:” [field goals]",
            "f.txt:4: this block lacks “panel” [field panel]",
            "f.txt:7: this block lacks “applicant” [field applicant]",
            "f.txt:8: “a 1” is not a valid id for “applicant” (ASCII letters, digits, -, _ and . only) [field applicant]",
            "f.txt:14: indicator “goals” has two notes in this block (already on line 13) [field goals]",
        ])
        #expect(parse("# nothing but a comment\n\n").errors == ["f.txt: the file holds no block"])
        #expect(parse("").errors == ["f.txt: the file holds no block"])
    }

    @Test("Invalid UTF-8, NUL bytes and over-long lines are refused by line number")
    func badBytes() {
        var bytes = Array("panel: P1\nreviewer: r1\napplicant: a1\n".utf8)
        bytes += [0x67, 0x6F, 0xFF, 0xFE, 0x0A]  // line 4: invalid UTF-8
        bytes += Array("goals = 1".utf8) + [0x00] + [0x0A]  // line 5: NUL
        bytes += Array(("note goals: " + String(repeating: "长", count: 1400)).utf8) + [0x0A]  // line 6: 4212 bytes
        bytes += Array("tech-progress = 2\n".utf8)
        let errors = parseErrors(bytes)
        #expect(errors.map(\.key) == ["line.invalid_utf8", "line.nul", "line.too_long"])
        #expect(errors.map { $0.location?.line } == [4, 5, 6])
        #expect(errors[2].text(.en) == "f.txt:6: line too long (4212 bytes, limit 4096)")
        // A line of exactly 4096 bytes is accepted.
        let ok = Array(("panel: P1\nreviewer: r1\napplicant: a1\nnote goals: " + String(repeating: "x", count: 4096 - 12)).utf8)
        #expect(parseErrors(ok).isEmpty)
    }

    @Test("Random bytes and random statements never crash the parser; every refusal names a line")
    func noCrash() {
        var x: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            return x
        }
        let pieces = ["panel: P1", "reviewer: r1", "applicant: a1", "goals = 3", "goals = ", "＝", "：", "％", "---",
                      "note goals: x#y", "#", "是", "１e5", "\u{3000}", "\r", "industry: 机械", "a=b:c", "note : x", "-0",
                      "99999999999999999999", "NaN", "\u{FEFF}", "note", "= 3", ": x"]
        for round in 0..<600 {
            var bytes: [UInt8] = []
            for _ in 0..<(Int(next() % 12) + 1) {
                if round % 2 == 0 {
                    bytes += Array(pieces[Int(next() % UInt64(pieces.count))].utf8)
                } else {
                    for _ in 0..<Int(next() % 20) { bytes.append(UInt8(truncatingIfNeeded: next())) }
                }
                bytes.append(next() % 5 == 0 ? 0x0D : 0x0A)
            }
            if case .failure(let e) = parseLineFile(bytes: bytes, file: "fuzz") {
                #expect(e.errors.allSatisfy { $0.location?.file == "fuzz" })
                #expect(e.errors.allSatisfy { $0.location?.line != nil || $0.key == "line.no_blocks" })
            }
        }
    }

    @Test("What the writer writes, the parser reads back")
    func roundTrip() throws {
        let sheet = SheetRecord(reviewer: "r1", applicant: "a1", round: "初评",
                                points: ["goals": 25.5, "sharing": 3, "leading-expert": 0],
                                notes: ["goals": "多行\n说明 # 含井号，全角：符号"])
        let text = LineFormatWriter.join([
            LineFormatWriter.sheetBlock(panel: "P1", sheet: sheet, order: ["goals", "leading-expert", "sharing"]),
            LineFormatWriter.dataBlock(panel: "P1", applicant: "a1",
                                       data: ApplicantData(values: ["rd-staff-share": 30], industry: "机械")),
        ])
        let (blocks, errors) = parse(text)
        #expect(errors.isEmpty)
        #expect(blocks.count == 2)
        let b = try #require(blocks.first)
        #expect(Dictionary(uniqueKeysWithValues: b.entries.compactMap { e -> (String, Double)? in
            if case .number(let v, _) = e.value { return (e.id, v) }
            return nil
        }) == sheet.points)
        #expect(b.notes.first?.text == "多行 说明 # 含井号，全角：符号")
        #expect(blocks.last?.industry?.value == "机械")
    }
}

@Suite("The line format: resolving sheets and data against a rubric")
struct LineFormatResolveTests {
    @Test("A sheet: points leaves with yes/no for award leaves, checked against each rule")
    func sheetOK() throws {
        let r = try bundledRubric("manufacturing-innovation-center")
        let (s, errors) = sheets("""
            panel: P1
            reviewer: r1
            applicant: a1
            goals = ２５．５
            leading-expert = 是
            new-patents = no
            sharing = 1
            market-share = 4
            note goals: 说明
            """, r, reviewers: ["r1"], applicants: ["a1"])
        #expect(errors.isEmpty)
        let sheet = try #require(s.first)
        #expect(sheet.points == ["goals": 25.5, "leading-expert": 2, "new-patents": 0, "sharing": 1, "market-share": 4])
        #expect(sheet.notes == ["goals": "说明"])
        #expect(sheet.lines["market-share"] == 8)
    }

    @Test("Sheet errors name the line: unknown, non-leaf, value leaf, yes/no, %, range, step, tier, award, panel, members")
    func sheetErrors() throws {
        let r = try bundledRubric("manufacturing-innovation-center")
        let (_, errors) = sheets("""
            panel: P2
            reviewer: rX
            applicant: aX
            industry: 机械
            nope = 1
            resources = 3
            rd-staff-share = 2
            goals = yes
            tech-progress = 3%
            breakthroughs = 4.5
            alliance-members = 2.25
            sharing = 2
            leading-expert = 1
            national-projects = -1
            ---
            panel: P1
            applicant: a1
            goals = 1
            """, r, reviewers: ["r1"], applicants: ["a1"])
        let lines = errors.map { $0.location?.line ?? 0 }
        #expect(errors.map(\.key) == ["line.wrong_panel", "line.unknown_reviewer", "line.unknown_applicant",
                                      "store.line_industry_in_sheet", "line.unknown_indicator", "line.not_leaf",
                                      "line.value_leaf_in_sheet", "line.yesno_not_allowed", "store.line_percent_in_sheet",
                                      "points.range", "points.step", "points.tier", "points.award", "points.range",
                                      "line.missing_header"])
        #expect(lines == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16])
        #expect(errors[9].text(.en) == "s.txt:10: 4.5 is out of range for “breakthroughs”: allowed 0–4 points [field breakthroughs]")
        #expect(errors[10].text(.zh).hasPrefix("s.txt:11: “alliance-members”的分值 2.25 不符合步长 0.5"))
    }

    @Test("Two sheets of the same reviewer for the same applicant in one file are refused")
    func duplicateSheet() throws {
        let r = try bundledRubric("manufacturing-innovation-center")
        let (_, errors) = sheets("panel: P1\nreviewer: r1\napplicant: a1\ngoals = 1\n---\npanel: P1\nreviewer: r1\napplicant: a1\n", r)
        #expect(errors.map(\.key) == ["store.line_duplicate_sheet"])
        #expect(errors.first?.location?.line == 6)
    }

    @Test("Data: value leaves and gates checked, points leaves kept as reference, industry checked")
    func dataOK() throws {
        let r = try bundledRubric("tech-innovation-demo-enterprise")
        let (d, errors) = data("""
            panel: P1
            applicant: a1
            employees = 1200
            rd-intensity = ３．５％
            annual-sales = 52000
            note rd-intensity: 审计报告第 3 页
            """, r, applicants: ["a1"])
        #expect(errors.isEmpty)
        #expect(d.first?.values == ["employees": 1200, "rd-intensity": 3.5, "annual-sales": 52000])
        #expect(d.first?.notes == ["rd-intensity": "审计报告第 3 页"])

        let tc = try bundledRubric("tech-center-evaluation")
        let (d2, e2) = data("""
            panel: P1
            applicant: a1
            industry: 家电
            rd-spending = 2300
            no-violations = 是
            ip-rights = 40
            invention-patents = 12
            rd-intensity = 4.2%
            """, tc)
        #expect(e2.isEmpty)
        #expect(d2.first?.industry == "家电")
        #expect(d2.first?.values["no-violations"] == 1)
        #expect(d2.first?.values["rd-intensity"] == 4.2)
    }

    @Test("Data errors name the line: unknown id, non-leaf, reviewer:, %, yes/no, negative, 其中 item, industry")
    func dataErrors() throws {
        let tc = try bundledRubric("tech-center-evaluation")
        let (_, errors) = data("""
            panel: P1
            reviewer: r1
            applicant: a9
            industry: 火星采矿
            nope = 1
            investment = 3
            ip-rights = 30%
            rd-spending = yes
            rd-projects = -2
            ip-rights = 10
            invention-patents = 12
            """, tc, applicants: ["a1"])
        #expect(errors.map(\.key) == ["line.reviewer_in_data", "line.unknown_applicant", "line.unknown_industry",
                                      "line.unknown_indicator", "line.not_leaf", "line.percent_not_allowed",
                                      "line.yesno_not_allowed", "line.value_negative", "line.duplicate_entry"])
        #expect(errors.map { $0.location?.line ?? 0 } == [2, 3, 4, 5, 6, 7, 8, 9, 10])

        // 其中: invention patents may not exceed the IP rights, in the block or as stored.
        let (_, e2) = data("panel: P1\napplicant: a1\nip-rights = 10\ninvention-patents = 12\n", tc)
        #expect(e2.map(\.key) == ["line.of_exceeds"])
        #expect(e2.first?.location?.line == 4)
        #expect(e2.first?.text(.en) == "d.txt:4: “invention-patents” (an “of which” item) is 12, more than 10 for “ip-rights” [field invention-patents]")
        let stored = ["a1": ApplicantData(values: ["ip-rights": 10])]
        #expect(data("panel: P1\napplicant: a1\ninvention-patents = 11\n", tc, existing: stored).errors.map(\.key) == ["line.of_exceeds"])
        let storedChild = ["a1": ApplicantData(values: ["invention-patents": 8])]
        #expect(data("panel: P1\napplicant: a1\nip-rights = 5\n", tc, existing: storedChild).errors.map(\.key) == ["line.of_exceeds"])
        #expect(data("panel: P1\napplicant: a1\ninvention-patents = 9\n", tc, existing: stored).errors.isEmpty)
    }

    @Test("A rubric without an industry table takes any industry name")
    func anyIndustry() throws {
        let r = try bundledRubric("manufacturing-innovation-center")
        #expect(data("panel: P1\napplicant: a1\nindustry: 任意行业\n", r).data.first?.industry == "任意行业")
    }
}

@Suite("The canonical text of a panel's inputs")
struct CanonicalTextTests {
    func snapshot(reversed: Bool) -> PanelSnapshot {
        var sheets = [
            SheetRecord(reviewer: "r1", applicant: "a1", round: "初评", points: ["goals": 25.5, "sharing": 3],
                        notes: ["goals": "tab\there\nnew line \\ back"], submitted: true),
            SheetRecord(reviewer: "r2", applicant: "a1", round: "初评", points: ["goals": 1.0 / 3.0]),
        ]
        var recusals = [Recusal(reviewer: "r2", applicant: "a2", reason: "同单位"), Recusal(reviewer: "r1", applicant: "a2", reason: "亲属")]
        if reversed {
            sheets.reverse()
            recusals.reverse()
        }
        return PanelSnapshot(panel: PanelInfo(id: "P1", rubricId: "manufacturing-innovation-center", title: "t", round: "初评"),
                             reviewers: [ReviewerInfo(id: "r1", name: "甲"), ReviewerInfo(id: "r2", name: "乙")],
                             applicants: [ApplicantInfo(id: "a1", name: "A", industry: nil)],
                             data: ["a1": ApplicantData(values: ["rd-staff-share": 30, "platform-coverage": 60])],
                             sheets: sheets, recusals: recusals)
    }

    @Test("Fixed order and form, whatever the order of the snapshot")
    func deterministic() {
        let a = canonicalInputText(snapshot(reversed: false))
        #expect(a == canonicalInputText(snapshot(reversed: true)))
        #expect(a == """
            pingshen-inputs 1
            panel\tP1\tmanufacturing-innovation-center\t\\N\t\\N\t\\N\t\\N
            reviewer\tr1\t甲
            reviewer\tr2\t乙
            applicant\ta1\tA\t\\N
            data\ta1\tplatform-coverage\t60
            data\ta1\trd-staff-share\t30
            recusal\tr1\ta2\t亲属
            recusal\tr2\ta2\t同单位
            sheet\t初评\tr1\ta1\t1
            point\t初评\tr1\ta1\tgoals\t25.5
            point\t初评\tr1\ta1\tsharing\t3
            note\t初评\tr1\ta1\tgoals\ttab\\there\\nnew line \\\\ back
            sheet\t初评\tr2\ta1\t0
            point\t初评\tr2\ta1\tgoals\t0.333333

            """)
    }

    @Test("canonicalNumber writes what formatNumber(v, decimals: 6) writes")
    func numbers() {
        var values: [Double] = [0, -0.0, 1, -1, 0.5, 25.5, 1.0 / 3.0, 2.0 / 3.0, 0.0000005, 0.0000004999, 99.9999995,
                                123456.789, 1e8 + 0.25, 999_999_999.5, 5e11, -42.125]
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let scale = [1.0, 100, 10000, 1e7][Int(x >> 62)]
            values.append((Double(x >> 11) / Double(1 << 53) - 0.3) * scale)
        }
        for v in values {
            #expect(canonicalNumber(v) == formatNumber(v, decimals: 6), "\(v)")
        }
    }

    @Test("Any change of an input changes the text")
    func sensitive() {
        let base = canonicalInputText(snapshot(reversed: false))
        var s = snapshot(reversed: false)
        s.sheets[0].points["goals"] = 25
        #expect(canonicalInputText(s) != base)
        s = snapshot(reversed: false)
        s.sheets[1].submitted = true
        #expect(canonicalInputText(s) != base)
        s = snapshot(reversed: false)
        s.data["a1"]?.values["rd-staff-share"] = 31
        #expect(canonicalInputText(s) != base)
        s = snapshot(reversed: false)
        s.panel.method = .median
        #expect(canonicalInputText(s) != base)
    }
}
