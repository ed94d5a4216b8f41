import ArgumentParser
import Foundation
import PingshenCore
import PingshenRubricFormat

struct RubricCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rubric", abstract: "List, show and check rubrics (评分表).",
        subcommands: [RubricList.self, RubricShow.self, RubricCheck.self])
    @OptionGroup var global: GlobalOptions
}

/// JSON encoder used by every `--json` output: sorted keys, readable, Chinese kept as is.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try enc.encode(value), as: UTF8.self)
}

struct RubricSummary: Encodable {
    var id: String
    var name: String
    var nameEn: String?
    var total: Double
    var leaves: Int
    var provisional: Bool
    enum CodingKeys: String, CodingKey {
        case id, name, total, leaves, provisional
        case nameEn = "name_en"
    }
}

struct RubricList: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the rubrics.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        var summaries: [RubricSummary] = []
        var problems: [PingshenError] = []
        for f in try env.rubricFiles() {
            do {
                let r = try env.loadRubricFile(f).rubric
                summaries.append(RubricSummary(id: r.id, name: r.name, nameEn: r.nameEn, total: r.total,
                                               leaves: r.leaves.count, provisional: r.hasProvisional))
            } catch let e as PingshenErrors {
                problems += e.errors
            }
        }
        if json {
            Console.out(try jsonText(summaries))
        } else {
            var t = TextTable(headers: [env.t("h.id"), env.t("h.name"), env.t("h.total"), env.t("h.leaves"),
                                        env.t("h.provisional")], rightAligned: [2, 3])
            for s in summaries {
                t.rows.append([s.id, env.lang == .en ? (s.nameEn ?? s.name) : s.name, formatNumber(s.total),
                               String(s.leaves), s.provisional ? env.t("yes") : env.t("no")])
            }
            Console.out(t.render())
        }
        if !problems.isEmpty { throw PingshenErrors(problems) }
    }
}

/// One node of `rubric show --json`.
struct NodeJSON: Encodable {
    var id: String
    var name: String
    var nameEn: String?
    var weight: Double
    var provisional: Bool
    var note: String?
    var cap: Bool
    var guidance: String?
    var basic: String?
    var fullMarks: String?
    var unit: String?
    var of: String?
    var input: String?
    var rule: RuleRecord?
    var source: Provenance?
    var children: [NodeJSON]

    enum CodingKeys: String, CodingKey {
        case id, name, weight, provisional, note, cap, guidance, basic, unit, of, input, rule, source, children
        case nameEn = "name_en"
        case fullMarks = "full_marks"
    }

    init(_ n: RubricNode, inherited: Provenance?) {
        id = n.id
        name = n.name
        nameEn = n.nameEn
        weight = n.weight
        provisional = n.provisional
        note = n.note
        cap = n.cap
        guidance = n.guidance
        basic = n.basicRequirement
        fullMarks = n.fullRequirement
        unit = n.unit
        of = n.of
        input = n.input?.rawValue
        rule = RuleRecord(n)
        source = n.source ?? inherited
        children = n.children.map { NodeJSON($0, inherited: n.source ?? inherited) }
    }
}

struct RubricJSON: Encodable {
    struct Grade: Encodable { var name: String; var min: Double }
    struct GateJSON: Encodable {
        var id: String
        var field: String
        var name: String
        var op: String
        var value: Double?
        var unit: String?
        var provisional: Bool
    }
    struct VariantJSON: Encodable { var id: String; var name: String; var gates: [GateJSON] }
    var id: String
    var name: String
    var nameEn: String?
    var version: String
    var total: Double
    var provisional: Bool
    var grades: [Grade]
    var gradesProvisional: Bool
    var gradesNote: String?
    var eligibility: [VariantJSON]
    var source: Provenance?
    var root: NodeJSON

    enum CodingKeys: String, CodingKey {
        case id, name, version, total, provisional, grades, eligibility, source, root
        case nameEn = "name_en"
        case gradesProvisional = "grades_provisional"
        case gradesNote = "grades_note"
    }

    init(_ r: Rubric) {
        id = r.id
        name = r.name
        nameEn = r.nameEn
        version = r.version
        total = r.total
        provisional = r.hasProvisional
        grades = r.grades.map { Grade(name: $0.name, min: $0.min) }
        gradesProvisional = r.gradesProvisional
        gradesNote = r.gradesNote
        eligibility = r.eligibility.map { v in
            VariantJSON(id: v.id, name: v.name, gates: v.gates.map {
                GateJSON(id: $0.id, field: $0.field, name: $0.name, op: $0.op.rawValue, value: $0.threshold,
                         unit: $0.unit, provisional: $0.provisional)
            })
        }
        source = r.source
        let top = RubricNode(id: r.id, name: r.name, nameEn: r.nameEn, weight: r.total, source: r.source,
                             children: r.root)
        root = NodeJSON(top, inherited: r.source)
        root.input = nil
        root.rule = nil
    }
}

struct RubricShow: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a rubric's indicator tree.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Rubric id.") var id: String
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        let r = try env.rubric(id).rubric
        if json {
            Console.out(try jsonText(RubricJSON(r)))
            return
        }
        Console.out(renderRubric(r, env))
    }
}

/// The terminal view of a rubric: header, grades, gates, then the tree as an aligned table.
func renderRubric(_ r: Rubric, _ env: Env) -> String {
    let lang = env.lang
    var out: [String] = []
    out.append("\(r.displayName(lang))（\(r.id)）  \(env.t("h.total")) \(formatNumber(r.total))")
    if let s = r.source { out.append("\(env.t("h.source"))：\(s.text)") }
    let bands = r.grades.map { "\($0.name) ≥\(formatNumber($0.min))" }.joined(separator: " · ")
    out.append("\(env.t("h.grades"))：\(bands)" + (r.gradesProvisional ? "  [\(env.t("provisional.tag"))]" : ""))
    if r.gradesProvisional, let n = r.gradesNote { out.append("  ※ \(n)") }
    for v in r.eligibility where !v.gates.isEmpty {
        out.append("\(env.t("h.eligibility"))（\(v.id)）\(v.name)：")
        for g in v.gates { out.append("  · \(g.name) \(g.conditionText)") }
    }
    if r.hasProvisional { out.append("※ " + env.t("provisional.rubric")) }
    out.append("")
    var t = TextTable(headers: [env.t("h.indicator"), env.t("h.weight"), env.t("h.input"), env.t("h.rule")],
                      rightAligned: [1])
    var notes: [String] = []
    for (n, path) in r.nodesWithPath {
        let indent = String(repeating: "  ", count: path.count)
        let prov = n.provisional ? " *" : ""
        let name = truncate(n.displayName(lang), 40)
        let capText = n.cap ? " ⌈\(env.t("cap.tag"))⌉" : ""
        let input = n.input.map { $0 == .points ? env.t("input.points") : env.t("input.value") } ?? ""
        t.rows.append(["\(indent)\(name)\(prov)\(capText)  [\(n.id)]", formatNumber(n.weight), input,
                       n.isLeaf ? truncate(describeRule(n, lang), 60) : ""])
        if n.provisional, let note = n.note { notes.append("* \(n.id)：\(note)") }
    }
    out.append(t.render())
    if !notes.isEmpty {
        out.append("")
        out.append(env.t("h.provisional_notes"))
        out.append(contentsOf: notes)
    }
    return out.joined(separator: "\n")
}

struct RubricCheck: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate rubric files.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Rubric files.") var files: [String]

    func execute(_ env: Env) throws {
        var failed = false
        for f in files {
            do {
                let r = try env.loadRubricFile(f).rubric
                Console.out(env.t("rubric.ok", f, String(r.leaves.count), formatNumber(r.total)))
            } catch let e as PingshenErrors {
                failed = true
                Console.err(e.text(env.lang))
                Console.err(env.t("rubric.problems", f, String(e.errors.count)))
            } catch let e as PingshenError {
                failed = true
                Console.err(e.text(env.lang))
            }
        }
        if failed { throw ExitCode(1) }
    }
}
