import Foundation
import PingshenCore
import PingshenRubricFormat
import Testing

/// A small rubric that uses every part of the format (grades, gates, industries, every rule), so that
/// its mutations reach every branch of the loader quickly.
let miniRubric = """
    id: mini
    name: 小评分表
    name_en: Mini
    version: "1"
    total: 20
    source: {document: 测试文件, table: 表1, lines: "1-9"}
    grades:
      bands:
        - {name: 优秀, name_en: Excellent, min: 18}
        - {name: 合格, min: 0}
    eligibility:
      - id: basic
        name: 基本条件
        gates:
          - {id: staff, name: 人员, op: ">=", value: 10, unit: 人}
          - {id: legal, name: 法人, op: "yes"}
    industries:
      columns: [rd]
      rows:
        - {id: m, name: 机械, aliases: [装备], rd: 1.0}
        - id: o
          name: 其他
          rd: {fixed_share: 0.6}
    nodes:
      - id: a
        name: 甲
        weight: 12
        children:
          - {id: a1, name: 甲一, weight: 4, input: points, rule: {type: discretionary, step: 0.5}}
          - {id: a2, name: 甲二, weight: 2, input: points, rule: {type: award}}
          - id: a3
            name: 甲三
            weight: 6
            input: points
            rule:
              type: tiers
              tiers: [{points: 6, label: 高}, {points: 3}, {points: 0}]
      - id: b
        name: 乙
        weight: 8
        cap: true
        children:
          - {id: b1, name: 乙一, weight: 4, unit: "%", input: value, rule: {type: proportional, zero: 0, full: 50}}
          - {id: b2, name: 乙二, weight: 4, unit: "%", input: value, rule: {type: requirement, basic: 1, full: 3, at_basic: 0.6, coefficient: rd}}
          - {id: b3, name: 乙三, weight: 1, input: value, of: b1, provisional: true, note: 待定, rule: {type: proportional, zero: 0, full: 5}}

    """

let miniConfig = """
    database: x.sqlite
    grade_bands:
      mini:
        provisional: true
        note: 暂定
        bands:
          - {name: 优秀, min: 90}
          - {name: 合格, min: 0}
    aggregation: {method: auto, trim_min_reviewers: 5, quorum: 3, view: totals}
    outliers:
      score_z: 3.5
      bias_points: 4
      min_applicants_for_reviewer_flags: 4

    """

/// YAML fragments inserted by the mutator: anchors and aliases, tags, flow and block indicators,
/// directives, document markers, merge keys, YAML 1.1 booleans and special floats, dates.
let yamlTokens: [String] = [
    "&a ", "*a", "&b [*a, *a]", "!!str ", "!!binary ", "!!float ", "!custom ", "? ", "- ", "{", "}", "[", "]", "|", ">",
    "'", "\"", "%YAML 1.2\n", "---\n", "...\n", "<<: *a", ".nan", ".inf", "-.inf", ".NaN", "1e400", "0x1F", "0o17",
    "1_000", "~", "null", "yes", "no", "on", "off", "2001-12-14t21:59:43.10-05:00", "@", "`", ": ", "#", "\t", "  ",
    "\n  ", "\n- ", "*undefined", "&dup ", "&dup ", "-0", "+.5", "1.7976931348623157e308", "4.9e-324",
]

let yamlNumbers: [String] = nastyNumbers + [".nan", ".inf", "-.inf", "1e400", "0o17", "0x1F", "~", "null", "[1, 2]", "{a: 1}",
                                            "!!float 5", "&n 5", "*n", "\"5\"", "'5'", "5 # comment"]

/// Fuzzing of the rubric loader (`RubricLoader.parse`, with the real config) and the config loader.
///
/// Properties, for every input: no crash; no input takes longer than `perInputLimit`; a refusal is a
/// list of catalog messages, each naming the file and a line of it (1 … the number of line breaks + 1:
/// a problem at the very end of the text is on the line after the last break).
@Suite("Fuzzing the rubric and config loaders")
struct YAMLFuzzTests {
    static let inputsPerRun = 12_000
    static let timeBudget = 60.0
    static let perInputLimit = 5.0

    @Test("Mutated rubrics and configs: no crash, no hang, every refusal located")
    func fuzz() throws {
        var rng = SeededRandom(seed: testSeed("yaml-fuzz"))
        // Corpus: the mini rubric most of the time (fast), the real rubrics and config now and then.
        let real = try bundledRubricIds.map(rubricText)
        var stats = FuzzStats()
        var configs = 0
        let started = now()
        while stats.inputs < Self.inputsPerRun && now() - started < Self.timeBudget {
            let roll = rng.int(0..<100)
            let isConfig = roll >= 80
            let base = roll < 65 ? miniRubric : roll < 80 ? rng.pick(real) : (roll < 95 ? miniConfig : relConfigText)
            let bytes = rng.chance(0.05) ? Array(base.utf8) : mutateYAML(Array(base.utf8), &rng)
            // The loaders take text: bytes that are not UTF-8 arrive as replacement characters (the CLI
            // refuses a file that is not UTF-8 before it gets here).
            let text = String(decoding: bytes, as: UTF8.self)
            let lines = lineCount(Array(text.utf8))
            let t0 = now()
            let errors: [PingshenError]
            if isConfig {
                configs += 1
                switch ConfigLoader.parse(text, file: "fuzz.yaml") {
                case .success: errors = []
                case .failure(let e): errors = e.errors
                }
            } else {
                switch RubricLoader.parse(text, file: "fuzz.yaml", config: relConfig) {
                case .success(let loaded):
                    errors = []
                    if !checkRubric(loaded.rubric).isEmpty { stats.fail("accepted a rubric that fails its checks", bytes) }
                case .failure(let e): errors = e.errors
                }
            }
            let dt = now() - t0
            stats.slowest = max(stats.slowest, dt)
            if dt > Self.perInputLimit { stats.fail("took \(dt) s", bytes) }
            if errors.isEmpty {
                stats.accepted += 1
            } else {
                stats.refused += 1
                for p in locationProblems(errors, file: "fuzz.yaml", lines: lines, wholeFile: []) {
                    stats.fail(p, bytes)
                }
            }
            stats.inputs += 1
            if stats.failures.count >= 5 { break }
        }
        let elapsed = now() - started
        print("reliability: yaml inputs=\(stats.inputs) (rubrics \(stats.inputs - configs), configs \(configs)) "
              + "accepted=\(stats.accepted) refused=\(stats.refused) slowest=\(String(format: "%.1f", stats.slowest * 1000)) ms "
              + "in \(String(format: "%.1f", elapsed)) s")
        for f in stats.failures { Issue.record("\(f)") }
        #expect(stats.inputs >= 10_000, "only \(stats.inputs) inputs in \(elapsed) s")
        #expect(stats.accepted > 0 && stats.refused > 0)
    }
}

/// The generic mutations plus YAML-specific ones: re-indenting a line, inserting YAML syntax,
/// replacing a scalar with a special value.
func mutateYAML(_ input: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
    var bytes = input
    for _ in 0..<rng.int(1...3) {
        switch rng.int(0..<5) {
        case 0:
            bytes = mutate(bytes, &rng, numbers: yamlNumbers)
        case 1:  // indent or dedent a line
            var lines = splitLines(bytes)
            if !lines.isEmpty {
                let i = rng.int(0..<lines.count)
                if rng.chance(0.5) {
                    lines[i] = Array(repeating: 0x20, count: rng.int(1...4)) + lines[i]
                } else {
                    lines[i] = Array(lines[i].drop { $0 == 0x20 }.prefix(Int.max))
                }
            }
            bytes = joinLines(lines)
        case 2, 3:  // insert YAML syntax
            let at = charBoundary(bytes, rng.int(0...bytes.count))
            bytes.insert(contentsOf: Array(rng.pick(yamlTokens).utf8), at: at)
        default:  // a scalar after `: ` replaced by a special one
            var lines = splitLines(bytes)
            if !lines.isEmpty {
                let i = rng.int(0..<lines.count)
                if let colon = lines[i].firstIndex(of: 0x3A) {
                    lines[i] = Array(lines[i][...colon]) + Array((" " + rng.pick(yamlNumbers)).utf8)
                }
            }
            bytes = joinLines(lines)
        }
    }
    return bytes
}
