import Foundation

/// Human-readable text of a leaf's rule, in the catalog's language.
public func describeRule(_ leaf: RubricNode, _ lang: Lang) -> String {
    let w = formatNumber(leaf.weight)
    let unit = leaf.unit ?? ""
    switch leaf.rule {
    case .discretionary(let step)?:
        if let step { return Catalog.text("rule.discretionary_step", [w, formatNumber(step)], lang) }
        return Catalog.text("rule.discretionary", [w], lang)
    case .award?:
        return Catalog.text("rule.award", [w], lang)
    case .tiers(let tiers)?:
        let list = tiers.map { "\(formatNumber($0.points))（\($0.label)）" }.joined(separator: " / ")
        return Catalog.text("rule.tiers", [list], lang)
    case .proportional(let zero, let full)?:
        return Catalog.text("rule.proportional", [formatNumber(zero) + unit, formatNumber(full) + unit, w], lang)
    case .requirement(let basic, let full, let atBasic, let column)?:
        var s = Catalog.text("rule.requirement", [formatNumber(basic) + unit, formatNumber(atBasic * leaf.weight),
                                                  formatNumber(full) + unit, w], lang)
        if let column { s += Catalog.text("rule.coefficient", [column], lang) }
        return s
    case nil:
        return ""
    }
}

/// The rule as a flat JSON-friendly record.
public struct RuleRecord: Codable, Sendable, Equatable {
    public var type: String
    public var max: Double
    public var step: Double?
    public var tiers: [Tier]?
    public var zero: Double?
    public var full: Double?
    public var basic: Double?
    public var atBasic: Double?
    public var coefficient: String?

    enum CodingKeys: String, CodingKey {
        case type, max, step, tiers, zero, full, basic
        case atBasic = "at_basic"
        case coefficient
    }

    public init?(_ leaf: RubricNode) {
        guard let rule = leaf.rule else { return nil }
        type = rule.kindName
        max = leaf.weight
        switch rule {
        case .discretionary(let s): step = s
        case .award: break
        case .tiers(let t): tiers = t
        case .proportional(let z, let f):
            zero = z
            full = f
        case .requirement(let b, let f, let a, let c):
            basic = b
            full = f
            atBasic = a
            coefficient = c
        }
    }
}
