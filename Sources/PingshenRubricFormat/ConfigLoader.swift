import Foundation
import PingshenCore
import Yams

/// Reads `Config/pingshen.yaml`.
public enum ConfigLoader {
    public static func parse(_ text: String, file: String) -> Result<PingshenConfig, PingshenErrors> {
        let r = YAMLReader(file: file)
        var config = PingshenConfig()
        guard let root = r.compose(text) else {
            return r.problems.isEmpty ? .success(config) : .failure(PingshenErrors(r.problems))
        }
        let ctx = "config"
        guard let m = r.mapping(root, allowed: ["database", "grade_bands", "aggregation", "outliers"], context: ctx) else {
            return .failure(PingshenErrors(r.problems))
        }
        if let db = r.string(m, "database", context: ctx) { config.database = db }
        if let gb = r.mapping(m["grade_bands"], allowed: Self.anyKey(m["grade_bands"]), context: "grade_bands") {
            for (rubricId, node) in gb.entries {
                if let set = readBandSet(r, node, context: "grade_bands.\(rubricId)") {
                    config.gradeBands[rubricId] = set
                }
            }
        }
        if let a = r.mapping(m["aggregation"], allowed: ["method", "trim_min_reviewers", "quorum", "view", "decimals", "stability_threshold"],
                             context: "aggregation") {
            if let v = r.string(a, "method", context: "aggregation") {
                if let m = AggregationMethod(rawValue: v) {
                    config.aggregation.method = m
                } else {
                    r.fail(a["method"], "rubric.bad_value", ["method", v], field: "method")
                }
            }
            if let v = count(r, a, "trim_min_reviewers") { config.aggregation.trimMinReviewers = v }
            if let v = count(r, a, "quorum") { config.aggregation.quorum = v }
            if let v = count(r, a, "decimals") {
                if v <= 6 { config.aggregation.decimals = v } else { r.fail(a["decimals"], "rubric.bad_value", ["decimals", String(v)], field: "decimals") }
            }
            if let v = r.number(a, "stability_threshold", context: "aggregation") {
                if v > 0 && v < 1 {
                    config.aggregation.stabilityThreshold = v
                } else {
                    r.fail(a["stability_threshold"], "rubric.bad_value", ["stability_threshold", exactDecimalText(v)], field: "stability_threshold")
                }
            }
            if let v = r.string(a, "view", context: "aggregation") {
                if let view = AggregationView(rawValue: v) {
                    config.aggregation.view = view
                } else {
                    r.fail(a["view"], "rubric.bad_value", ["view", v], field: "view")
                }
            }
        }
        let outlierKeys: Set<String> = ["score_z", "score_floor_share", "score_scale_floor_share", "disagreement_range_share", "bias_points",
                                        "bias_t", "min_rank_correlation", "min_applicants_for_reviewer_flags"]
        if let o = r.mapping(m["outliers"], allowed: outlierKeys, context: "outliers") {
            let c = "outliers"
            if let v = r.number(o, "score_z", context: c) { config.outliers.scoreZ = v }
            if let v = r.number(o, "score_floor_share", context: c) { config.outliers.scoreFloorShare = v }
            if let v = r.number(o, "score_scale_floor_share", context: c) { config.outliers.scoreScaleFloorShare = v }
            if let v = r.number(o, "disagreement_range_share", context: c) { config.outliers.disagreementRangeShare = v }
            if let v = r.number(o, "bias_points", context: c) { config.outliers.biasPoints = v }
            if let v = r.number(o, "bias_t", context: c) { config.outliers.biasT = v }
            if let v = r.number(o, "min_rank_correlation", context: c) { config.outliers.minRankCorrelation = v }
            if let v = count(r, o, "min_applicants_for_reviewer_flags") { config.outliers.minApplicantsForReviewerFlags = v }
        }
        return r.problems.isEmpty ? .success(config) : .failure(PingshenErrors(r.problems))
    }

    /// A count: a whole number, not negative (2.5 reviewers or -1 sheets is a mistake, not a setting).
    static func count(_ r: YAMLReader, _ m: YAMLMap, _ key: String) -> Int? {
        guard let v = r.number(m, key, context: key) else { return nil }
        guard v >= 0, v == v.rounded(), v <= 1_000_000 else {
            r.fail(m[key], "rubric.bad_value", [key, formatNumber(v, decimals: 4)], field: key)
            return nil
        }
        return Int(v)
    }

    static func anyKey(_ node: Node?) -> Set<String> {
        guard case .mapping(let m)? = node else { return [] }
        return Set(m.keys.compactMap(\.string))
    }

    static func readBandSet(_ r: YAMLReader, _ node: Node, context: String) -> GradeBandSet? {
        guard let m = r.mapping(node, allowed: ["provisional", "note", "bands"], context: context) else { return nil }
        let bands = RubricLoader.readBands(r, m["bands"], in: m, context: context)
        return GradeBandSet(bands: bands, provisional: r.bool(m, "provisional") ?? false,
                            note: r.string(m, "note", context: context))
    }
}
