import Foundation
import GRDB
import PingshenCore
import PingshenRubricFormat
import PingshenStore
import Testing

private func parseErrors(_ bytes: [UInt8]) -> [PingshenError] {
    parseLineBlocks(bytes: bytes, file: "n.txt").errors
}

private let header = "panel: P1\nreviewer: r1\napplicant: a1\n"

/// One data value of the manufacturing rubric's `rd-staff-share` (unit %), read through the real
/// parser and resolver: the value, or the refusals' keys.
private enum Read: Equatable {
    case value(Double)
    case refused([String])

    var failureKeys: [String]? {
        if case .refused(let k) = self { return k }
        return nil
    }
}

private func readShare(_ text: String, _ rubric: Rubric) -> Read {
    let file = "panel: P1\napplicant: a1\nrd-staff-share = \(text)\n"
    switch readData(bytes: Array(file.utf8), file: "d.txt", rubric: rubric, panel: "P1") {
    case .success(let d): return d.first?.values["rd-staff-share"].map { .value($0) } ?? .refused(["missing"])
    case .failure(let e): return .refused(e.errors.map(\.key))
    }
}

@Suite("The line format: the nasty cases, one by one")
struct LineFormatNastyTests {
    @Test("Over-long lines are refused by line number; the limit itself is accepted; other lines are still read")
    func longLines() throws {
        let limit = LineFormat.maxLineBytes
        let atLimit = "note goals: " + String(repeating: "x", count: limit - 12)
        #expect(atLimit.utf8.count == limit)
        let ok = parseLineBlocks(bytes: Array((header + atLimit + "\n").utf8), file: "n.txt")
        #expect(ok.errors.isEmpty)
        #expect(ok.blocks.first?.notes.first?.text.utf8.count == limit - 12)
        for extra in [1, 100, 10_000_000] {
            let text = header + "goals = " + String(repeating: "9", count: limit - 8 + extra) + "\nsharing = zz\n"
            let t0 = now()
            let errors = parseErrors(Array(text.utf8))
            #expect(now() - t0 < 10, "a \(extra)-byte overflow took too long")
            #expect(errors.map(\.key) == ["line.too_long", "line.not_number"])
            #expect(errors.map { $0.location?.line } == [4, 5])
        }
    }

    @Test("Invalid UTF-8 and NUL bytes are refused on their own line; the rest of the file is read")
    func bytes() throws {
        for bad in invalidUTF8 + [[0x00], [0x61, 0x00, 0x62]] {
            var bytes = Array((header + "goals = 20\n").utf8)
            bytes += Array("note goals: 说明".utf8) + bad + [0x0A]
            bytes += Array("sharing = 3\n".utf8)
            let (blocks, errors) = parseLineBlocks(bytes: bytes, file: "n.txt")
            #expect(errors.count == 1, "\(bad)")
            #expect(errors.first?.location?.line == 5, "\(bad)")
            #expect(errors.first?.key == (bad.contains(0) ? "line.nul" : "line.invalid_utf8"), "\(bad)")
            #expect(blocks.first?.entries.map(\.id) == ["goals", "sharing"], "\(bad)")
        }
        // A file that is not UTF-8 at all (GBK) names each of its lines.
        let gbk: [UInt8] = [0xC6, 0xC0, 0xC9, 0xF3, 0x0A, 0xD6, 0xD0, 0xCE, 0xC4, 0x0A]
        #expect(parseErrors(gbk).map { $0.location?.line } == [1, 2])
    }

    @Test("Numbers: plain decimals only — no exponent, NaN, infinity, hex, grouping, other digits; |v| ≤ 1e12; no negative zero")
    func numbers() throws {
        // The number syntax alone: the share's 0–100 range is taken out (ValueRangeTests checks ranges).
        let text = try rubricText("manufacturing-innovation-center").replacingOccurrences(of: "range: [0, 100]", with: "")
        let rubric = try RubricLoader.parse(text, file: "mic.yaml", config: relConfig).get().rubric
        let accepted: [(String, Double)] = [
            ("0", 0), ("-0", 0), ("+0", 0), ("-0.0", 0), ("0.0", 0), (".5", 0.5), ("5.", 5), ("+5", 5), ("１２．５", 12.5),
            ("12.5%", 12.5), ("12.5 %", 12.5), ("50％", 50), ("1000000000000", 1e12), ("999999999999.9999", 999999999999.9999),
            ("0.000000000000000000000000000001", 1e-30), ("3.14159265358979", 3.14159265358979),
            ("1.00000000000000011", 1.00000000000000011),
        ]
        for (text, value) in accepted {
            let r = readShare(text, rubric)
            guard case .value(let v) = r else {
                Issue.record("“\(text)” refused: \(r)")
                continue
            }
            #expect(v == value, "“\(text)”")
            #expect(v.sign == .plus || v != 0, "“\(text)” gave a negative zero")
        }
        let refused = ["--5", "1e3", "1E3", "1e-3", "NaN", "nan", "-NaN", "Infinity", "inf", "-inf", "∞", "0x10", "1_000",
                       "1,000", "1 000", "٣", "𝟓", "１e３", "1000000000000.0001", "1e12", "12345678901234567890123456789012",
                       "123456789012345678901234567890123", "1.2.3", "..5", ".", "-", "%", "5%%", "½", "Ⅻ"]
        for text in refused {
            let r = readShare(text, rubric)
            guard case .refused(let keys) = r else {
                Issue.record("“\(text)” accepted as \(r)")
                continue
            }
            #expect(keys == ["line.not_number"], "“\(text)”: \(keys)")
        }
        #expect(readShare("-1000000000000", rubric).failureKeys == ["line.value_negative"])
        #expect(readShare("-3", rubric).failureKeys == ["line.value_negative"])
        // The same rules for points on a sheet; "-0" is a plain zero there too.
        let sheet = header + "goals = -0\nsharing = 1e0\ntech-progress = NaN\n"
        let r = readSheets(bytes: Array(sheet.utf8), file: "s.txt", index: RubricIndex(rubric), panel: "P1")
        guard case .failure(let e) = r else {
            Issue.record("sheet accepted")
            return
        }
        #expect(e.errors.map { "\($0.location?.line ?? 0) \($0.key)" } == ["5 line.not_number", "6 line.not_number"])
        let zero = readSheets(bytes: Array((header + "goals = -0\n").utf8), file: "s.txt", index: RubricIndex(rubric), panel: "P1")
        let points = try zero.get().first?.points["goals"]
        #expect(points == 0)
        #expect(points?.sign == .plus)
    }

    @Test("A note with stray carriage returns at its end reads the same after it is written back")
    func noteCarriageReturns() throws {
        let rubric = try loadRubric("manufacturing-innovation-center")
        let index = RubricIndex(rubric)
        for ending in ["\r\r\n", "\r\r\r\n", " \r\n", "\r \r\n", "\r\u{3000}\r\n", "\n"] {
            let text = header + "goals = 1\nnote goals: 说明 a\rb" + ending + "sharing = 1\n"
            let first = try readSheets(bytes: Array(text.utf8), file: "s.txt", index: index, panel: "P1").get()
            let note = first.first?.notes["goals"]
            #expect(note == "说明 a\rb", "\(String(reflecting: ending)): \(String(reflecting: note))")
            let sheet = SheetRecord(reviewer: "r1", applicant: "a1", round: "初评", points: first.first?.points ?? [:],
                                    notes: first.first?.notes ?? [:])
            let written = LineFormatWriter.sheetBlock(panel: "P1", sheet: sheet, order: index.leafOrder)
            let again = try readSheets(bytes: Array(written.utf8), file: "s.txt", index: index, panel: "P1").get()
            #expect(again.first?.notes == first.first?.notes, "\(String(reflecting: ending))")
        }
    }

    @Test("A yes/no field takes yes/no or 1/0, not any other number")
    func yesNoFields() throws {
        let rubric = try loadRubric("manufacturing-innovation-center")
        func read(_ value: String) -> [String] {
            let text = "panel: P1\napplicant: a1\nlegal-person = \(value)\n"
            switch readData(bytes: Array(text.utf8), file: "d.txt", rubric: rubric, panel: "P1") {
            case .success(let d): return ["ok \(formatNumber(d.first?.values["legal-person"] ?? -1))"]
            case .failure(let e): return e.errors.map { "\($0.location?.line ?? 0) \($0.key)" }
            }
        }
        #expect(read("是") == ["ok 1"])
        #expect(read("no") == ["ok 0"])
        #expect(read("1") == ["ok 1"])
        #expect(read("0") == ["ok 0"])
        #expect(read("3.14") == ["3 line.yesno_expected"])
        #expect(read("2") == ["3 line.yesno_expected"])
    }

    @Test("Numbers are written exactly: what the writer writes reads back as the same number")
    func exactNumbers() throws {
        #expect(exactDecimalText(25.5) == "25.5")
        #expect(exactDecimalText(-0.0) == "0")
        #expect(exactDecimalText(1e-30) == "0.000000000000000000000000000001")
        #expect(exactDecimalText(1e12) == "1000000000000")
        #expect(exactDecimalText(3.14159265358979) == "3.14159265358979")
        #expect(exactDecimalText(0.1 + 0.2) == "0.30000000000000004")
        #expect(exactDecimalText(-2.5e-7) == "-0.00000025")
        #expect(exactDecimalText(123456789.125) == "123456789.125")
        var rng = SeededRandom(seed: testSeed("exact-numbers"))
        var checked = 0
        for _ in 0..<20_000 {
            // Texts the parser accepts, and the number they read as.
            var text = rng.chance(0.2) ? "-" : ""
            text += String((0..<rng.int(0...12)).map { _ in Character(String(rng.int(0...9))) })
            if rng.chance(0.7) { text += "." + String((0..<rng.int(1...18)).map { _ in Character(String(rng.int(0...9))) }) }
            guard let v = parseDecimal(text) else { continue }
            let written = exactDecimalText(v)
            #expect(parseDecimal(written) == v, "\(text) → \(v) → \(written)")
            #expect(written.utf8.count <= max(text.utf8.count, 1) + 1, "\(text) → \(written)")
            checked += 1
        }
        print("reliability: exact-number inputs=20000 (texts the parser accepted and round-tripped: \(checked))")
        #expect(checked > 15_000)
    }

    @Test("SQL-looking text: ids are refused by line, notes and names are stored verbatim by the real store")
    func sqlText() throws {
        let rubric = try loadRubric("manufacturing-innovation-center")
        // Ids cannot carry it: refused with the line.
        let bad = "panel: P1\nreviewer: r1\napplicant: a1'; DROP TABLE applicant;--\ngoals = 1\n"
        let e = parseErrors(Array(bad.utf8))
        #expect(e.map { "\($0.location?.line ?? 0) \($0.key)" } == ["1 line.missing_header", "3 store.line_bad_id", "4 line.entry_before_header"])

        // Notes, names, titles, reasons and industries can: they are data, stored and read back as written.
        let dir = try tempDir("sql")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("p.sqlite").path
        let nasty = ["'); DROP TABLE sheet_point; --", "Robert'); DELETE FROM audit WHERE (1=1", "x' OR '1'='1",
                     "\"; UPDATE panel SET sealed_at = 'now", "1; ATTACH DATABASE '/tmp/x.db' AS x; --", "%s%n{0}\\"]
        let store = try PanelStore(path: db, create: true)
        try store.createPanel(PanelInfo(id: "P1", rubricId: rubric.id, title: nasty[3], round: nasty[4]), actor: nasty[1])
        try store.addReviewer(panel: "P1", ReviewerInfo(id: "r1", name: nasty[0]), actor: "sec")
        try store.addApplicant(panel: "P1", ApplicantInfo(id: "a1", name: nasty[1], industry: nasty[2]), actor: "sec")
        var notes: [String: String] = [:]
        for (i, leaf) in ["goals", "sharing", "pilot", "plans", "diffusion", "standards"].enumerated() { notes[leaf] = nasty[i] }
        let sheetText = "panel: P1\nreviewer: r1\napplicant: a1\ngoals = 20\n"
            + notes.keys.sorted().map { "note \($0): \(notes[$0] ?? "")" }.joined(separator: "\n") + "\n"
        let sheets = try readSheets(bytes: Array(sheetText.utf8), file: "s.txt", index: RubricIndex(rubric), panel: "P1").get()
        #expect(sheets.first?.notes == notes)
        try store.importSheets(panel: "P1", sheets, actor: nasty[5], reason: nasty[0])
        let dataText = "panel: P1\napplicant: a1\nindustry: \(nasty[2])\nrd-staff-share = 30\nnote rd-staff-share: \(nasty[1])\n"
        let data = try readData(bytes: Array(dataText.utf8), file: "d.txt", rubric: rubric, panel: "P1").get()
        try store.importData(panel: "P1", data, actor: "sec")

        let again = try PanelStore(path: db)
        #expect(try again.panel("P1").title == nasty[3])
        #expect(try again.panel("P1").round == nasty[4])
        #expect(try again.reviewers(panel: "P1").first?.name == nasty[0])
        #expect(try again.applicants(panel: "P1").first?.name == nasty[1])
        #expect(try again.applicants(panel: "P1").first?.industry == nasty[2])
        #expect(try again.sheet(panel: "P1", reviewer: "r1", applicant: "a1", round: nasty[4])?.notes == notes)
        #expect(try again.dataNotes(panel: "P1", applicant: "a1") == ["rd-staff-share": nasty[1]])
        let log = try again.auditLog(panel: "P1")
        #expect(log.contains { $0.reason == nasty[0] && $0.actor == nasty[5] })
        #expect(log.first?.actor == nasty[1])
        // Nothing was executed: every table is there, the file is sound, the log verifies and agrees.
        let tables = try DatabaseQueue(path: db).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        for t in ["applicant", "applicant_note", "applicant_value", "audit", "panel", "panel_round", "recusal", "reviewer",
                  "sheet", "sheet_note", "sheet_point"] {
            #expect(tables.contains(t), "table \(t) is gone")
        }
        #expect(try again.integrityCheck() == "ok")
        #expect(try again.verifyAuditChain(panel: "P1").isIntact)
        #expect(try again.verifyDataAgainstAudit(panel: "P1").isConsistent)
        #expect(try again.sealInfo(panel: "P1") == nil)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/x.db"))
    }

    @Test("A large file is read in bounded time (no quadratic blow-up): 200 000 lines")
    func largeFile() throws {
        let rubric = try loadRubric("manufacturing-innovation-center")
        var text = ""
        let leaves = rubric.leaves.filter { $0.input != .value }.map(\.id)
        var n = 0
        outer: for r in 1...100 {
            for a in 1...100 {
                text += "panel: P1\nreviewer: r\(r)\napplicant: a\(a)\n"
                for leaf in leaves { text += "\(leaf) = 0\n" }
                text += "---\n"
                n += 1
                if n * (leaves.count + 4) >= 200_000 { break outer }
            }
        }
        let bytes = Array(text.utf8)
        #expect(lineCount(bytes) > 200_000)
        let t0 = now()
        let r = readSheets(bytes: bytes, file: "big.txt", index: RubricIndex(rubric), panel: "P1")
        let dt = now() - t0
        #expect(dt < 60, "200 000 lines took \(dt) s")
        #expect((try r.get()).count == n)
    }
}

