import Foundation
import PingshenCore
import Yams

/// A rubric parsed from YAML together with the line of each node, for messages.
public struct LoadedRubric: Sendable {
    public var rubric: Rubric
    public var file: String
    public var nodeLines: [String: Int]
}

/// Reads rubric files (format: Rubrics/README.md) into the model, and checks them.
public enum RubricLoader {
    /// Deepest indicator tree accepted (一级/二级/三级 need 3; a little room for sub-items).
    public static let maxDepth = 6

    static let rubricKeys: Set<String> = ["id", "name", "name_en", "version", "total", "source", "grades",
                                          "eligibility", "industries", "nodes"]
    static let nodeKeys: Set<String> = ["id", "name", "name_en", "weight", "guidance", "basic", "full_marks", "unit", "range",
                                        "input", "rule", "of", "cap", "provisional", "note", "source", "children"]
    static let sourceKeys: Set<String> = ["document", "table", "lines", "public_copy"]

    /// Parses and checks a rubric. `config` supplies grade bands for rubrics that take them from it.
    /// Returns every problem found, each with its place, or the rubric when there are none.
    public static func parse(_ text: String, file: String, config: PingshenConfig = PingshenConfig())
        -> Result<LoadedRubric, PingshenErrors> {
        let r = YAMLReader(file: file)
        guard let root = r.compose(text) else {
            if r.problems.isEmpty { r.fail(nil, "rubric.missing_key", ["id", "rubric"]) }
            return .failure(PingshenErrors(r.problems))
        }
        guard let m = r.mapping(root, allowed: rubricKeys, context: "rubric") else { return .failure(PingshenErrors(r.problems)) }
        let id = r.string(m, "id", required: true, context: "rubric") ?? ""
        if !id.isEmpty && !isValidNodeId(id) { r.fail(m["id"], "rubric.bad_id", [id], field: "id") }
        let name = r.string(m, "name", required: true, context: "rubric") ?? ""
        let total = r.number(m, "total", required: true, context: "rubric") ?? 0
        let source = readSource(r, m["source"], context: "rubric.source")

        var nodeLines: [String: Int] = [:]
        var nodes: [RubricNode] = []
        if let seq = r.sequence(m["nodes"], key: "nodes") {
            nodes = seq.compactMap { readNode(r, $0, depth: 1, lines: &nodeLines) }
        } else if m["nodes"] == nil {
            r.fail(root, "rubric.missing_key", ["nodes", "rubric"], field: "nodes")
        }

        // Grades: bands in the file, or taken from the config (then marked as the config says).
        var grades: [GradeBand] = []
        var gradesProvisional = false
        var gradesNote: String?
        if let g = r.mapping(m["grades"], allowed: ["from_config", "provisional", "note", "bands"], context: "grades") {
            gradesProvisional = r.bool(g, "provisional") ?? false
            gradesNote = r.string(g, "note", context: "grades")
            if r.bool(g, "from_config") == true {
                if let set = config.gradeBands[id] {
                    grades = set.bands
                    gradesProvisional = gradesProvisional || set.provisional
                    gradesNote = set.note ?? gradesNote
                } else {
                    r.fail(m["grades"], "rubric.grades_config_missing", [id], field: "grades")
                }
            } else {
                grades = readBands(r, g["bands"], in: g, context: "grades")
            }
        } else if m["grades"] == nil {
            r.fail(root, "rubric.missing_key", ["grades", "rubric"], field: "grades")
        }

        var variants: [EligibilityVariant] = []
        if let seq = r.sequence(m["eligibility"], key: "eligibility") {
            for v in seq {
                guard let vm = r.mapping(v, allowed: ["id", "name", "name_en", "gates"], context: "eligibility") else { continue }
                let vid = r.string(vm, "id", required: true, context: "eligibility") ?? ""
                let gates = (r.sequence(vm["gates"], key: "gates") ?? []).compactMap { readGate(r, $0, lines: &nodeLines) }
                variants.append(EligibilityVariant(id: vid, name: r.string(vm, "name", required: true, context: "eligibility") ?? vid,
                                                   nameEn: r.string(vm, "name_en", context: "eligibility"), gates: gates))
            }
        }

        let industries = readIndustries(r, m["industries"])
        let rubric = Rubric(id: id, name: name, nameEn: r.string(m, "name_en", context: "rubric"),
                            version: r.string(m, "version", context: "rubric") ?? "1", total: total, source: source,
                            grades: grades, gradesProvisional: gradesProvisional, gradesNote: gradesNote,
                            eligibility: variants, industries: industries, root: nodes)
        if r.problems.isEmpty {
            for p in checkRubric(rubric) {
                // A problem of the whole rubric is on the line of the key it is about.
                let wholeLine: Int? = switch p.error.key {
                case "rubric.total": m["total"]?.line
                case "rubric.no_grades": m["grades"]?.line
                default: nil
                }
                let line = p.nodeId.flatMap { nodeLines[$0] } ?? wholeLine ?? root.line ?? 1
                var e = p.error
                e.location = SourceLocation(file: file, line: line, field: p.nodeId)
                r.problems.append(e)
            }
        }
        return r.problems.isEmpty ? .success(LoadedRubric(rubric: rubric, file: file, nodeLines: nodeLines))
                                  : .failure(PingshenErrors(r.problems))
    }

    static func readSource(_ r: YAMLReader, _ node: Node?, context: String) -> Provenance? {
        guard let m = r.mapping(node, allowed: sourceKeys, context: context) else { return nil }
        let doc = r.string(m, "document", required: true, context: context) ?? ""
        return Provenance(document: doc, table: r.string(m, "table", context: context),
                          lines: r.string(m, "lines", context: context), publicCopy: r.bool(m, "public_copy") ?? false)
    }

    static func readBands(_ r: YAMLReader, _ node: Node?, in parent: YAMLMap, context: String) -> [GradeBand] {
        guard let seq = r.sequence(node, key: "bands") else {
            if node == nil { r.fail(parent.node, "rubric.missing_key", ["bands", context], field: "bands") }
            return []
        }
        let bands: [GradeBand] = seq.compactMap { b in
            guard let bm = r.mapping(b, allowed: ["name", "name_en", "min"], context: context) else { return nil }
            guard let name = r.string(bm, "name", required: true, context: context),
                  let min = r.number(bm, "min", required: true, context: context) else { return nil }
            return GradeBand(name: name, nameEn: r.string(bm, "name_en", context: context), min: min)
        }
        // Every total from 0 up must have a grade: the lowest band starts at 0 (or below).
        if !bands.isEmpty, bands.count == seq.count, let lowest = bands.map(\.min).min(), lowest > 0 {
            r.fail(node, "rubric.bands_gap", [context, formatNumber(lowest)], field: "bands")
        }
        return bands
    }

    static func readGate(_ r: YAMLReader, _ node: Node, lines: inout [String: Int]) -> Gate? {
        let keys: Set<String> = ["id", "field", "name", "name_en", "op", "value", "unit", "provisional", "note", "source", "range"]
        guard let m = r.mapping(node, allowed: keys, context: "gate") else { return nil }
        guard let id = r.string(m, "id", required: true, context: "gate") else { return nil }
        if !isValidNodeId(id) { r.fail(m["id"], "rubric.bad_id", [id], field: "id") }
        if let l = node.line { lines[id] = lines[id] ?? l }
        let opText = r.string(m, "op", required: true, context: "gate \(id)") ?? ">="
        guard let op = GateOp(rawValue: opText) else {
            r.fail(m["op"], "rubric.bad_value", ["op", opText], field: id)
            return nil
        }
        let threshold = r.number(m, "value", required: op != .yes, context: "gate \(id)")
        return Gate(id: id, field: r.string(m, "field", context: "gate \(id)"), name: r.string(m, "name", required: true, context: "gate \(id)") ?? id,
                    nameEn: r.string(m, "name_en", context: "gate"), op: op, threshold: threshold,
                    unit: r.string(m, "unit", context: "gate"), provisional: r.bool(m, "provisional") ?? false,
                    note: r.string(m, "note", context: "gate"), source: readSource(r, m["source"], context: "gate.source"),
                    validRange: m["range"].flatMap { readRange(r, $0, id: id) })
    }

    static func readIndustries(_ r: YAMLReader, _ node: Node?) -> IndustryTable? {
        guard let m = r.mapping(node, allowed: ["columns", "rows", "provisional", "note", "source"], context: "industries") else {
            return nil
        }
        let columns = r.strings(m, "columns") ?? []
        var rows: [Industry] = []
        for rowNode in r.sequence(m["rows"], key: "rows") ?? [] {
            let allowed = Set(columns).union(["id", "name", "aliases"])
            guard let rm = r.mapping(rowNode, allowed: allowed, context: "industries.rows") else { continue }
            guard let id = r.string(rm, "id", required: true, context: "industry") else { continue }
            var coefs: [String: Coefficient] = [:]
            for c in columns {
                guard let cn = rm[c] else {
                    r.fail(rowNode, "rubric.missing_key", [c, "industry \(id)"], field: c)
                    continue
                }
                if case .mapping = cn {
                    if let fm = r.mapping(cn, allowed: ["fixed_share"], context: "industry \(id).\(c)"),
                       let share = r.number(fm, "fixed_share", required: true, context: "industry \(id)") {
                        coefs[c] = .fixedShare(share)
                    }
                } else if let k = r.number(cn, key: c) {
                    coefs[c] = .multiply(k)
                }
            }
            rows.append(Industry(id: id, name: r.string(rm, "name", required: true, context: "industry") ?? id,
                                 aliases: r.strings(rm, "aliases") ?? [], coefficients: coefs))
        }
        return IndustryTable(columns: columns, rows: rows, provisional: r.bool(m, "provisional") ?? false,
                             note: r.string(m, "note", context: "industries"),
                             source: readSource(r, m["source"], context: "industries.source"))
    }

    static func readNode(_ r: YAMLReader, _ node: Node, depth: Int, lines: inout [String: Int]) -> RubricNode? {
        if depth > maxDepth {
            r.fail(node, "rubric.depth", [String(maxDepth)])
            return nil
        }
        guard let m = r.mapping(node, allowed: nodeKeys, context: "node") else { return nil }
        guard let id = r.string(m, "id", required: true, context: "node") else { return nil }
        let ctx = "node \(id)"
        if !isValidNodeId(id) { r.fail(m["id"], "rubric.bad_id", [id], field: id) }
        if let first = lines[id] {
            r.fail(m["id"], "rubric.duplicate_id", [id, String(first)], field: id)
        } else if let l = node.line {
            lines[id] = l
        }
        let name = r.string(m, "name", required: true, context: ctx) ?? id
        let weight = r.number(m, "weight", required: true, context: ctx) ?? 0
        var input: InputKind?
        if let t = r.string(m, "input", context: ctx) {
            input = InputKind(rawValue: t)
            if input == nil { r.fail(m["input"], "rubric.bad_value", ["input", t], field: id) }
        }
        let rule = m["rule"].flatMap { readRule(r, $0, id: id) }
        var children: [RubricNode] = []
        if let seq = r.sequence(m["children"], key: "children") {
            children = seq.compactMap { readNode(r, $0, depth: depth + 1, lines: &lines) }
        }
        return RubricNode(id: id, name: name, nameEn: r.string(m, "name_en", context: ctx), weight: weight,
                          guidance: r.string(m, "guidance", context: ctx), basicRequirement: r.string(m, "basic", context: ctx),
                          fullRequirement: r.string(m, "full_marks", context: ctx), unit: r.string(m, "unit", context: ctx),
                          input: input, rule: rule, of: r.string(m, "of", context: ctx), cap: r.bool(m, "cap") ?? false,
                          provisional: r.bool(m, "provisional") ?? false, note: r.string(m, "note", context: ctx),
                          source: readSource(r, m["source"], context: "\(ctx).source"), children: children,
                          validRange: m["range"].flatMap { readRange(r, $0, id: id) })
    }

    /// `range: [LOW, HIGH]`, `~` for an open end: the values a value leaf can take.
    static func readRange(_ r: YAMLReader, _ node: Node, id: String) -> ValueRange? {
        guard let seq = r.sequence(node, key: "range") else { return nil }
        guard seq.count == 2 else {
            r.fail(node, "rubric.bad_range", [id], field: "range")
            return nil
        }
        func end(_ n: Node) -> (ok: Bool, value: Double?) {
            if case .scalar(let s) = n, ["~", "null", ""].contains(s.string) { return (true, nil) }
            guard let v = r.number(n, key: "range") else { return (false, nil) }
            return (true, v)
        }
        let (lo, hi) = (end(seq[0]), end(seq[1]))
        guard lo.ok, hi.ok else { return nil }
        if let a = lo.value, let b = hi.value, a > b {
            r.fail(node, "rubric.bad_range", [id], field: "range")
            return nil
        }
        return ValueRange(min: lo.value, max: hi.value)
    }

    static func readRule(_ r: YAMLReader, _ node: Node, id: String) -> Rule? {
        let keys: Set<String> = ["type", "step", "tiers", "zero", "full", "basic", "at_basic", "coefficient"]
        guard let m = r.mapping(node, allowed: keys, context: "rule of \(id)") else { return nil }
        let ctx = "rule of \(id)"
        guard let type = r.string(m, "type", required: true, context: ctx) else { return nil }
        switch type {
        case "discretionary":
            return .discretionary(step: r.number(m, "step", context: ctx))
        case "award":
            return .award
        case "tiers":
            let tiers: [Tier] = (r.sequence(m["tiers"], key: "tiers") ?? []).compactMap { t in
                guard let tm = r.mapping(t, allowed: ["points", "label"], context: ctx),
                      let p = r.number(tm, "points", required: true, context: ctx) else { return nil }
                return Tier(points: p, label: r.string(tm, "label", context: ctx) ?? formatNumber(p))
            }
            if m["tiers"] == nil { r.fail(node, "rubric.missing_key", ["tiers", ctx], field: id) }
            return .tiers(tiers)
        case "proportional":
            guard let zero = r.number(m, "zero", required: true, context: ctx),
                  let full = r.number(m, "full", required: true, context: ctx) else { return nil }
            return .proportional(zero: zero, full: full)
        case "requirement":
            guard let basic = r.number(m, "basic", required: true, context: ctx),
                  let full = r.number(m, "full", required: true, context: ctx) else { return nil }
            return .requirement(basic: basic, full: full, atBasic: r.number(m, "at_basic", context: ctx) ?? 0,
                                coefficient: r.string(m, "coefficient", context: ctx))
        default:
            r.fail(m["type"], "rubric.unknown_rule", [type], field: id)
            return nil
        }
    }
}
