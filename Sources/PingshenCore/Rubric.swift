import Foundation

/// The rubric model: a weighted indicator tree (一级/二级/三级指标), its leaf rules, grade bands,
/// eligibility gates and industry coefficients. Values only; loading lives in PingshenRubricFormat.

/// Where a number or a node comes from.
public struct Provenance: Sendable, Equatable, Codable {
    /// Document number, e.g. 工信厅科〔2018〕37号.
    public var document: String
    /// Table or article inside the document, e.g. 考评指标参考表.
    public var table: String?
    /// Lines in the seed compilation, when known.
    public var lines: String?
    /// True when the number comes from a public copy of the table rather than the seed compilation.
    public var publicCopy: Bool

    public init(document: String, table: String? = nil, lines: String? = nil, publicCopy: Bool = false) {
        self.document = document
        self.table = table
        self.lines = lines
        self.publicCopy = publicCopy
    }

    public var text: String {
        var parts = [document]
        if let table { parts.append(table) }
        if let lines { parts.append("L\(lines)") }
        if publicCopy { parts.append("public copy") }
        return parts.joined(separator: " · ")
    }
}

/// Whether a leaf takes points from each reviewer or a measured value from the applicant's verified data.
public enum InputKind: String, Sendable, Codable, Equatable {
    case points
    case value
}

/// One allowed step of a tiered leaf, e.g. 0 / 1 / 3 points.
public struct Tier: Sendable, Equatable, Codable {
    public var points: Double
    public var label: String
    public init(points: Double, label: String) {
        self.points = points
        self.label = label
    }
}

/// How a leaf earns its points. Every rule's maximum is the leaf's weight.
public enum Rule: Sendable, Equatable {
    /// 酌情得分: the reviewer gives 0...weight, in multiples of `step` when set.
    case discretionary(step: Double?)
    /// 得N分: the whole weight when the condition holds, 0 otherwise (yes / no).
    case award
    /// A fixed set of allowed point values (0 / 1 / 3, or 3 and 4 "beyond the requirement").
    case tiers([Tier])
    /// 按比例得分: 0 at or below `zero`, the whole weight at or above `full`, straight line between.
    case proportional(zero: Double, full: Double)
    /// 基本要求 / 满分要求: 0 below `basic`, the whole weight at or above `full`, straight line from
    /// `atBasic` × weight at `basic` to the weight at `full`. The value is first multiplied by the
    /// applicant's industry coefficient in column `coefficient` when set.
    case requirement(basic: Double, full: Double, atBasic: Double, coefficient: String?)

    public var kindName: String {
        switch self {
        case .discretionary: return "discretionary"
        case .award: return "award"
        case .tiers: return "tiers"
        case .proportional: return "proportional"
        case .requirement: return "requirement"
        }
    }
}

/// A node of the indicator tree. A node without children is a leaf and carries an input kind and a rule.
/// A closed range of values; nil ends are open.
public struct ValueRange: Sendable, Equatable, Codable {
    public var min: Double?
    public var max: Double?
    public init(min: Double?, max: Double?) {
        self.min = min
        self.max = max
    }

    public func contains(_ v: Double) -> Bool { (min.map { v >= $0 } ?? true) && (max.map { v <= $0 } ?? true) }

    /// As a person reads it: `0–100`, `≥ 0`, `≤ 100`, `any`.
    public var text: String {
        switch (min, max) {
        case let (lo?, hi?): return "\(formatNumber(lo, decimals: 4))–\(formatNumber(hi, decimals: 4))"
        case let (lo?, nil): return "≥ \(formatNumber(lo, decimals: 4))"
        case let (nil, hi?): return "≤ \(formatNumber(hi, decimals: 4))"
        default: return "—"
        }
    }
}

public struct RubricNode: Sendable, Equatable {
    public var id: String
    public var name: String
    public var nameEn: String?
    /// Points (权重/分值). For a leaf, the most it can earn.
    public var weight: Double
    /// 指标说明: what the reviewer should look at.
    public var guidance: String?
    /// 基本要求 as text shown to the reviewer.
    public var basicRequirement: String?
    /// 满分要求 as text shown to the reviewer.
    public var fullRequirement: String?
    public var unit: String?
    public var input: InputKind?
    public var rule: Rule?
    /// "其中…": this leaf's value is part of the value of leaf `of` (so it cannot exceed it).
    public var of: String?
    /// The children's maxima may add up to more than the weight; the sum is capped at the weight.
    public var cap: Bool
    /// A number of this node (weight or rule) that no source gives.
    public var provisional: Bool
    public var note: String?
    public var source: Provenance?
    public var children: [RubricNode]
    /// The values a value leaf can take, where the source implies a range (a share of staff or of costs lies in
    /// 0–100 %; a profit rate may be negative). nil: the default, not below 0 and no upper bound.
    public var validRange: ValueRange?

    public init(id: String, name: String, nameEn: String? = nil, weight: Double, guidance: String? = nil,
                basicRequirement: String? = nil, fullRequirement: String? = nil, unit: String? = nil,
                input: InputKind? = nil, rule: Rule? = nil, of: String? = nil, cap: Bool = false,
                provisional: Bool = false, note: String? = nil, source: Provenance? = nil,
                children: [RubricNode] = [], validRange: ValueRange? = nil) {
        self.validRange = validRange
        self.id = id
        self.name = name
        self.nameEn = nameEn
        self.weight = weight
        self.guidance = guidance
        self.basicRequirement = basicRequirement
        self.fullRequirement = fullRequirement
        self.unit = unit
        self.input = input
        self.rule = rule
        self.of = of
        self.cap = cap
        self.provisional = provisional
        self.note = note
        self.source = source
        self.children = children
    }

    public var isLeaf: Bool { children.isEmpty }

    /// The range a value of this leaf must lie in (the default: not below 0).
    public var acceptedRange: ValueRange { validRange ?? ValueRange(min: 0, max: nil) }

    public func displayName(_ lang: Lang) -> String {
        lang == .en ? (nameEn ?? name) : name
    }
}

/// A grade band: the grade applies to scores at or above `min` (and below the next band up).
public struct GradeBand: Sendable, Equatable, Codable {
    public var name: String
    public var nameEn: String?
    public var min: Double
    public init(name: String, nameEn: String? = nil, min: Double) {
        self.name = name
        self.nameEn = nameEn
        self.min = min
    }
}

/// Comparison of an eligibility gate.
public enum GateOp: String, Sendable, Equatable, Codable {
    case ge = ">="
    case gt = ">"
    case le = "<="
    case lt = "<"
    case eq = "=="
    /// The data must say yes (是).
    case yes = "yes"
}

/// 基本条件: a condition on the applicant's verified data checked before scoring.
public struct Gate: Sendable, Equatable {
    public var id: String
    /// The key of the applicant's data the gate reads (its id unless it shares a value leaf's data).
    public var field: String
    public var name: String
    public var nameEn: String?
    public var op: GateOp
    public var threshold: Double?
    public var unit: String?
    public var provisional: Bool
    public var note: String?
    public var source: Provenance?
    /// The values its field can take, where the source implies a range (as for a value leaf).
    public var validRange: ValueRange?

    public init(id: String, field: String? = nil, name: String, nameEn: String? = nil, op: GateOp,
                threshold: Double? = nil, unit: String? = nil, provisional: Bool = false, note: String? = nil,
                source: Provenance? = nil, validRange: ValueRange? = nil) {
        self.validRange = validRange
        self.id = id
        self.field = field ?? id
        self.name = name
        self.nameEn = nameEn
        self.op = op
        self.threshold = threshold
        self.unit = unit
        self.provisional = provisional
        self.note = note
        self.source = source
    }

    /// Whether a value passes the gate.
    public func passes(_ value: Double) -> Bool {
        switch op {
        case .ge: return value >= (threshold ?? 0)
        case .gt: return value > (threshold ?? 0)
        case .le: return value <= (threshold ?? 0)
        case .lt: return value < (threshold ?? 0)
        case .eq: return value == (threshold ?? 0)
        case .yes: return value != 0
        }
    }

    public var conditionText: String {
        switch op {
        case .yes: return "= 是"
        default: return "\(op.rawValue) \(formatNumber(threshold ?? 0))\(unit.map { " \($0)" } ?? "")"
        }
    }
}

/// A named set of gates, e.g. the national, provincial or municipal recognition conditions.
public struct EligibilityVariant: Sendable, Equatable {
    public var id: String
    public var name: String
    public var nameEn: String?
    public var gates: [Gate]
    public init(id: String, name: String, nameEn: String? = nil, gates: [Gate]) {
        self.id = id
        self.name = name
        self.nameEn = nameEn
        self.gates = gates
    }
}

/// An industry coefficient: multiply the value, or score a fixed share of the weight whatever the value
/// (其他行业按满分的60%计).
public enum Coefficient: Sendable, Equatable {
    case multiply(Double)
    case fixedShare(Double)
}

/// One row of the industry coefficient table (行业系数).
public struct Industry: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Other names an applicant's industry may be given by (e.g. 家电 for 轻工Ⅰ).
    public var aliases: [String]
    public var coefficients: [String: Coefficient]
    public init(id: String, name: String, aliases: [String] = [], coefficients: [String: Coefficient]) {
        self.id = id
        self.name = name
        self.aliases = aliases
        self.coefficients = coefficients
    }
}

public struct IndustryTable: Sendable, Equatable {
    public var columns: [String]
    public var rows: [Industry]
    public var provisional: Bool
    public var note: String?
    public var source: Provenance?

    public init(columns: [String], rows: [Industry], provisional: Bool = false, note: String? = nil,
                source: Provenance? = nil) {
        self.columns = columns
        self.rows = rows
        self.provisional = provisional
        self.note = note
        self.source = source
    }

    /// Finds an industry by id, name or alias.
    public func industry(_ key: String) -> Industry? {
        let k = key.trimmingCharacters(in: .whitespaces)
        return rows.first { $0.id == k || $0.name == k || $0.aliases.contains(k) }
    }
}

/// A whole rubric.
public struct Rubric: Sendable, Equatable {
    public var id: String
    public var name: String
    public var nameEn: String?
    public var version: String
    public var total: Double
    public var source: Provenance?
    public var grades: [GradeBand]
    public var gradesProvisional: Bool
    public var gradesNote: String?
    public var eligibility: [EligibilityVariant]
    public var industries: IndustryTable?
    public var root: [RubricNode]

    public init(id: String, name: String, nameEn: String? = nil, version: String = "1", total: Double,
                source: Provenance? = nil, grades: [GradeBand], gradesProvisional: Bool = false,
                gradesNote: String? = nil, eligibility: [EligibilityVariant] = [], industries: IndustryTable? = nil,
                root: [RubricNode]) {
        self.id = id
        self.name = name
        self.nameEn = nameEn
        self.version = version
        self.total = total
        self.source = source
        self.grades = grades.sorted { $0.min > $1.min }
        self.gradesProvisional = gradesProvisional
        self.gradesNote = gradesNote
        self.eligibility = eligibility
        self.industries = industries
        self.root = root
    }

    public func displayName(_ lang: Lang) -> String { lang == .en ? (nameEn ?? name) : name }

    /// All leaves in rubric order (depth first).
    public var leaves: [RubricNode] {
        var out: [RubricNode] = []
        func walk(_ n: RubricNode) {
            if n.isLeaf { out.append(n) } else { n.children.forEach(walk) }
        }
        root.forEach(walk)
        return out
    }

    /// Every node with the ids of its ancestors, depth first.
    public var nodesWithPath: [(node: RubricNode, path: [RubricNode])] {
        var out: [(RubricNode, [RubricNode])] = []
        func walk(_ n: RubricNode, _ path: [RubricNode]) {
            out.append((n, path))
            n.children.forEach { walk($0, path + [n]) }
        }
        root.forEach { walk($0, []) }
        return out
    }

    public func node(_ id: String) -> RubricNode? {
        nodesWithPath.first { $0.node.id == id }?.node
    }

    /// The chain of nodes from a top-level node down to `id`, inclusive.
    public func path(to id: String) -> [RubricNode]? {
        guard let hit = nodesWithPath.first(where: { $0.node.id == id }) else { return nil }
        return hit.path + [hit.node]
    }

    /// True when any number of the rubric is provisional.
    public var hasProvisional: Bool {
        gradesProvisional || nodesWithPath.contains { $0.node.provisional }
            || eligibility.contains { $0.gates.contains { $0.provisional } } || (industries?.provisional ?? false)
    }

    public func variant(_ id: String?) -> EligibilityVariant? {
        guard let id else { return eligibility.first }
        return eligibility.first { $0.id == id }
    }

    /// Data keys read by the gates of any variant.
    public var gateFields: Set<String> {
        Set(eligibility.flatMap { $0.gates.map(\.field) })
    }

    /// The grade for a score, or nil when no band matches.
    public func grade(for score: Double) -> GradeBand? {
        // A small tolerance keeps 89.9999999 from falling below 90 through floating-point sums.
        grades.first { score + 1e-9 >= $0.min }
    }
}
