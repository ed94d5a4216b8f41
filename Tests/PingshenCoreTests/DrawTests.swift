import Foundation
import PingshenCore
import PingshenRubricFormat
import Testing

/// A deterministic word source for the core's draw logic (the SHA-256 generator lives in PingshenAudit and is
/// checked against the Python recomputation by the CLI tests).
struct TestWords: DrawRandomSource {
    var state: UInt64
    mutating func next64() -> UInt64 {
        state = splitMix64(state)
        return state
    }
}

private func expert(_ id: String, org: String, kind: String = "技术", fields: [String] = [], available: Bool = true,
                    ties: [ExpertTie] = []) -> Expert {
    Expert(id: id, name: "专家\(id)", organization: org, kind: kind, fields: fields, available: available, ties: ties)
}

private func candidates(_ experts: [Expert], applicants: [ApplicantProfile] = [], rules: DrawRules) -> [DrawCandidate] {
    drawEligibility(pool: experts, applicants: applicants, rules: rules, inPanel: []).candidates
}

/// A pool: `n` experts, kinds cycling 技术×4, 管理, 财务; organizations `orgs` round robin.
private func pool(_ n: Int, orgs: Int) -> [Expert] {
    let kinds = ["技术", "技术", "技术", "技术", "管理", "财务"]
    return (0..<n).map { i in expert(String(format: "e%04d", i), org: "单位\(i % orgs)", kind: kinds[i % kinds.count]) }
}

@Suite("Expert draw")
struct DrawTests {
    @Test("the same seed gives the same order, another seed another order")
    func sameSeedSameOrder() {
        var a = TestWords(state: 99), b = TestWords(state: 99), c = TestWords(state: 100)
        let o1 = seededOrder(count: 500, &a), o2 = seededOrder(count: 500, &b), o3 = seededOrder(count: 500, &c)
        #expect(o1 == o2)
        #expect(o1 != o3)
        #expect(o1.sorted() == Array(0..<500))
    }

    @Test("Fisher–Yates with rejection sampling gives every permutation of 4 about equally often")
    func shuffleIsUniform() {
        var g = TestWords(state: 7)
        var counts: [[Int]: Int] = [:]
        let runs = 48_000
        for _ in 0..<runs { counts[seededOrder(count: 4, &g), default: 0] += 1 }
        #expect(counts.count == 24)
        // Chi-square with 23 degrees of freedom: the 99.9 % point is 49.7.
        let expected = Double(runs) / 24
        let chi = counts.values.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
        #expect(chi < 49.7, "chi-square \(chi)")
    }

    @Test("uniform(below:) stays in range and rejects the low zone")
    func uniformRange() {
        var g = TestWords(state: 3)
        for n in [1, 2, 3, 7, 1000, Int(UInt32.max) + 5] {
            for _ in 0..<200 {
                let v = g.uniform(below: n)
                #expect(v >= 0 && v < n)
            }
        }
    }

    @Test("quotas per kind are filled exactly, one per organization holds, reserve follows the rules")
    func quotasAndOrganizations() throws {
        let experts = pool(300, orgs: 60)
        let rules = DrawRules(count: 7, kinds: [.init(kind: "技术", count: 5), .init(kind: "管理", count: 1), .init(kind: "财务", count: 1)],
                              reserve: 3, onePerOrganization: true)
        let cands = candidates(experts, rules: rules)
        for seed in 0..<200 {
            var g = TestWords(state: UInt64(seed))
            let order = seededOrder(count: cands.count, &g)
            let sel = try selectDraw(cands, order: order, rules: rules).get()
            let byId = Dictionary(uniqueKeysWithValues: cands.map { ($0.id, $0) })
            let drawn = sel.drawn.compactMap { byId[$0] }
            #expect(drawn.count == 7)
            #expect(drawn.filter { $0.kind == "技术" }.count == 5)
            #expect(drawn.filter { $0.kind == "管理" }.count == 1)
            #expect(drawn.filter { $0.kind == "财务" }.count == 1)
            let everyone = drawn + sel.reserve.compactMap { byId[$0] }
            #expect(Set(everyone.map(\.organization)).count == everyone.count)
            #expect(sel.reserve.count == 3)
            #expect(Set(sel.drawn).isDisjoint(with: sel.reserve))
            // The first 管理 expert of the seeded order is always drawn (nothing before it can take its place).
            let first = order.map { cands[$0] }.first { $0.kind == "管理" }
            #expect(first.map { drawn.contains($0) } == true)
        }
    }

    @Test("unavailable experts, experts of another field and experts already in the panel are never candidates")
    func availabilityAndField() {
        let experts = [expert("e1", org: "甲", fields: ["新材料"]), expert("e2", org: "乙", fields: ["智能制造"], available: false),
                       expert("e3", org: "丙", fields: ["智能制造", "新材料"]), expert("e4", org: "丁", fields: ["智能制造"])]
        let e = drawEligibility(pool: experts, applicants: [], rules: DrawRules(count: 1, field: "智能制造"), inPanel: ["e4"])
        #expect(e.candidates.map(\.id) == ["e3"])
        #expect(e.unavailable == 1 && e.otherField == 1 && e.inPanel == 1)
    }

    @Test("tied experts are excluded by default; with ties as pairs they stay and their ties are named")
    func ties() {
        let applicants = [ApplicantProfile(id: "a1", name: "青岚智能装备有限公司", related: ["澄江装备集团"]),
                          ApplicantProfile(id: "a2", name: "某某", organization: "恒岳新材料股份有限公司")]
        let experts = [
            expert("e1", org: "青岚智能装备有限公司"),                                   // works at a1
            expert("e2", org: "别处", ties: [ExpertTie(target: "澄江装备集团", reason: "顾问")]),  // a1's group
            expert("e3", org: "别处2", ties: [ExpertTie(target: "a2")]),                  // names a2's id
            expert("e4", org: "恒岳新材料股份有限公司"),                                    // a2's organization
            expert("e5", org: "无关单位", ties: [ExpertTie(target: "另一家")]),
        ]
        let ex = drawEligibility(pool: experts, applicants: applicants, rules: DrawRules(count: 1), inPanel: [])
        #expect(ex.candidates.map(\.id) == ["e5"])
        #expect(ex.tied == 4)
        let pairs = drawEligibility(pool: experts, applicants: applicants, rules: DrawRules(count: 1, ties: "pairs"), inPanel: [])
        #expect(pairs.candidates.count == 5)
        #expect(pairs.tiedPairs["e1"]?.map(\.applicant) == ["a1"])
        #expect(pairs.tiedPairs["e2"]?.map(\.applicant) == ["a1"])
        #expect(pairs.tiedPairs["e3"]?.map(\.applicant) == ["a2"])
        #expect(pairs.tiedPairs["e4"]?.map(\.applicant) == ["a2"])
        #expect(pairs.tiedPairs["e5"] == nil)
    }

    @Test("a pool too small for a rule is refused naming the rule and the candidates left")
    func refusals() {
        let experts = pool(30, orgs: 4)
        var g = TestWords(state: 1)
        let all = candidates(experts, rules: DrawRules(count: 1))
        let order = seededOrder(count: all.count, &g)
        #expect(selectDraw(all, order: order, rules: DrawRules(count: 31)) == .failure(.tooFew(needed: 31, left: 30)))
        let fin = DrawRules(count: 7, kinds: [.init(kind: "技术", count: 1), .init(kind: "财务", count: 6)])
        #expect(selectDraw(all, order: order, rules: fin) == .failure(.kind(kind: "财务", needed: 6, left: 5)))
        let sum = DrawRules(count: 7, kinds: [.init(kind: "技术", count: 5)])
        #expect(selectDraw(all, order: order, rules: sum) == .failure(.quotaSum(sum: 5, count: 7)))
        let orgs = DrawRules(count: 5, onePerOrganization: true)
        #expect(selectDraw(all, order: order, rules: orgs) == .failure(.organizations(kind: nil, needed: 5, organizations: 4)))
        let orgKind = DrawRules(count: 5, kinds: [.init(kind: "技术", count: 5)], onePerOrganization: true)
        if case .failure(.organizations(let kind, let needed, _)) = selectDraw(all, order: order, rules: orgKind) {
            #expect(kind == "技术" && needed == 5)
        } else {
            Issue.record("one per organization should refuse five 技术 experts from four organizations")
        }
    }

    @Test("a replacement is the next unused candidate of the same kind in the seeded order, honouring one per organization")
    func replacements() throws {
        let experts = pool(120, orgs: 40)
        let rules = DrawRules(count: 6, kinds: [.init(kind: "技术", count: 4), .init(kind: "管理", count: 1), .init(kind: "财务", count: 1)],
                              onePerOrganization: true)
        let cands = candidates(experts, rules: rules)
        var g = TestWords(state: 5)
        let order = seededOrder(count: cands.count, &g)
        let sel = try selectDraw(cands, order: order, rules: rules).get()
        let byId = Dictionary(uniqueKeysWithValues: cands.map { ($0.id, $0) })
        let finance = try #require(sel.drawn.first { byId[$0]?.kind == "财务" })
        let next = try #require(nextReplacement(cands, order: order, rules: rules, replaced: finance, used: Set(sel.drawn), current: sel.drawn))
        #expect(next.kind == "财务")
        #expect(!sel.drawn.contains(next.id))
        let otherOrgs = Set(sel.drawn.filter { $0 != finance }.compactMap { byId[$0]?.organization })
        #expect(!otherOrgs.contains(next.organization))
        // It is the first such candidate in the order.
        let expected = order.map { cands[$0] }.first {
            $0.kind == "财务" && !sel.drawn.contains($0.id) && !otherOrgs.contains($0.organization)
        }
        #expect(next.id == expected?.id)
        // Replaying gives the same.
        var g2 = TestWords(state: 5)
        let replay = try replayDraw(cands, rules: rules, generator: &g2, replaced: [finance]).get()
        #expect(replay.selection == sel)
        #expect(replay.replacements.first?.replacement == next.id)
        #expect(replay.current.contains(next.id) && !replay.current.contains(finance))
    }

    @Test("the rules' canonical line reads back; kind quotas parse in either width")
    func rulesText() {
        let r = DrawRules(count: 7, kinds: [.init(kind: "技术", count: 5), .init(kind: "管理", count: 1), .init(kind: "财务", count: 1)],
                          reserve: 2, onePerOrganization: true, field: "智能制造", ties: "pairs")
        #expect(DrawRules.parse(canonical: r.canonical) == r)
        #expect(DrawRules.parseKinds("技术＝5，管理=1,财务:1")?.map(\.count) == [5, 1, 1])
        #expect(DrawRules.parseKinds("技术") == nil)
        #expect(DrawRules.parseKinds("技术=1,技术=2") == nil)
    }

    @Test("the candidate snapshot's canonical text is one tab-separated line per candidate in id order")
    func snapshotText() {
        let e = drawEligibility(pool: [expert("b2", org: "乙"), expert("a1", org: "甲"), expert("B0", org: "丙")],
                                applicants: [], rules: DrawRules(count: 1), inPanel: [])
        #expect(e.candidates.map(\.id) == ["B0", "a1", "b2"])
        #expect(canonicalCandidateText(e.candidates) == "B0\t专家B0\t丙\t技术\na1\t专家a1\t甲\t技术\nb2\t专家b2\t乙\t技术\n")
    }
}

@Suite("Expert pool files")
struct PoolFileTests {
    let chinese = "编号,姓名,工作单位,类别,专业领域,职称,地区,可用,回避单位\r\ne1,张明远,青岚研究院,技术,智能制造；新材料,教授,华东,是,澄江集团：曾任顾问；a3\r\ne2,李慧敏,\"澄江会计师事务所,分所\",财务,财务审计,注册会计师,华北,否,\r\n"

    @Test("CSV with Chinese headers, with or without a BOM, quoted cells, lists and ties")
    func chineseCSV() throws {
        for bom in [false, true] {
            let bytes = (bom ? [0xEF, 0xBB, 0xBF] : []) + Array(chinese.utf8)
            let experts = try PoolCSV.parse(bytes, file: "pool.csv").get()
            #expect(experts.count == 2)
            #expect(experts[0].fields == ["智能制造", "新材料"])
            #expect(experts[0].ties == [ExpertTie(target: "澄江集团", reason: "曾任顾问"), ExpertTie(target: "a3")])
            #expect(experts[1].organization == "澄江会计师事务所,分所")
            #expect(experts[1].available == false)
        }
    }

    @Test("CSV with English headers in another order; YAML gives the same experts")
    func englishCSVAndYAML() throws {
        let csv = "kind,id,name,organization,available\n技术,e1,张明远,青岚研究院,yes\n财务,e2,李慧敏,澄江所,0\n"
        let a = try PoolCSV.parse(Array(csv.utf8), file: "p.csv").get()
        #expect(a.map(\.kind) == ["技术", "财务"])
        #expect(a.map(\.available) == [true, false])
        let yaml = PoolLoader.write(a)
        let b = try PoolLoader.parse(yaml, file: "p.yaml").get()
        #expect(a == b)
        #expect(try PoolCSV.parse(Array(PoolCSV.write(a).utf8), file: "p.csv").get() == a)
    }

    @Test("bad rows are all reported with line and field; nothing is returned")
    func badRows() {
        let csv = "编号,姓名,工作单位,类别,可用\ne1,张三,甲,技术,是\ne1,李四,乙,技术,是\n坏 id,王五,丙,技术,是\ne4,,丁,技术,是\ne5,赵六,戊,技术,也许\n"
        guard case .failure(let errs) = PoolCSV.parse(Array(csv.utf8), file: "pool.csv") else {
            Issue.record("bad rows accepted")
            return
        }
        let text = errs.text(.en)
        #expect(text.contains("pool.csv:3:") && text.contains("appears twice"))
        #expect(text.contains("pool.csv:4:") && text.contains("[field id]"))
        #expect(text.contains("pool.csv:5:") && text.contains("[field name]"))
        #expect(text.contains("pool.csv:6:") && text.contains("[field available]"))
        #expect(errs.errors.count == 4)
    }

    @Test("unknown, repeated or missing headers and an open quote are refused")
    func badHeaders() {
        #expect(PoolCSV.parse(Array("id,name,org\n".utf8), file: "p.csv").isFailure)
        #expect(PoolCSV.parse(Array("id,name,organization,kind,编号\n".utf8), file: "p.csv").isFailure)
        #expect(PoolCSV.parse(Array("id,name,organization\ne1,a,b\n".utf8), file: "p.csv").isFailure)
        guard case .failure(let e) = PoolCSV.parse(Array("id,name,organization,kind\ne1,\"a,b,c\n".utf8), file: "p.csv") else {
            Issue.record("open quote accepted")
            return
        }
        #expect(e.errors.first?.location?.line == 2)
        #expect(PoolCSV.parse([0x69, 0x64, 0x0A, 0xFF, 0xFE], file: "p.csv").isFailure)
    }

    @Test("YAML: unknown keys and wrong types are refused with their line")
    func badYAML() {
        let yaml = "experts:\n  - id: e1\n    name: 张三\n    organization: 甲\n    kind: 技术\n    colour: red\n"
        guard case .failure(let e) = PoolLoader.parse(yaml, file: "p.yaml") else {
            Issue.record("unknown key accepted")
            return
        }
        #expect(e.errors.first?.location?.line == 6)
    }

    @Test("the sample pool has at least 300 experts, and its CSV and YAML forms agree")
    func samplePool() throws {
        let csv = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/Samples/pool/pool.csv"))
        #expect(csv.starts(with: [0xEF, 0xBB, 0xBF]))
        let a = try PoolCSV.parse([UInt8](csv), file: "pool.csv").get()
        let b = try PoolLoader.parse(String(contentsOfFile: repoRoot + "/Samples/pool/pool.yaml", encoding: .utf8), file: "pool.yaml").get()
        #expect(a.count >= 300)
        #expect(a == b)
        #expect(Set(a.map(\.kind)) == ["技术", "管理", "财务"])
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
