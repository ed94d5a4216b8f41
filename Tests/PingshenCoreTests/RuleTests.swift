import Testing
import PingshenCore

@Suite("Leaf rules against the sources' worked numbers")
struct RuleTests {
    let mic: Rubric
    let center: Rubric
    init() throws {
        mic = try bundledRubric("manufacturing-innovation-center")
        center = try bundledRubric("tech-center-evaluation")
    }

    func leaf(_ r: Rubric, _ id: String) throws -> RubricNode {
        try #require(r.node(id))
    }

    @Test("创新队伍: R&D staff share 30% earns 1.5 of 3; <10% earns 0; >50% earns 3")
    func proportionalTeam() throws {
        let l = try leaf(mic, "rd-staff-share")
        #expect(pointsFromValue(l, value: 30, industry: nil) == 1.5)
        #expect(pointsFromValue(l, value: 9.9, industry: nil) == 0)
        #expect(pointsFromValue(l, value: 10, industry: nil) == 0)
        #expect(pointsFromValue(l, value: 50, industry: nil) == 3)
        #expect(pointsFromValue(l, value: 75, industry: nil) == 3)
        #expect(pointsFromValue(l, value: nil, industry: nil) == nil)
    }

    @Test("创新资金: 20% earns 2.5 of 5")
    func proportionalFunding() throws {
        let l = try leaf(mic, "rd-spending-share")
        #expect(pointsFromValue(l, value: 20, industry: nil) == 2.5)
        #expect(pointsFromValue(l, value: 31, industry: nil) == 5)
        #expect(pointsFromValue(l, value: 5, industry: nil) == 0)
    }

    @Test("资源聚集: platform coverage below 50% is proportional from 0")
    func proportionalCoverage() throws {
        let l = try leaf(mic, "platform-coverage")
        #expect(pointsFromValue(l, value: 25, industry: nil) == 2)
        #expect(pointsFromValue(l, value: 60, industry: nil) == 4)
    }

    @Test("Basic/full requirement: 0 below basic, whole weight at full, straight line between")
    func requirement() throws {
        let l = try leaf(center, "rd-per-person")  // 8 points, basic 8 万元, full 60 万元
        #expect(pointsFromValue(l, value: 7.9, industry: nil) == 0)
        #expect(pointsFromValue(l, value: 8, industry: nil) == 0)
        #expect(pointsFromValue(l, value: 34, industry: nil) == 4)
        #expect(pointsFromValue(l, value: 60, industry: nil) == 8)
        #expect(pointsFromValue(l, value: 600, industry: nil) == 8)
        let atBasic = RubricNode(id: "x", name: "x", weight: 10, input: .value,
                                 rule: .requirement(basic: 2, full: 10, atBasic: 0.6, coefficient: nil))
        #expect(pointsFromValue(atBasic, value: 2, industry: nil) == 6)
        #expect(pointsFromValue(atBasic, value: 6, industry: nil) == 8)
    }

    @Test("Industry coefficients multiply the value; 其他 industries score 60% of full marks")
    func coefficients() throws {
        let table = try #require(center.industries)
        let rd = try leaf(center, "rd-intensity")  // 12 points, provisional basic 3 full 10, column rd
        let petro = try #require(table.industry("石化"))
        let electronics = try #require(table.industry("electronics"))
        // 石化 ×3.0: 2% → 6% → (6-3)/(10-3) × 12
        let p = try #require(pointsFromValue(rd, value: 2, industry: petro))
        #expect(abs(p - 12 * 3 / 7) < 1e-9)
        // 电子 ×0.6: 10% → 6%
        let e = try #require(pointsFromValue(rd, value: 10, industry: electronics))
        #expect(abs(e - 12 * 3 / 7) < 1e-9)
        // No industry: the coefficient cannot be applied, so no points are computed.
        #expect(pointsFromValue(rd, value: 10, industry: nil) == nil)
        let other = try #require(table.industry("电力"))  // an alias of 其他
        let nps = try leaf(center, "new-product-sales-share")
        #expect(pointsFromValue(nps, value: 0, industry: other) == 6)
        #expect(pointsFromValue(nps, value: 99, industry: other) == 6)
        // 其他 takes ×3.0 on R&D intensity: 2% counts as 6%.
        let o = try #require(pointsFromValue(rd, value: 2, industry: other))
        #expect(abs(o - 12 * 3 / 7) < 1e-9)
    }

    @Test("Discretionary points: range and step are enforced")
    func discretionary() throws {
        let l = try leaf(mic, "goals")
        #expect(validatePoints(30, for: l) == nil)
        #expect(validatePoints(27.5, for: l) == nil)
        #expect(validatePoints(0, for: l) == nil)
        #expect(validatePoints(30.5, for: l)?.key == "points.range")
        #expect(validatePoints(-1, for: l)?.key == "points.range")
        #expect(validatePoints(27.3, for: l)?.key == "points.step")
        #expect(validatePoints(.nan, for: l)?.key == "points.range")
    }

    @Test("Award (得N分) takes 0 or the weight; tiers take only their listed points")
    func awardAndTiers() throws {
        let award = try leaf(mic, "leading-expert")
        #expect(validatePoints(2, for: award) == nil)
        #expect(validatePoints(0, for: award) == nil)
        #expect(validatePoints(1, for: award)?.key == "points.award")
        let tiers = try leaf(mic, "sharing")
        #expect(validatePoints(1, for: tiers) == nil)
        #expect(validatePoints(3, for: tiers) == nil)
        #expect(validatePoints(2, for: tiers)?.key == "points.tier")
        let beyond = try leaf(mic, "market-share")
        #expect(validatePoints(4, for: beyond) == nil)
        #expect(validatePoints(3.5, for: beyond)?.key == "points.tier")
    }

    @Test("核心成员情况: 4 + 2 + 2 is capped at the parent's 7")
    func cap() throws {
        var points: [String: Double] = [:]
        for l in mic.leaves where l.input == .points { points[l.id] = l.weight }
        let data = ApplicantData(values: ["rd-staff-share": 60, "rd-spending-share": 40, "platform-coverage": 80])
        let s = scoreSheet(rubric: mic, points: points, data: data)
        #expect(s.nodeTotals["core-members"] == 7)
        #expect(s.nodeTotals["market"] == 7)
        #expect(s.total == 100)
        #expect(s.isComplete)
    }

    @Test("A sheet's subtotals follow the tree; missing leaves are listed")
    func sheetSubtotals() throws {
        let data = ApplicantData(values: ["rd-staff-share": 30, "rd-spending-share": 20])
        let s = scoreSheet(rubric: mic, points: ["goals": 25, "leading-expert": 2], data: data)
        #expect(s.nodeTotals["team"] == 3.5)
        #expect(s.nodeTotals["funding"] == 2.5)
        #expect(s.nodeTotals["resources"] == 6)
        #expect(s.total == 31)
        #expect(s.missing.contains("tech-progress"))
        #expect(s.missing.contains("platform-coverage"))
        #expect(!s.missing.contains("rd-staff-share"))
    }

    @Test("Provisional numbers that contribute are reported; MIC leaves are not provisional")
    func provisional() throws {
        let data = ApplicantData(values: ["rd-per-person": 30], industry: "机械")
        let s = scoreSheet(rubric: center, points: [:], data: data)
        #expect(s.provisionalContributors == ["rd-per-person"])
        let m = scoreSheet(rubric: mic, points: ["goals": 30], data: ApplicantData())
        #expect(m.provisionalContributors.isEmpty)
        #expect(mic.gradesProvisional)
        #expect(!center.gradesProvisional)
        let demo = try bundledRubric("tech-innovation-demo-enterprise")
        let benefit = try #require(demo.node("innovation-benefit"))
        #expect(benefit.children.allSatisfy { $0.provisional })
        let d = scoreSheet(rubric: demo, points: ["awards": 3, "rd-intensity": 15], data: ApplicantData())
        #expect(d.provisionalContributors == ["awards"])
    }

    @Test("Grades: the seed's bands 90/65/60 for tech centers, inclusive lower bounds")
    func grades() throws {
        #expect(center.grade(for: 90)?.name == "优秀")
        #expect(center.grade(for: 89.99)?.name == "良好")
        #expect(center.grade(for: 65)?.name == "良好")
        #expect(center.grade(for: 64.5)?.name == "基本合格")
        #expect(center.grade(for: 60)?.name == "基本合格")
        #expect(center.grade(for: 59.99)?.name == "不合格")
        #expect(mic.grade(for: 70)?.name == "良好")
    }

    @Test("Eligibility gates by level; a missing value fails its gate")
    func eligibility() throws {
        let national = try #require(center.variant("national"))
        let municipal = try #require(center.variant("municipal"))
        let data = ApplicantData(values: ["rd-spending": 1600, "rd-staff-count": 140, "equipment": 2500,
                                          "provincial-years": 3, "no-violations": 1])
        let out = checkEligibility(national, data: data)
        #expect(out.filter { !$0.passed }.map(\.gate.id) == ["rd-staff-count"])
        let m = checkEligibility(municipal, data: data)
        #expect(m.filter { !$0.passed }.map(\.gate.id) == ["registered-years", "center-years"])
    }

    @Test("Full-width digits and punctuation parse; NaN, infinity, exponents and huge numbers do not")
    func numbers() {
        #expect(parseDecimal("８５．５") == 85.5)
        #expect(parseDecimal(" 3 ") == 3)
        #expect(parseDecimal("-0") == 0)
        #expect(parseDecimal("-0")?.sign == .plus)
        #expect(parseDecimal("NaN") == nil)
        #expect(parseDecimal("inf") == nil)
        #expect(parseDecimal("1e3") == nil)
        #expect(parseDecimal("0x10") == nil)
        #expect(parseDecimal("1,000") == nil)
        #expect(parseDecimal("99999999999999") == nil)
        #expect(parseDecimal("") == nil)
        #expect(parseDecimal(".") == nil)
        #expect(formatNumber(2.5) == "2.5")
        #expect(formatNumber(3.0) == "3")
    }
}
