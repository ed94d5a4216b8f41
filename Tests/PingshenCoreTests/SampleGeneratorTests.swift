import Foundation
import Testing
@testable import PingshenCore
import PingshenRubricFormat

// MARK: - A test-side reader of the line format (only `key: value` headers and `key = value` lines; the
// real parser lives with the store).

fileprivate struct LineBlock {
    var headers: [String: String] = [:]
    var entries: [(key: String, value: String, line: Int)] = []
}

fileprivate func readBlocks(_ text: String) -> [LineBlock] {
    var blocks: [LineBlock] = []
    var current = LineBlock()
    var open = false
    for (i, raw) in text.components(separatedBy: "\n").enumerated() {
        var line = raw
        if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
        line = line.trimmingCharacters(in: .whitespaces)
        if line.isEmpty { continue }
        if line == "---" {
            if open { blocks.append(current) }
            current = LineBlock()
            open = false
            continue
        }
        open = true
        if let eq = line.range(of: " = ") {
            current.entries.append((String(line[..<eq.lowerBound]), String(line[eq.upperBound...]), i + 1))
        } else if let colon = line.range(of: ": ") {
            current.headers[String(line[..<colon.lowerBound])] = String(line[colon.upperBound...])
        } else {
            current.entries.append(("?", line, i + 1))
        }
    }
    if open { blocks.append(current) }
    return blocks
}

/// Applicant data from data blocks, by applicant id.
fileprivate func readData(_ text: String) -> [String: ApplicantData] {
    var out: [String: ApplicantData] = [:]
    for b in readBlocks(text) {
        guard let a = b.headers["applicant"] else { continue }
        var d = ApplicantData(industry: b.headers["industry"])
        for e in b.entries { d.values[e.key] = parseDecimal(e.value) }
        out[a] = d
    }
    return out
}

fileprivate func sampleText(_ rubric: String, _ file: String) throws -> String {
    try String(contentsOfFile: "\(repoRoot)/Samples/\(rubric)/\(file)", encoding: .utf8)
}

fileprivate func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

fileprivate func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Mean over applicants of (reviewer's total − mean total of the others, leaving out `exclude`).
fileprivate func meanDeviation(_ g: GeneratedPanel, rubric: Rubric, reviewer: String, exclude: Set<String> = []) -> Double {
    var totals: [String: [String: Double]] = [:]
    for s in g.sheets {
        totals[s.applicant, default: [:]][s.reviewer] =
            scoreSheet(rubric: rubric, points: s.points, data: g.data[s.applicant] ?? ApplicantData()).total
    }
    var diffs: [Double] = []
    for (_, byReviewer) in totals {
        guard let mine = byReviewer[reviewer] else { continue }
        let others = byReviewer.filter { $0.key != reviewer && !exclude.contains($0.key) }.map(\.value)
        if !others.isEmpty { diffs.append(mine - mean(others)) }
    }
    return mean(diffs)
}

fileprivate let allRubricIds = ["manufacturing-innovation-center", "tech-innovation-demo-enterprise", "tech-center-evaluation"]

// MARK: - The generator

@Suite("Sample generator")
struct SampleGeneratorTests {
    func generate(_ rubricId: String, n: Int = 40, k: Int = 7, seed: UInt64 = 11,
                  _ tweak: (inout SampleOptions) -> Void = { _ in }) throws -> (Rubric, GeneratedPanel) {
        let rubric = try bundledRubric(rubricId)
        var o = SampleOptions(panel: "p1", title: "测试评审组", applicants: n, reviewers: k, seed: seed)
        tweak(&o)
        return (rubric, try SampleGenerator.generate(rubric: rubric, options: o))
    }

    @Test("SplitMix64 and xoshiro256** give the reference implementations' numbers")
    func knownAnswers() {
        var sm = SplitMix64(seed: 0)
        #expect([sm.next(), sm.next(), sm.next()] == [16_294_208_416_658_607_535, 7_960_286_522_194_355_700, 487_617_019_471_545_679])
        var x = Xoshiro256StarStar(seed: 42)
        #expect([x.next(), x.next(), x.next()] == [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009])
        var u = Xoshiro256StarStar(seed: 5)
        for _ in 0..<1000 {
            let v = u.uniform()
            #expect(v >= 0 && v < 1)
            let i = u.int(below: 7)
            #expect(i >= 0 && i < 7)
        }
        #expect(Set(u.choose(5, from: 9)).count == 5)
    }

    @Test("The same seed gives identical files; another seed different ones", arguments: allRubricIds)
    func determinism(_ rubricId: String) throws {
        let (rubric, a) = try generate(rubricId)
        let (_, b) = try generate(rubricId)
        let (_, c) = try generate(rubricId, seed: 12)
        #expect(a.manifestYAML() == b.manifestYAML())
        #expect(a.dataText() == b.dataText())
        #expect(a.sheetsText() == b.sheetsText())
        #expect(a.plantedYAML(rubric: rubric) == b.plantedYAML(rubric: rubric))
        #expect(a.dataText() != c.dataText())
        #expect(a.manifestYAML() != c.manifestYAML())
        if !a.sheetOrder.isEmpty { #expect(a.sheetsText() != c.sheetsText()) }
    }

    @Test("Applicants' data does not change when only the number of reviewers does")
    func streamsAreIndependent() throws {
        let (_, a) = try generate("tech-center-evaluation", k: 5)
        let (_, b) = try generate("tech-center-evaluation", k: 9)
        #expect(a.data == b.data)
    }

    @Test("Every sheet is complete, takes only points leaves, and every value passes validatePoints",
          arguments: allRubricIds)
    func pointsAreValid(_ rubricId: String) throws {
        let (rubric, g) = try generate(rubricId, n: 60, k: 7) { $0.wildRate = 0.05 }
        let pointsLeaves = rubric.leaves.filter { $0.input != .value }
        #expect(g.sheets.count == 60 * 7 - g.manifest.recusals.count)
        var checked = 0
        for s in g.sheets {
            #expect(Set(s.points.keys) == Set(pointsLeaves.map(\.id)))
            for leaf in pointsLeaves {
                let p = try #require(s.points[leaf.id])
                #expect(validatePoints(p, for: leaf) == nil, "\(s.reviewer)/\(s.applicant) \(leaf.id) = \(p)")
                checked += 1
            }
        }
        #expect(checked == g.sheets.count * pointsLeaves.count)
        // The written sheets say the same.
        let blocks = readBlocks(g.sheetsText())
        #expect(blocks.count == g.sheets.count)
        for b in blocks {
            for e in b.entries {
                let leaf = try #require(rubric.node(e.key))
                let v = try #require(parseDecimal(e.value))
                #expect(validatePoints(v, for: leaf) == nil)
            }
        }
    }

    @Test("Data: of leaves never above their parent, no negative values, shares within 100", arguments: allRubricIds)
    func dataIsConsistent(_ rubricId: String) throws {
        let (rubric, g) = try generate(rubricId, n: 300, k: 3) { $0.ineligibleRate = 0.1 }
        for (_, d) in g.data {
            for leaf in rubric.leaves {
                if let parent = leaf.of, let v = d.values[leaf.id], let pv = d.values[parent] {
                    #expect(v <= pv, "\(leaf.id) \(v) > \(parent) \(pv)")
                }
                if leaf.unit == "%", let v = d.values[leaf.id] { #expect(v <= 100) }
                if leaf.input == .value { #expect(d.values[leaf.id] != nil) }
            }
            for v in d.values.values { #expect(v >= 0 && v.isFinite) }
            if rubric.industries != nil {
                let industry = try #require(d.industry)
                #expect(rubric.industries?.industry(industry) != nil)
            }
        }
        // Spending = spending per person × staff, where the rubric has all three.
        if rubricId == "tech-center-evaluation" {
            for (_, d) in g.data {
                let spending = try #require(d.values["rd-spending"])
                let per = try #require(d.values["rd-per-person"])
                let staff = try #require(d.values["rd-staff-count"])
                #expect(abs(spending - per * staff) <= 1)
            }
        }
    }

    @Test("Exactly the planted applicants fail, each the planted gate only; the rest pass every gate",
          arguments: ["tech-center-evaluation", "tech-innovation-demo-enterprise"])
    func eligibility(_ rubricId: String) throws {
        let (rubric, g) = try generate(rubricId, n: 200, k: 3) { $0.ineligibleRate = 0.1 }
        let variant = try #require(rubric.variant(g.manifest.variant))
        #expect(g.planted.ineligible.count == 20)
        let planted = Dictionary(uniqueKeysWithValues: g.planted.ineligible.map { ($0.applicant, $0.gate) })
        for a in g.manifest.applicants {
            let outcomes = checkEligibility(variant, data: try #require(g.data[a.id]))
            let failed = outcomes.filter { !$0.passed }.map(\.gate.id)
            #expect(failed == (planted[a.id].map { [$0] } ?? []), "\(a.id): \(failed)")
        }
    }

    @Test("A planted harsh reviewer's totals are clearly below the others', a lenient one's above",
          arguments: ["manufacturing-innovation-center", "tech-innovation-demo-enterprise"])
    func biasedReviewers(_ rubricId: String) throws {
        let (rubric, g) = try generate(rubricId, n: 40, k: 7) {
            $0.harsh = 1
            $0.lenient = 1
            $0.wildRate = 0
        }
        let harsh = try #require(g.planted.harsh.first)
        let lenient = try #require(g.planted.lenient.first)
        #expect(harsh.shift == -10 && lenient.shift == 10)
        let biased: Set<String> = [harsh.reviewer, lenient.reviewer]
        let h = meanDeviation(g, rubric: rubric, reviewer: harsh.reviewer, exclude: biased)
        let l = meanDeviation(g, rubric: rubric, reviewer: lenient.reviewer, exclude: biased)
        #expect(h < -7 && h > -13, "harsh \(h)")
        #expect(l > 4, "lenient \(l)")
        #expect(abs(h - harsh.measured) < 0.01)
        for r in g.manifest.reviewers.map(\.id) where !biased.contains(r) {
            let d = meanDeviation(g, rubric: rubric, reviewer: r, exclude: biased)
            #expect(abs(d) < 4, "\(r) deviates \(d)")
        }
    }

    @Test("Wild scores are recorded as given and lie far from the rest of the panel")
    func wildScores() throws {
        let (rubric, g) = try generate("manufacturing-innovation-center", n: 100, k: 7) { $0.wildRate = 0.03 }
        #expect(g.planted.wild.count == Int((Double(g.sheets.count) * 0.03).rounded()))
        #expect(g.planted.wild.contains { $0.leaf == nil } && g.planted.wild.contains { $0.leaf != nil })
        for w in g.planted.wild {
            let sheet = try #require(g.sheets.first { $0.reviewer == w.reviewer && $0.applicant == w.applicant })
            if let leafId = w.leaf {
                let leaf = try #require(rubric.node(leafId))
                #expect(sheet.points[leafId] == w.value)
                #expect(abs(w.value - w.panel) >= 0.3 * leaf.weight, "\(w)")
            } else {
                let total = scoreSheet(rubric: rubric, points: sheet.points, data: g.data[w.applicant] ?? ApplicantData()).total
                #expect(abs(total - w.value) < 1e-6)
                #expect(abs(w.value - w.panel) >= 15, "\(w)")
            }
        }
    }

    @Test("Recused pairs have no sheet; every other pair has exactly one")
    func recusals() throws {
        let (_, g) = try generate("tech-innovation-demo-enterprise", n: 100, k: 5) { $0.recusalRate = 0.2 }
        #expect(g.manifest.recusals.count == 20)
        #expect(g.planted.recusals == g.manifest.recusals)
        var seen = Set<String>()
        for s in g.sheets {
            #expect(!g.manifest.isRecused(s.reviewer, s.applicant))
            #expect(seen.insert("\(s.reviewer)/\(s.applicant)").inserted)
        }
        #expect(seen.count == 100 * 5 - 20)
        for rc in g.manifest.recusals { #expect(!rc.reason.isEmpty) }
    }

    @Test("A rubric without points leaves gets empty sheets and no harsh reviewer or wild score")
    func valueOnlyRubric() throws {
        let (rubric, g) = try generate("tech-center-evaluation", n: 20, k: 5) { $0.wildRate = 0.5 }
        #expect(g.sheetOrder.isEmpty)
        #expect(g.planted.harsh.isEmpty && g.planted.wild.isEmpty)
        #expect(g.sheets.allSatisfy { $0.points.isEmpty })
        #expect(g.plantedYAML(rubric: rubric).contains("no points leaves"))
    }

    @Test("Names are distinct and organisations fit the rubric")
    func names() throws {
        let (_, g) = try generate("tech-center-evaluation", n: 500, k: 30)
        #expect(Set(g.manifest.applicants.map(\.name)).count == 500)
        #expect(Set(g.manifest.reviewers.map(\.name)).count == 30)
        #expect(g.manifest.applicants.allSatisfy { $0.name.hasSuffix("技术中心") })
        let (_, m) = try generate("manufacturing-innovation-center", n: 50, k: 3)
        #expect(m.manifest.applicants.allSatisfy { $0.name.contains("创新中心") && $0.industry == nil })
    }

    @Test("Bad options are refused with catalog messages")
    func badOptions() throws {
        let rubric = try bundledRubric("manufacturing-innovation-center")
        func keys(_ o: SampleOptions) -> [String] { SampleGenerator.problems(rubric: rubric, options: o).map(\.key) }
        #expect(keys(SampleOptions(applicants: 0)) == ["sample.bad_count"])
        #expect(keys(SampleOptions(reviewers: 51)) == ["sample.bad_count"])
        #expect(keys(SampleOptions(variant: "national")) == ["sample.unknown_variant"])
        #expect(keys(SampleOptions(reviewers: 5, harsh: 2, lenient: 1)) == ["sample.too_many_biased"])
        #expect(keys(SampleOptions(wildRate: 1.5)) == ["sample.bad_rate"])
        #expect(keys(SampleOptions(bias: -1)) == ["sample.bad_bias"])
        #expect(keys(SampleOptions(panel: "Panel 1")) == ["sample.bad_panel"])
        #expect(keys(SampleOptions()) == [])
        for key in ["sample.bad_count", "sample.unknown_variant", "sample.too_many_biased", "sample.bad_rate"] {
            #expect(Catalog.has(key))
        }
        #expect(throws: PingshenError.self) { try SampleGenerator.generate(rubric: rubric, options: SampleOptions(applicants: 0)) }
        let plan = SamplePlan(reviewerNames: ["甲", "乙", "丙"], applicants: [.init(name: "某单位")],
                              wild: [.init(reviewer: "r9", applicant: "a1", leaf: "nope")])
        #expect(keys(SampleOptions(plan: plan)).filter { $0 == "sample.plan_unknown" }.count == 2)
    }

    @Test("The manifest and the planted record read back as written")
    func roundTrips() throws {
        for id in allRubricIds {
            let (rubric, g) = try generate(id, n: 30, k: 7) { $0.recusalRate = 0.1; $0.wildRate = 0.05 }
            let m = try ManifestLoader.parse(g.manifestYAML(), file: "panel.yaml", rubric: rubric).get()
            #expect(m == g.manifest)
            let p = try PlantedLoader.parse(g.plantedYAML(rubric: rubric), file: "planted.yaml").get()
            #expect(p == g.planted)
        }
    }
}

// MARK: - Panel manifests

@Suite("Panel manifests")
struct ManifestTests {
    let good = """
        panel: p1
        rubric: manufacturing-innovation-center
        title: 测试
        round: 初评
        variant: upgrade
        reviewers:
          - {id: r1, name: 张明远}
          - {id: r2, name: 李慧敏}
        applicants:
          - {id: a1, name: 青岚增材制造创新中心有限公司}
        recusals:
          - {reviewer: r2, applicant: a1, reason: 合作项目}
        """

    func errors(_ text: String, rubric: Rubric? = nil) -> [PingshenError] {
        switch ManifestLoader.parse(text, file: "panel.yaml", rubric: rubric) {
        case .success: return []
        case .failure(let e): return e.errors
        }
    }

    @Test("A good manifest loads and converts to the panel records")
    func loads() throws {
        let rubric = try bundledRubric("manufacturing-innovation-center")
        let m = try ManifestLoader.parse(good, file: "panel.yaml", rubric: rubric).get()
        #expect(m.panelInfo == PanelInfo(id: "p1", rubricId: "manufacturing-innovation-center", title: "测试", round: "初评",
                                         variant: "upgrade"))
        #expect(m.reviewers == [ReviewerInfo(id: "r1", name: "张明远"), ReviewerInfo(id: "r2", name: "李慧敏")])
        #expect(m.applicants.first?.name == "青岚增材制造创新中心有限公司")
        #expect(m.isRecused("r2", "a1") && !m.isRecused("r1", "a1"))
    }

    @Test("Unknown keys are refused with their line, at the top and inside entries")
    func unknownKeys() {
        let top = errors(good.replacingOccurrences(of: "round: 初评", with: "round: 初评\ncolour: red"))
        #expect(top.map(\.key) == ["rubric.unknown_key"])
        #expect(top.first?.location?.line == 5)
        #expect(top.first?.location?.file == "panel.yaml")
        let inner = errors(good.replacingOccurrences(of: "{id: r2, name: 李慧敏}", with: "{id: r2, name: 李慧敏, age: 50}"))
        #expect(inner.map(\.key) == ["rubric.unknown_key"])
        #expect(inner.first?.location?.line == 8)
        #expect(inner.first?.text(.en).contains("age") == true)
    }

    @Test("Duplicates, recusals naming nobody, bad ids and missing keys are refused with their line")
    func problems() throws {
        let dup = errors(good.replacingOccurrences(of: "{id: r2, name: 李慧敏}", with: "{id: r1, name: 李慧敏}"))
        #expect(dup.contains { $0.key == "sample.manifest_duplicate" && $0.location?.line == 8 })
        #expect(dup.contains { $0.key == "sample.manifest_recusal_unknown" && $0.location?.line == 12 })
        let badId = errors(good.replacingOccurrences(of: "{id: a1,", with: "{id: A 1,"))
        #expect(badId.contains { $0.key == "sample.manifest_bad_id" && $0.location?.line == 10 })
        let missing = errors(good.replacingOccurrences(of: "title: 测试\n", with: ""))
        #expect(missing.map(\.key) == ["rubric.missing_key"])
        let syntax = errors("panel: [p1\n")
        #expect(syntax.first?.key == "rubric.yaml")
        #expect(syntax.first?.location?.line != nil)
        let wrongType = errors(good.replacingOccurrences(of: "reviewers:\n", with: "reviewers: r1\nx:\n"))
        #expect(!wrongType.isEmpty)
    }

    @Test("Against its rubric: the variant must exist and industries must be in the coefficient table")
    func againstRubric() throws {
        let mic = try bundledRubric("manufacturing-innovation-center")
        let tc = try bundledRubric("tech-center-evaluation")
        #expect(errors(good.replacingOccurrences(of: "variant: upgrade", with: "variant: national"), rubric: mic)
            .map(\.key) == ["sample.manifest_unknown_variant"])
        #expect(errors(good, rubric: tc).map(\.key).contains("sample.manifest_rubric_mismatch"))
        let withIndustry = good.replacingOccurrences(of: "有限公司}", with: "有限公司, industry: 机械}")
        #expect(errors(withIndustry, rubric: mic).map(\.key) == ["sample.manifest_no_industries"])
        let tcText = withIndustry.replacingOccurrences(of: "manufacturing-innovation-center", with: "tech-center-evaluation")
            .replacingOccurrences(of: "variant: upgrade", with: "variant: national")
        #expect(errors(tcText, rubric: tc).isEmpty)
        let unknownIndustry = tcText.replacingOccurrences(of: "industry: 机械", with: "industry: 宇航")
        let e = errors(unknownIndustry, rubric: tc)
        #expect(e.map(\.key) == ["sample.manifest_unknown_industry"])
        #expect(e.first?.location?.line == 10)
    }

    @Test("Names that YAML would misread are quoted and read back unchanged")
    func quoting() throws {
        let tricky = ["yes", "2026", "a: b", "#1", "- x", "{x}", "x, y", " lead", "null", "0x1F", "1e3", "张三: 李四", "\"q\""]
        let m = PanelManifest(panel: "p1", rubric: "manufacturing-innovation-center", title: "yes", round: "1",
                              reviewers: tricky.enumerated().map { ReviewerInfo(id: "r\($0.offset + 1)", name: $0.element) },
                              applicants: [ApplicantInfo(id: "a1", name: "no")],
                              recusals: [Recusal(reviewer: "r1", applicant: "a1", reason: "x: y # z")])
        let back = try ManifestLoader.parse(m.yamlText(header: ["comment"]), file: "t.yaml").get()
        #expect(back == m)
    }
}

// MARK: - The bundled samples

@Suite("Bundled samples (Samples/)")
struct BundledSampleTests {
    fileprivate func load(_ preset: SamplePreset) throws -> (Rubric, PanelManifest, [String: ApplicantData], [LineBlock], PlantedTruth) {
        let rubric = try bundledRubric(preset.rubric)
        let manifest = try ManifestLoader.parse(try sampleText(preset.rubric, "panel.yaml"), file: "panel.yaml", rubric: rubric).get()
        let data = readData(try sampleText(preset.rubric, "data.txt"))
        let sheets = readBlocks(try sampleText(preset.rubric, "sheets.txt"))
        let planted = try PlantedLoader.parse(try sampleText(preset.rubric, "planted.yaml"), file: "planted.yaml").get()
        return (rubric, manifest, data, sheets, planted)
    }

    /// Points per (reviewer, applicant) from the sample's sheets.
    fileprivate func points(_ sheets: [LineBlock]) -> [String: [String: Double]] {
        var out: [String: [String: Double]] = [:]
        for b in sheets {
            let key = "\(b.headers["reviewer"] ?? "")/\(b.headers["applicant"] ?? "")"
            var p: [String: Double] = [:]
            for e in b.entries { p[e.key] = parseDecimal(e.value) }
            out[key] = p
        }
        return out
    }

    @Test("Each sample is exactly what the generator writes for its preset", arguments: SamplePreset.all.map(\.id))
    func regenerates(_ id: String) throws {
        let preset = try #require(SamplePreset.named(id))
        let rubric = try bundledRubric(preset.rubric)
        let g = try SampleGenerator.generate(rubric: rubric, options: preset.options)
        #expect(try sampleText(preset.rubric, "panel.yaml") == g.manifestYAML())
        #expect(try sampleText(preset.rubric, "data.txt") == g.dataText())
        #expect(try sampleText(preset.rubric, "sheets.txt") == g.sheetsText())
        #expect(try sampleText(preset.rubric, "planted.yaml") == g.plantedYAML(rubric: rubric))
    }

    @Test("The manifest: 7 reviewers, 6–10 applicants with distinct names, one recusal", arguments: SamplePreset.all.map(\.id))
    func manifest(_ id: String) throws {
        let preset = try #require(SamplePreset.named(id))
        let (rubric, m, _, _, planted) = try load(preset)
        #expect(m.panel == preset.id && m.rubric == rubric.id && m.variant == preset.variant)
        #expect(m.reviewers.count == 7)
        #expect((6...10).contains(m.applicants.count))
        #expect(Set(m.reviewers.map(\.name)).count == 7)
        #expect(Set(m.applicants.map(\.name)).count == m.applicants.count)
        #expect(m.recusals.count == 1)
        #expect(planted.recusals == m.recusals)
        #expect(m.applicants.allSatisfy { ($0.industry != nil) == (rubric.industries != nil) })
    }

    @Test("Every sheet line names a points leaf with an allowed value; sheets are complete; the recused pair has none",
          arguments: SamplePreset.all.map(\.id))
    func sheets(_ id: String) throws {
        let preset = try #require(SamplePreset.named(id))
        let (rubric, m, _, sheets, _) = try load(preset)
        let pointsLeaves = rubric.leaves.filter { $0.input != .value }.map(\.id)
        var pairs = Set<String>()
        for b in sheets {
            #expect(b.headers["panel"] == m.panel)
            let r = try #require(b.headers["reviewer"])
            let a = try #require(b.headers["applicant"])
            #expect(m.reviewers.contains { $0.id == r } && m.applicants.contains { $0.id == a })
            #expect(pairs.insert("\(r)/\(a)").inserted, "two sheets for \(r)/\(a)")
            #expect(!m.isRecused(r, a))
            for e in b.entries {
                let leaf = try #require(rubric.node(e.key), "line \(e.line): \(e.key) is not in \(rubric.id)")
                #expect(leaf.isLeaf && leaf.input != .value, "line \(e.line): \(e.key)")
                let v = try #require(parseDecimal(e.value), "line \(e.line): \(e.value)")
                #expect(validatePoints(v, for: leaf) == nil, "line \(e.line): \(e.key) = \(e.value)")
            }
            #expect(b.entries.map(\.key) == pointsLeaves)
        }
        #expect(pairs.count == m.reviewers.count * m.applicants.count - 1)
    }

    @Test("Data blocks: value leaves and the variant's gate fields, units and of-constraints respected",
          arguments: SamplePreset.all.map(\.id))
    func data(_ id: String) throws {
        let preset = try #require(SamplePreset.named(id))
        let (rubric, m, data, _, _) = try load(preset)
        let variant = try #require(rubric.variant(m.variant))
        let allowed = Set(rubric.leaves.map(\.id)).union(variant.gates.map(\.field))
        #expect(Set(data.keys) == Set(m.applicants.map(\.id)))
        for a in m.applicants {
            let d = try #require(data[a.id])
            #expect(d.industry == a.industry)
            for (k, v) in d.values {
                #expect(allowed.contains(k), "\(a.id): \(k)")
                #expect(v >= 0)
            }
            for leaf in rubric.leaves {
                if leaf.input == .value { #expect(d.values[leaf.id] != nil, "\(a.id) lacks \(leaf.id)") }
                if let parent = leaf.of, let v = d.values[leaf.id], let pv = d.values[parent] { #expect(v <= pv) }
                if leaf.unit == "%", let v = d.values[leaf.id] { #expect(v <= 100) }
                if let u = leaf.unit, ["人", "项", "个", "人月"].contains(u), let v = d.values[leaf.id] { #expect(v == v.rounded()) }
            }
            for g in variant.gates { #expect(d.values[g.field] != nil, "\(a.id) lacks gate field \(g.field)") }
        }
    }

    @Test("Exactly one applicant fails an eligibility gate: the planted one, on the planted gate",
          arguments: SamplePreset.all.map(\.id))
    func oneIneligible(_ id: String) throws {
        let preset = try #require(SamplePreset.named(id))
        let (rubric, m, data, _, planted) = try load(preset)
        let variant = try #require(rubric.variant(m.variant))
        var failing: [(String, [String])] = []
        for a in m.applicants {
            let failed = checkEligibility(variant, data: try #require(data[a.id])).filter { !$0.passed }.map(\.gate.id)
            if !failed.isEmpty { failing.append((a.id, failed)) }
        }
        #expect(failing.count == 1)
        let p = try #require(planted.ineligible.first)
        #expect(planted.ineligible.count == 1)
        #expect(failing.first?.0 == p.applicant && failing.first?.1 == [p.gate])
        #expect(data[p.applicant]?.values[p.field] == p.value)
    }

    @Test("The planted harsh reviewer is 8–12 points below the panel; nobody else is far off",
          arguments: ["mic-2026", "demo-2026"])
    func harsh(_ id: String) throws {
        let preset = try #require(SamplePreset.named(id))
        let (rubric, m, data, sheets, planted) = try load(preset)
        let harsh = try #require(planted.harsh.first)
        #expect(planted.harsh.count == 1 && planted.lenient.isEmpty)
        var p = points(sheets)
        // The wild sheet is planted separately: leave it out.
        for w in planted.wild { p["\(w.reviewer)/\(w.applicant)"] = nil }
        func deviation(_ r: String, exclude: Set<String>) -> Double {
            var diffs: [Double] = []
            for a in m.applicants.map(\.id) {
                guard let mine = p["\(r)/\(a)"] else { continue }
                let d = data[a] ?? ApplicantData()
                let others = m.reviewers.map(\.id).filter { $0 != r && !exclude.contains($0) }
                    .compactMap { p["\($0)/\(a)"] }.map { scoreSheet(rubric: rubric, points: $0, data: d).total }
                diffs.append(scoreSheet(rubric: rubric, points: mine, data: d).total - mean(others))
            }
            return mean(diffs)
        }
        let h = deviation(harsh.reviewer, exclude: [])
        #expect(h <= -8 && h >= -12, "harsh deviation \(h)")
        for r in m.reviewers.map(\.id) where r != harsh.reviewer {
            #expect(abs(deviation(r, exclude: [harsh.reviewer])) < 4)
        }
    }

    @Test("The wild score is in the sheets as planted and is the panel's most extreme", arguments: ["mic-2026", "demo-2026"])
    func wild(_ id: String) throws {
        let preset = try #require(SamplePreset.named(id))
        let (rubric, m, data, sheets, planted) = try load(preset)
        let w = try #require(planted.wild.first)
        #expect(planted.wild.count == 1)
        let p = points(sheets)
        let key = "\(w.reviewer)/\(w.applicant)"
        func othersMedian(_ a: String, _ r: String, _ value: ([String: Double]) -> Double?) -> Double {
            median(m.reviewers.map(\.id).filter { $0 != r }.compactMap { p["\($0)/\(a)"] }.compactMap(value))
        }
        if let leafId = w.leaf {
            let leaf = try #require(rubric.node(leafId))
            #expect(p[key]?[leafId] == w.value)
            #expect(othersMedian(w.applicant, w.reviewer) { $0[leafId] } == w.panel)
            // Far off: at least 40% of the weight from the others' median, and more than twice as far as any
            // score of a reviewer who is not planted harsh.
            let mine = abs(w.value - w.panel)
            #expect(mine >= 0.4 * leaf.weight)
            let harsh = Set(planted.harsh.map(\.reviewer))
            for b in sheets {
                let r = b.headers["reviewer"] ?? "", a = b.headers["applicant"] ?? ""
                guard !harsh.contains(r) else { continue }
                for e in b.entries where !(r == w.reviewer && a == w.applicant && e.key == leafId) {
                    let other = abs((parseDecimal(e.value) ?? 0) - othersMedian(a, r) { $0[e.key] })
                    #expect(other < mine / 2, "\(r)/\(a) \(e.key)")
                }
            }
        } else {
            func total(_ r: String, _ a: String) -> Double? {
                p["\(r)/\(a)"].map { scoreSheet(rubric: rubric, points: $0, data: data[a] ?? ApplicantData()).total }
            }
            #expect(total(w.reviewer, w.applicant) == w.value)
            let mine = abs(w.value - w.panel)
            #expect(mine >= 25)
            for a in m.applicants.map(\.id) {
                for r in m.reviewers.map(\.id) where !(r == w.reviewer && a == w.applicant) {
                    guard let t = total(r, a) else { continue }
                    let others = median(m.reviewers.map(\.id).filter { $0 != r }.compactMap { total($0, a) })
                    #expect(abs(t - others) < mine / 2, "\(r)/\(a)")
                }
            }
        }
    }

    @Test("The tech-center sample: no points leaves, so header-only sheets and nothing planted on scores")
    func techCenter() throws {
        let preset = try #require(SamplePreset.named("tc-2026"))
        let (_, m, _, sheets, planted) = try load(preset)
        #expect(sheets.allSatisfy { $0.entries.isEmpty })
        #expect(sheets.count == 7 * m.applicants.count - 1)
        #expect(planted.harsh.isEmpty && planted.wild.isEmpty)
        #expect(planted.ineligible.first?.gate == "rd-spending")
    }
}
