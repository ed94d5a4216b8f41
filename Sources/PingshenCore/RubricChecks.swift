import Foundation

/// A problem found in a rubric, tied to a node id (or gate id) when it has one.
public struct RubricProblem: Sendable, Equatable {
    public var nodeId: String?
    public var error: PingshenError
    public init(nodeId: String?, error: PingshenError) {
        self.nodeId = nodeId
        self.error = error
    }
}

/// Structural checks of a rubric that are independent of its file format: weights adding up, caps,
/// rule numbers that make sense, provisional notes, sources, references.
public func checkRubric(_ rubric: Rubric) -> [RubricProblem] {
    var problems: [RubricProblem] = []
    func add(_ id: String?, _ key: String, _ args: [String]) {
        problems.append(RubricProblem(nodeId: id, error: PingshenError(key, args)))
    }
    let leafIds = Set(rubric.leaves.map(\.id))
    let columns = Set(rubric.industries?.columns ?? [])

    func check(_ n: RubricNode, inheritedSource: Provenance?) {
        let source = n.source ?? inheritedSource
        if source == nil { add(n.id, "rubric.no_source", [n.id]) }
        if n.weight < 0 { add(n.id, "rubric.negative_weight", [n.id, formatNumber(n.weight)]) }
        if n.provisional && (n.note ?? "").isEmpty { add(n.id, "rubric.provisional_note", [n.id]) }
        if !n.isLeaf {
            if n.rule != nil || n.input != nil { add(n.id, "rubric.parent_has_rule", [n.id]) }
            let sum = n.children.reduce(0) { $0 + $1.weight }
            if n.cap {
                if sum + 1e-9 < n.weight {
                    add(n.id, "rubric.cap_too_small", [n.id, formatNumber(sum), formatNumber(n.weight)])
                }
            } else if abs(sum - n.weight) > 1e-9 {
                add(n.id, "rubric.children_sum", [n.id, formatNumber(sum), formatNumber(n.weight)])
            }
            n.children.forEach { check($0, inheritedSource: source) }
            return
        }
        guard let rule = n.rule, let input = n.input else {
            add(n.id, "rubric.leaf_no_rule", [n.id])
            return
        }
        if let of = n.of, !leafIds.contains(of) || of == n.id { add(n.id, "rubric.of_unknown", [n.id, of]) }
        switch rule {
        case .discretionary(let step):
            if input != .points { add(n.id, "rubric.rule_input", [n.id, rule.kindName, "points"]) }
            if let step {
                if step <= 0 {
                    add(n.id, "rubric.step_positive", [n.id])
                } else if !isMultiple(n.weight, of: step) {
                    add(n.id, "rubric.step_divides", [n.id, formatNumber(step), formatNumber(n.weight)])
                }
            }
        case .award:
            break
        case .tiers(let tiers):
            for t in tiers where t.points < 0 || t.points > n.weight + 1e-9 {
                add(n.id, "rubric.tier_range", [n.id, formatNumber(t.points), formatNumber(n.weight)])
            }
            let top = tiers.map(\.points).max() ?? 0
            if abs(top - n.weight) > 1e-9 {
                add(n.id, "rubric.tier_max", [n.id, formatNumber(top), formatNumber(n.weight)])
            }
        case .proportional(let zero, let full):
            if input != .value { add(n.id, "rubric.rule_input", [n.id, rule.kindName, "value"]) }
            if zero >= full { add(n.id, "rubric.zero_above_full", [n.id, formatNumber(zero), formatNumber(full)]) }
        case .requirement(let basic, let full, let atBasic, let column):
            if input != .value { add(n.id, "rubric.rule_input", [n.id, rule.kindName, "value"]) }
            if basic >= full { add(n.id, "rubric.basic_above_full", [n.id, formatNumber(basic), formatNumber(full)]) }
            if atBasic < 0 || atBasic > 1 { add(n.id, "rubric.at_basic_range", [n.id]) }
            if let column {
                if rubric.industries == nil {
                    add(n.id, "rubric.no_industries", [n.id])
                } else if !columns.contains(column) {
                    add(n.id, "rubric.unknown_column", [n.id, column])
                }
            }
        }
    }
    rubric.root.forEach { check($0, inheritedSource: rubric.source) }

    let top = rubric.root.reduce(0) { $0 + $1.weight }
    if abs(top - rubric.total) > 1e-9 {
        add(nil, "rubric.total", [formatNumber(top), formatNumber(rubric.total)])
    }
    if rubric.grades.isEmpty { add(nil, "rubric.no_grades", []) }
    let nodeIds = Set(rubric.nodesWithPath.map(\.node.id))
    for v in rubric.eligibility {
        var seen = Set<String>()
        for g in v.gates {
            if nodeIds.contains(g.id) || !seen.insert(g.id).inserted { add(g.id, "rubric.gate_dup", [g.id]) }
            if g.provisional && (g.note ?? "").isEmpty { add(g.id, "rubric.provisional_note", [g.id]) }
        }
    }
    return problems
}

/// True when `id` is a stable ASCII node id: lower-case letters, digits and hyphens, starting with a letter.
public func isValidNodeId(_ id: String) -> Bool {
    guard let first = id.unicodeScalars.first, ("a"..."z").contains(first), id.utf8.count <= 64 else { return false }
    return id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
}
