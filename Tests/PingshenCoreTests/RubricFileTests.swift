import Testing
import PingshenCore
import PingshenRubricFormat

@Suite("The three bundled rubrics match RUBRIC-SOURCES.md node by node")
struct BundledRubricTests {
    func weights(_ r: Rubric) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: r.nodesWithPath.map { ($0.node.id, $0.node.weight) })
    }

    @Test("国家制造业创新中心考评指标参考表 (工信厅科〔2018〕37号)")
    func mic() throws {
        let r = try bundledRubric("manufacturing-innovation-center")
        let expected: [String: Double] = [
            "goals": 30, "resources": 10, "team": 5, "rd-staff-share": 3, "leading-expert": 2, "funding": 5,
            "rd-spending-share": 5, "core": 16, "common-tech": 8, "tech-progress": 6, "new-patents": 2,
            "activity": 8, "breakthroughs": 4, "national-projects": 4, "collaboration": 11, "aggregation": 8,
            "alliance-members": 4, "platform-coverage": 4, "sharing": 3, "market": 7, "core-members": 7,
            "market-share": 4, "no-dominant-shareholder": 2, "financial-capital": 2, "industrialization": 11,
            "pilot": 3, "diffusion": 4, "standards": 4, "sustainability": 15, "operations": 9,
            "service-income": 5, "profitability": 4, "mechanisms": 3, "plans": 3,
        ]
        #expect(weights(r) == expected)
        #expect(r.total == 100)
        #expect(r.grades.map(\.name) == ["优秀", "良好", "合格", "不合格"])
        #expect(r.gradesProvisional)
        #expect(r.node("core-members")?.cap == true)
        #expect(r.leaves.allSatisfy { !$0.provisional })
    }

    @Test("企业技术创新评价指标 (工信部联科〔2010〕540号 附件3)")
    func demo() throws {
        let r = try bundledRubric("tech-innovation-demo-enterprise")
        let expected: [String: Double] = [
            "mechanism": 30, "investment": 18, "rd-intensity": 15, "rd-intensity-growth": 3, "incentives": 6,
            "rd-income-ratio": 3, "training-share": 3, "cooperation": 6, "external-experts": 3, "coop-projects": 3,
            "talent": 30, "team": 12, "rd-staff-share": 7, "senior-experts": 5, "conditions": 8,
            "equipment-value": 5, "certified-labs": 3, "reserve": 10, "long-projects": 4, "invention-patents": 4,
            "brands": 2, "output": 40, "innovation-output": 15, "new-products": 4, "patent-apps": 4,
            "invention-apps": 3, "standards": 4, "innovation-benefit": 25, "new-product-sales-share": 5,
            "new-product-profit-share": 5, "export-earnings": 5, "awards": 5, "cash-indicator": 5,
        ]
        #expect(weights(r) == expected)
        #expect(r.node("invention-apps")?.of == "patent-apps")
        #expect(r.node("rd-intensity")?.basicRequirement == "≥3")
        let provisionalIds = Set(r.nodesWithPath.filter { $0.node.provisional }.map(\.node.id))
        #expect(provisionalIds == ["new-product-sales-share", "new-product-profit-share", "export-earnings",
                                   "awards", "cash-indicator"])
        #expect(r.variant(nil)?.gates.count == 8)
    }

    @Test("企业技术中心评价指标 (public copy) with the seed's grade bands and three levels of gates")
    func center() throws {
        let r = try bundledRubric("tech-center-evaluation")
        let expected: [String: Double] = [
            "investment": 35, "funding": 20, "rd-per-person": 8, "rd-intensity": 12, "talent": 15,
            "rd-staff-share": 9, "senior-experts": 4, "external-experts": 2, "conditions": 25, "accumulation": 13,
            "ip-rights": 4, "invention-patents": 3, "rd-projects": 3, "research-share": 3, "platforms": 12,
            "equipment": 5, "national-platforms": 2, "provincial-platforms": 2, "certified-labs": 3,
            "performance": 40, "output": 15, "patent-apps": 4, "invention-apps": 6, "standards": 5,
            "benefit": 25, "new-product-sales-share": 10, "new-product-profit-share": 10, "profit-rate": 5,
        ]
        #expect(weights(r) == expected)
        #expect(r.grades.map(\.min) == [90, 65, 60, 0])
        #expect(r.eligibility.map(\.id) == ["national", "provincial", "municipal"])
        let spend = r.eligibility.map { $0.gates.first { $0.id == "rd-spending" }?.threshold }
        #expect(spend == [1500, 500, 300])
        let staff = r.eligibility.map { $0.gates.first { $0.id == "rd-staff-count" }?.threshold }
        #expect(staff == [150, 60, 30])
        #expect(r.industries?.rows.count == 15)
        #expect(r.industries?.industry("石化")?.coefficients["rd"] == .multiply(3.0))
        #expect(r.industries?.industry("其他")?.coefficients["new-product-sales"] == .fixedShare(0.6))
        #expect(r.leaves.allSatisfy { $0.provisional })
    }
}

@Suite("rubric check refuses broken files and names the place")
struct RubricCheckTests {
    static let good = """
    id: tiny
    name: 测试
    total: 10
    source: {document: 测试文件}
    grades:
      bands: [{name: 合格, min: 6}, {name: 不合格, min: 0}]
    nodes:
      - id: a
        name: 甲
        weight: 6
        children:
          - id: a1
            name: 甲一
            weight: 4
            input: points
            rule: {type: discretionary, step: 0.5}
          - id: a2
            name: 甲二
            weight: 2
            input: points
            rule: {type: award}
      - id: b
        name: 乙
        weight: 4
        input: value
        unit: "%"
        rule: {type: proportional, zero: 10, full: 50}
    """

    @Test func goodFileLoads() {
        #expect(problems(Self.good).isEmpty)
    }

    @Test("A parent whose children do not add up is refused, naming the node and its line")
    func wrongWeight() {
        let p = problems(Self.good.replacingOccurrences(of: "weight: 4\n        input: points", with: "weight: 5\n        input: points"))
        let e = p.first { $0.key == "rubric.children_sum" }
        #expect(e?.location?.field == "a")
        #expect(e?.location?.line == 8)
        #expect(e?.text(.en).contains("test.yaml:8") == true)
    }

    @Test("Top-level weights must equal the declared total")
    func total() {
        let p = problems(Self.good.replacingOccurrences(of: "total: 10", with: "total: 12"))
        #expect(p.map(\.key) == ["rubric.total"])
    }

    @Test("A duplicate id is refused with both lines")
    func duplicateId() {
        let p = problems(Self.good.replacingOccurrences(of: "id: a2", with: "id: a1"))
        let e = p.first { $0.key == "rubric.duplicate_id" }
        #expect(e?.args == ["a1", "12"])
        #expect(e?.location?.line == 17)
    }

    @Test("A YAML syntax error is refused with its line and column")
    func yamlError() {
        let p = problems(Self.good.replacingOccurrences(of: "name: 甲一", with: "name: [甲一"))
        #expect(p.count == 1)
        #expect(p.first?.key == "rubric.yaml")
        #expect(p.first?.location?.line != nil)
        #expect(p.first?.location?.column != nil)
    }

    @Test("Unknown keys are refused")
    func unknownKey() {
        let p = problems(Self.good.replacingOccurrences(of: "name: 甲二", with: "name: 甲二\n        wieght: 2"))
        #expect(p.first?.key == "rubric.unknown_key")
        #expect(p.first?.args.first == "wieght")
        #expect(p.first?.location?.line == 19)
    }

    @Test("Zero point above full point, negative weight, step not dividing the maximum")
    func senselessNumbers() {
        #expect(problems(Self.good.replacingOccurrences(of: "zero: 10, full: 50", with: "zero: 60, full: 50"))
            .map(\.key) == ["rubric.zero_above_full"])
        #expect(problems(Self.good.replacingOccurrences(of: "step: 0.5", with: "step: 1.5")).map(\.key)
            == ["rubric.step_divides"])
        let neg = problems(Self.good.replacingOccurrences(of: "weight: 2\n", with: "weight: -2\n"))
        #expect(neg.map(\.key).contains("rubric.negative_weight"))
    }

    @Test("A cap allows children to add up to more than the parent, never less")
    func caps() {
        let over = Self.good.replacingOccurrences(of: "weight: 2\n", with: "weight: 3\n")
        #expect(problems(over).map(\.key) == ["rubric.children_sum"])
        let capped = over.replacingOccurrences(of: "weight: 6\n    children:", with: "weight: 6\n    cap: true\n    children:")
        #expect(problems(capped).isEmpty)
        let under = Self.good.replacingOccurrences(of: "weight: 6\n    children:", with: "weight: 7\n    cap: true\n    children:")
            .replacingOccurrences(of: "total: 10", with: "total: 11")
        #expect(problems(under).map(\.key) == ["rubric.cap_too_small"])
    }

    @Test("A provisional number must say why; a node must cite a source")
    func provisionalAndSource() {
        let p = problems(Self.good.replacingOccurrences(of: "name: 乙\n", with: "name: 乙\n    provisional: true\n"))
        #expect(p.map(\.key) == ["rubric.provisional_note"])
        let noSource = problems(Self.good.replacingOccurrences(of: "source: {document: 测试文件}\n", with: ""))
        #expect(noSource.map(\.key).contains("rubric.no_source"))
    }

    @Test("Wrong rule for the input kind, unknown rule type, non-ASCII id")
    func ruleShapes() {
        #expect(problems(Self.good.replacingOccurrences(of: "input: value", with: "input: points")).map(\.key)
            == ["rubric.rule_input"])
        #expect(problems(Self.good.replacingOccurrences(of: "type: award", with: "type: lottery")).map(\.key)
            == ["rubric.unknown_rule"])
        #expect(problems(Self.good.replacingOccurrences(of: "id: b\n", with: "id: 乙\n")).map(\.key)
            == ["rubric.bad_id"])
    }

    @Test("Deeply nested YAML is refused, not recursed into without bound")
    func deepNesting() {
        var yaml = "id: deep\nname: d\ntotal: 1\nsource: {document: x}\ngrades: {bands: [{name: a, min: 0}]}\nnodes:\n"
        var indent = ""
        for i in 0..<40 {
            yaml += "\(indent)- id: n\(i)\n\(indent)  name: n\n\(indent)  weight: 1\n\(indent)  children:\n"
            indent += "    "
        }
        yaml += "\(indent)- {id: leaf, name: l, weight: 1, input: points, rule: {type: award}}\n"
        #expect(problems(yaml).contains { $0.key == "rubric.depth" })
    }
}
