import Foundation
import PingshenCore
import Testing

@Suite("What Chinese users type: the input method's full stop, units after numbers")
struct InputTests {
    @Test("Numbers with the input method's 。 between digits, full-width forms and a unit after them")
    func numbers() {
        #expect(parseDecimal("25。5") == 25.5)
        #expect(parseDecimal("２５。５") == 25.5)
        #expect(parseDecimal("25。") == nil)
        #expect(parseDecimal("。5") == nil)
        #expect(parseNumberWithUnit("25分")! == (25, "分"))
        #expect(parseNumberWithUnit("25。5 分")! == (25.5, "分"))
        #expect(parseNumberWithUnit("1200万元")! == (1200, "万元"))
        #expect(parseNumberWithUnit("３０％")! == (30, "%"))
        #expect(parseNumberWithUnit("25")! == (25, nil))
        // Anything ambiguous is still refused.
        for bad in ["25分5", "二十五", "25..5", "分", "", "25。5。", "1e3", "25 = 3"] {
            #expect(parseNumberWithUnit(bad) == nil, "\(bad)")
        }
    }

    @Test("A sheet takes points with 分 and refuses another unit, naming the line; a data block takes the leaf's own unit")
    func units() throws {
        let rubric = try bundledRubric("tech-innovation-demo-enterprise")
        let points = rubric.leaves.filter { $0.input != .value }.map(\.id)
        let sheet = """
            panel: P1
            reviewer: r1
            applicant: a1
            \(points[0]) = 2。5
            \(points[1]) = 2分
            """
        let (blocks, parseErrors) = parseLineBlocks(bytes: Array(sheet.utf8), file: "s.txt")
        #expect(parseErrors.isEmpty)
        let ok = try resolveSheets(blocks, file: "s.txt", rubric: rubric, panel: "P1").get()
        #expect(ok.first?.points[points[0]] == 2.5 && ok.first?.points[points[1]] == 2)

        let wrong = "panel: P1\nreviewer: r1\napplicant: a1\n\(points[0]) = 2元\n"
        let (wb, _) = parseLineBlocks(bytes: Array(wrong.utf8), file: "w.txt")
        guard case .failure(let e) = resolveSheets(wb, file: "w.txt", rubric: rubric, panel: "P1") else {
            Issue.record("2元 was accepted as points")
            return
        }
        #expect(e.errors.map(\.key) == ["line.unit_mismatch"])
        #expect(e.errors.first?.location?.line == 4)

        let data = "panel: P1\napplicant: a1\nequipment-value = 2500万元\n"
        let (db, _) = parseLineBlocks(bytes: Array(data.utf8), file: "d.txt")
        let values = try resolveData(db, file: "d.txt", rubric: rubric, panel: "P1").get()
        #expect(values.first?.values["equipment-value"] == 2500, "\(values) \(db)")
        let badData = "panel: P1\napplicant: a1\nequipment-value = 2500项\n"
        let (bb, _) = parseLineBlocks(bytes: Array(badData.utf8), file: "d.txt")
        guard case .failure(let de) = resolveData(bb, file: "d.txt", rubric: rubric, panel: "P1") else {
            Issue.record("2500项 was accepted for a value in 万元")
            return
        }
        #expect(de.errors.first?.key == "line.unit_mismatch" && de.errors.first?.args.last == "万元")
    }
}

@Suite("Valid ranges of values, where the source implies one")
struct ValueRangeTests {
    @Test("A share of staff above 100 % is refused with its range; a profit rate may be negative; a profit share may pass 100 %")
    func ranges() throws {
        let rubric = try bundledRubric("tech-center-evaluation")
        func check(_ line: String) -> [PingshenError] {
            let text = "panel: P1\napplicant: a1\n\(line)\n"
            let (blocks, _) = parseLineBlocks(bytes: Array(text.utf8), file: "d.txt")
            if case .failure(let e) = resolveData(blocks, file: "d.txt", rubric: rubric, panel: "P1") { return e.errors }
            return []
        }
        let over = check("rd-staff-share = 130%")
        #expect(over.map(\.key) == ["line.value_range"] && over.first?.location?.line == 3, "\(over)")
        #expect(over.first?.text(.en).contains("0–100%") == true, "\(over.first?.text(.en) ?? "")")
        #expect(check("rd-staff-share = 100%").isEmpty)
        #expect(check("profit-rate = -12.5%").isEmpty)
        #expect(check("new-product-profit-share = 130%").isEmpty)
        #expect(check("new-product-sales-share = -1").map(\.key) == ["line.value_range"])
    }

    @Test("A range is [LOW, HIGH] with ~ for an open end; anything else is refused by rubric check")
    func badRange() {
        func loads(_ range: String) -> [String] {
            let yaml = try? String(contentsOfFile: "\(repoRoot)/Rubrics/tech-center-evaluation.yaml", encoding: .utf8)
            let text = (yaml ?? "").replacingOccurrences(of: "range: [0, 100]   # a share of a whole", with: "range: \(range)")
            return problems(text).map(\.key)
        }
        #expect(loads("[0, 100]").isEmpty)
        #expect(loads("[~, 50]").isEmpty)
        #expect(loads("[100, 0]").contains("rubric.bad_range"))
        #expect(loads("[1, 2, 3]").contains("rubric.bad_range"))
    }
}
