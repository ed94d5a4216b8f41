import Foundation
import PingshenCore
import PingshenRubricFormat
import Testing

/// Loads a rubric text; returns its problems as "LINE key" (empty when it loads), and checks that each
/// names the file and a line of it.
private func rubricProblems(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
    let result = RubricLoader.parse(text, file: "nasty.yaml", config: relConfig)
    guard case .failure(let e) = result else { return [] }
    let lines = lineCount(Array(text.utf8))
    for p in locationProblems(e.errors, file: "nasty.yaml", lines: lines, wholeFile: []) {
        Issue.record("\(p)", sourceLocation: sourceLocation)
    }
    return e.errors.map { "\($0.location?.line ?? 0) \($0.key)" }
}

private func configProblems(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
    guard case .failure(let e) = ConfigLoader.parse(text, file: "nasty.yaml") else { return [] }
    for p in locationProblems(e.errors, file: "nasty.yaml", lines: lineCount(Array(text.utf8)), wholeFile: []) {
        Issue.record("\(p)", sourceLocation: sourceLocation)
    }
    return e.errors.map { "\($0.location?.line ?? 0) \($0.key)" }
}

/// Times a body; records an issue past `limit` seconds (a hang guard, not a performance target).
private func bounded<T>(_ what: String, limit: Double = 10, _ body: () -> T) -> T {
    let t0 = now()
    let r = body()
    let dt = now() - t0
    #expect(dt < limit, "\(what) took \(dt) s")
    return r
}

@Suite("The rubric and config loaders: the nasty cases, one by one")
struct YAMLNastyTests {
    @Test("The fuzz corpus itself is valid: the mini rubric and the mini config load")
    func corpus() {
        #expect(rubricProblems(miniRubric) == [])
        #expect(configProblems(miniConfig) == [])
        #expect(configProblems(relConfigText) == [])
    }

    @Test("Deeply nested flow collections are refused with their line, without exhausting the stack",
          arguments: [70, 999, 1_001, 100_000])
    func deepFlow(depth: Int) {
        let text = miniRubric + "eligibility_extra: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        let problems = bounded("\(depth) nested lists") { rubricProblems(text) }
        #expect(!problems.isEmpty)
        let nodes = "id: x\nname: x\ntotal: 1\ngrades: {bands: [{name: a, min: 0}]}\nnodes:\n"
            + String(repeating: "  ", count: 1) + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        let p2 = bounded("\(depth) nested lists in nodes") { rubricProblems(nodes) }
        #expect(!p2.isEmpty)
        let config = "aggregation: " + String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth) + "\n"
        #expect(!bounded("\(depth) nested mappings in a config") { configProblems(config) }.isEmpty)
    }

    @Test("Deeply nested block mappings are refused with their line", arguments: [70, 500, 2_000])
    func deepBlock(depth: Int) {
        var text = "grade_bands:\n"
        for i in 0..<depth { text += String(repeating: " ", count: i + 1) + "k\(i):\n" }
        text += String(repeating: " ", count: depth + 1) + "v: 1\n"
        #expect(!bounded("\(depth) nested block mappings") { configProblems(text) }.isEmpty)
        let rubric = miniRubric.replacingOccurrences(of: "nodes:\n", with: "nodes:\n" + (0..<depth).map {
            String(repeating: " ", count: $0 * 2 + 2) + "- id: n\($0)\n" + String(repeating: " ", count: $0 * 2 + 4)
                + "name: n\n" + String(repeating: " ", count: $0 * 2 + 4) + "weight: 1\n" + String(repeating: " ", count: $0 * 2 + 4)
                + "children:\n"
        }.joined() + String(repeating: " ", count: depth * 2 + 2) + "- {id: leaf, name: l, weight: 1, input: points, rule: {type: award}}\n")
        #expect(!bounded("\(depth) nested rubric nodes") { rubricProblems(rubric) }.isEmpty)
    }

    @Test("Billion laughs: aliases that expand exponentially are refused, wherever they are used")
    func billionLaughs() {
        var lol = "lol: &l0 \"lol\"\n"
        for i in 1...9 { lol += "l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        // In keys the loader does not know (it must not walk them either).
        let unknown = bounded("laughs in unknown keys") { rubricProblems(miniRubric + lol) }
        #expect(!unknown.isEmpty)
        // As a mapping key (hashing it would expand it).
        let asKey = bounded("laughs as a key") { configProblems(lol.replacingOccurrences(of: "lol: ", with: "a: ") + "? *l9\n: 1\n") }
        #expect(!asKey.isEmpty)
        // Through the indicator tree: every node's children are ten copies of the level below.
        var tree = "id: bomb\nname: b\ntotal: 1\ngrades: {bands: [{name: a, min: 0}]}\nsource: {document: d}\n"
        tree += "defs:\n  - &n0 {id: leaf, name: l, weight: 1, input: points, rule: {type: award}}\n"
        for i in 1...8 {
            tree += "  - &n\(i) {id: n\(i), name: n, weight: 1, children: [" + Array(repeating: "*n\(i - 1)", count: 10).joined(separator: ", ") + "]}\n"
        }
        tree += "nodes: [" + Array(repeating: "*n8", count: 10).joined(separator: ", ") + "]\n"
        let bomb = bounded("an exponential indicator tree") { rubricProblems(tree) }
        #expect(!bomb.isEmpty)
        #expect(bomb.count <= 200, "\(bomb.count) problems reported")
    }

    @Test("Aliases of a reasonable size are still read (an anchor reused for a repeated source)")
    func modestAliases() {
        let text = miniRubric
            .replacingOccurrences(of: "source: {document: 测试文件, table: 表1, lines: \"1-9\"}", with: "source: &src {document: 测试文件, table: 表1, lines: \"1-9\"}")
            .replacingOccurrences(of: "- {id: staff, name: 人员, op: \">=\", value: 10, unit: 人}",
                                  with: "- {id: staff, name: 人员, op: \">=\", value: 10, unit: 人, source: *src}")
        #expect(rubricProblems(text) == [])
    }

    @Test("Numbers: plain decimals only, wherever the format takes a number")
    func numbers() {
        for bad in [".nan", ".NaN", ".inf", "-.inf", "1e400", "1e2", "0x10", "0o17", "1_000", "1,5", "~", "null", "true", "[1]",
                    "{a: 1}", "\"\"", "1000000000001", "٣"] {
            let text = miniRubric.replacingOccurrences(of: "total: 20", with: "total: \(bad)")
            let p = rubricProblems(text)
            #expect(p.contains("5 rubric.bad_type"), "total: \(bad) → \(p)")
            let config = miniConfig.replacingOccurrences(of: "score_z: 3.5", with: "score_z: \(bad)")
            #expect(configProblems(config).contains("11 rubric.bad_type"), "score_z: \(bad)")
        }
        // Quoted or not, a plain decimal is a number; -0 is zero.
        #expect(rubricProblems(miniRubric.replacingOccurrences(of: "total: 20", with: "total: \"20\"")) == [])
        #expect(rubricProblems(miniRubric.replacingOccurrences(of: "min: 0}", with: "min: -0}")) == [])
    }

    @Test("Counts in the config are whole numbers, not negative")
    func configCounts() {
        for bad in ["2.5", "-1", "0.1"] {
            let text = miniConfig.replacingOccurrences(of: "quorum: 3", with: "quorum: \(bad)")
            #expect(configProblems(text) == ["9 rubric.bad_value"], "quorum: \(bad)")
            let t2 = miniConfig.replacingOccurrences(of: "min_applicants_for_reviewer_flags: 4",
                                                     with: "min_applicants_for_reviewer_flags: \(bad)")
            #expect(configProblems(t2) == ["13 rubric.bad_value"], "min_applicants_for_reviewer_flags: \(bad)")
        }
    }

    @Test("NUL and other control characters, a byte-order mark, an empty file, several documents: refused or read, always located")
    func oddTexts() {
        let nul = miniRubric.replacingOccurrences(of: "name: 甲一", with: "name: 甲\u{0}一")
        let p = rubricProblems(nul)
        #expect(p.count == 1)
        #expect(p.first == "\(1 + miniRubric.components(separatedBy: "\n").firstIndex { $0.contains("甲一") }!) rubric.yaml")
        #expect(rubricProblems(miniRubric.replacingOccurrences(of: "name: 甲一", with: "name: 甲\u{7}一")).count == 1)
        #expect(rubricProblems("\u{FEFF}" + miniRubric) == [], "\(RubricLoader.parse("\u{FEFF}" + miniRubric, file: "b", config: relConfig))")
        #expect(rubricProblems("") == ["1 rubric.missing_key"])
        #expect(rubricProblems("# only a comment\n") == ["1 rubric.missing_key"])
        #expect(!rubricProblems(miniRubric + "---\nid: second\n").isEmpty)
        #expect(configProblems("") == [])
        #expect(!configProblems("- a\n- b\n").isEmpty)
    }

    @Test("Line breaks other than LF and CR LF are refused on their line (YAML would count lines differently)")
    func oddLineBreaks() {
        let line = 1 + miniRubric.components(separatedBy: "\n").firstIndex { $0.contains("甲一") }!
        for brk in ["\r", "\u{85}", "\u{2028}", "\u{2029}"] {
            let text = miniRubric.replacingOccurrences(of: "name: 甲一", with: "name: 甲\(brk)一")
            #expect(rubricProblems(text) == ["\(line) rubric.line_break"], "\(String(reflecting: brk))")
        }
        #expect(rubricProblems(miniRubric.replacingOccurrences(of: "\n", with: "\r\n")) == [])
        #expect(configProblems(miniConfig.replacingOccurrences(of: "\n", with: "\r\n")) == [])
        #expect(configProblems("database: x.sqlite\r") == ["1 rubric.line_break"])
    }

    @Test("Missing keys are reported on the line of the mapping that lacks them")
    func missingKeys() {
        let text = miniRubric.replacingOccurrences(of: "{id: a2, name: 甲二, weight: 2,", with: "{id: a2, name: 甲二,")
        let line = 1 + miniRubric.components(separatedBy: "\n").firstIndex { $0.contains("id: a2") }!
        #expect(rubricProblems(text) == ["\(line) rubric.missing_key"])
        let noTotal = miniRubric.replacingOccurrences(of: "total: 20\n", with: "")
        #expect(rubricProblems(noTotal).first == "1 rubric.missing_key")
    }

    @Test("A huge rubric file (a 4 MB name, 50 000 leaves) is read or refused in bounded time")
    func huge() {
        let longName = miniRubric.replacingOccurrences(of: "name: 小评分表", with: "name: " + String(repeating: "长", count: 1_400_000))
        #expect(bounded("a 4 MB line", limit: 30) { rubricProblems(longName) } == [])
        var many = "id: many\nname: m\ntotal: 50000\nsource: {document: d}\ngrades: {bands: [{name: a, min: 0}]}\nnodes:\n"
        for i in 0..<50_000 { many += "  - {id: n\(i), name: n, weight: 1, input: points, rule: {type: award}}\n" }
        #expect(!bounded("50 000 leaves", limit: 60) { rubricProblems(many) }.isEmpty)
    }
}
