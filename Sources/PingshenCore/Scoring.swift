import Foundation

/// What an applicant's verified data (核定数据) says: measured values by key, and the industry used for
/// coefficients. Keys are value-leaf ids and gate ids.
public struct ApplicantData: Sendable, Equatable {
    public var values: [String: Double]
    public var industry: String?
    public init(values: [String: Double] = [:], industry: String? = nil) {
        self.values = values
        self.industry = industry
    }
}

/// Checks points a reviewer entered for a `points` leaf. Returns the error to show, or nil when allowed.
public func validatePoints(_ points: Double, for leaf: RubricNode) -> PingshenError? {
    let w = formatNumber(leaf.weight)
    let p = formatNumber(points, decimals: 4)
    guard points.isFinite, points >= 0, points <= leaf.weight + 1e-9 else {
        return PingshenError("points.range", [leaf.id, p, w])
    }
    switch leaf.rule {
    case .discretionary(let step):
        if let step, !isMultiple(points, of: step) {
            return PingshenError("points.step", [leaf.id, p, formatNumber(step), w])
        }
    case .award:
        if points != 0 && abs(points - leaf.weight) > 1e-9 {
            return PingshenError("points.award", [leaf.id, w])
        }
    case .tiers(let tiers):
        if !tiers.contains(where: { abs($0.points - points) < 1e-9 }) {
            let allowed = tiers.map { "\(formatNumber($0.points))（\($0.label)）" }.joined(separator: " / ")
            return PingshenError("points.tier", [leaf.id, p, allowed])
        }
    default:
        break
    }
    return nil
}

/// The points a `value` leaf earns from a measured value, or nil when the value (or the industry its
/// coefficient needs) is missing.
public func pointsFromValue(_ leaf: RubricNode, value: Double?, industry: Industry?) -> Double? {
    let w = leaf.weight
    switch leaf.rule {
    case .proportional(let zero, let full):
        guard let value else { return nil }
        return w * clamp01((value - zero) / (full - zero))
    case .requirement(let basic, let full, let atBasic, let column):
        var v = value
        if let column {
            guard let industry, let coef = industry.coefficients[column] else { return nil }
            switch coef {
            case .fixedShare(let share):
                return w * share
            case .multiply(let k):
                v = value.map { $0 * k }
            }
        }
        guard let v else { return nil }
        if v < basic { return 0 }
        if v >= full { return w }
        return w * (atBasic + (1 - atBasic) * (v - basic) / (full - basic))
    case .award:
        guard let value else { return nil }
        return value != 0 ? w : 0
    case .tiers(let tiers):
        // A value leaf with tiers takes the tier whose points equal the value given.
        guard let value else { return nil }
        return tiers.first { abs($0.points - value) < 1e-9 }?.points
    case .discretionary:
        guard let value else { return nil }
        return min(max(value, 0), w)
    case nil:
        return nil
    }
}

private func clamp01(_ x: Double) -> Double {
    guard x.isFinite else { return 0 }
    return min(max(x, 0), 1)
}

/// The result of scoring one sheet (or one applicant's panel-combined leaf points) against a rubric.
public struct SheetScore: Sendable, Equatable {
    /// Points per leaf id; nil where the leaf has no points yet.
    public var leafPoints: [String: Double?]
    /// Subtotal per node id (every level), capped at the node's weight; missing leaves count 0.
    public var nodeTotals: [String: Double]
    public var total: Double
    /// Leaf ids without points yet.
    public var missing: [String]
    /// Ids of provisional nodes (leaves or their ancestors) that contributed points.
    public var provisionalContributors: [String]

    public var isComplete: Bool { missing.isEmpty }
    public var usesProvisional: Bool { !provisionalContributors.isEmpty }
}

/// Scores a rubric from reviewer points (for `points` leaves) and verified data (for `value` leaves).
/// Parents sum their children and never exceed their own weight.
public func scoreSheet(rubric: Rubric, points: [String: Double], data: ApplicantData) -> SheetScore {
    let industry = data.industry.flatMap { rubric.industries?.industry($0) }
    var leafPoints: [String: Double?] = [:]
    var nodeTotals: [String: Double] = [:]
    var missing: [String] = []
    var provisional: [String] = []

    func walk(_ n: RubricNode, provisionalAbove: Bool) -> Double {
        let prov = provisionalAbove || n.provisional
        if n.isLeaf {
            let p: Double?
            switch n.input {
            case .value?:
                p = pointsFromValue(n, value: data.values[n.id], industry: industry)
            default:
                p = points[n.id]
            }
            leafPoints[n.id] = .some(p)
            if p == nil { missing.append(n.id) }
            let earned = min(p ?? 0, n.weight)
            if prov && p != nil { provisional.append(n.id) }
            nodeTotals[n.id] = earned
            return earned
        }
        let sum = n.children.reduce(0) { $0 + walk($1, provisionalAbove: prov) }
        let capped = min(sum, n.weight)
        nodeTotals[n.id] = capped
        return capped
    }
    let total = rubric.root.reduce(0) { $0 + walk($1, provisionalAbove: false) }
    return SheetScore(leafPoints: leafPoints, nodeTotals: nodeTotals, total: min(total, rubric.total),
                      missing: missing, provisionalContributors: provisional)
}

/// One gate's outcome for an applicant.
public struct GateOutcome: Sendable, Equatable {
    public var gate: Gate
    public var value: Double?
    public var passed: Bool
}

/// Checks an applicant's data against the gates of an eligibility variant.
public func checkEligibility(_ variant: EligibilityVariant?, data: ApplicantData) -> [GateOutcome] {
    guard let variant else { return [] }
    return variant.gates.map { g in
        let v = data.values[g.field]
        return GateOutcome(gate: g, value: v, passed: v.map { g.passes($0) } ?? false)
    }
}
