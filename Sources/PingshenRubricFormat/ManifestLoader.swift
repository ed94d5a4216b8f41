import Foundation
import PingshenCore
import Yams

/// Reads panel manifests (`panel.yaml`, format in Samples/README.md). Strict: unknown keys, wrong types,
/// bad ids, duplicates and recusals naming nobody are refused, each with its line.
public enum ManifestLoader {
    static let topKeys: Set<String> = ["panel", "rubric", "title", "round", "variant", "method", "quorum", "view",
                                       "reviewers", "applicants", "recusals"]

    /// Parses a manifest. With `rubric`, also checks that it is the manifest's rubric, that the variant
    /// exists and that applicants' industries are in its coefficient table.
    public static func parse(_ text: String, file: String, rubric: Rubric? = nil) -> Result<PanelManifest, PingshenErrors> {
        let r = YAMLReader(file: file)
        guard let root = r.compose(text) else {
            if r.problems.isEmpty { r.fail(nil, "rubric.missing_key", ["panel", "manifest"], field: "panel") }
            return .failure(PingshenErrors(r.problems))
        }
        let ctx = "manifest"
        guard let m = r.mapping(root, allowed: topKeys, context: ctx) else { return .failure(PingshenErrors(r.problems)) }
        let panel = r.string(m, "panel", required: true, context: ctx) ?? ""
        let rubricId = r.string(m, "rubric", required: true, context: ctx) ?? ""
        let title = r.string(m, "title", required: true, context: ctx) ?? ""
        let round = r.string(m, "round", required: true, context: ctx) ?? ""
        let variant = r.string(m, "variant", context: ctx)
        let methodText = r.string(m, "method", context: ctx)
        let method = methodText.flatMap { AggregationMethod(rawValue: $0) }
        if let t = methodText, method == nil { r.fail(m["method"], "rubric.bad_value", ["method", t], field: "method") }
        let viewText = r.string(m, "view", context: ctx)
        let view = viewText.flatMap { AggregationView(rawValue: $0) }
        if let t = viewText, view == nil { r.fail(m["view"], "rubric.bad_value", ["view", t], field: "view") }
        var quorum: Int?
        if let q = r.number(m, "quorum", context: ctx) {
            if q.rounded() == q { quorum = Int(q) } else { r.fail(m["quorum"], "rubric.bad_type", ["quorum", "a whole number"], field: "quorum") }
        }

        var reviewerNodes: [Node] = []
        var reviewers: [ReviewerInfo] = []
        for n in r.sequence(m["reviewers"], key: "reviewers") ?? [] {
            guard let e = r.mapping(n, allowed: ["id", "name"], context: "reviewers") else { continue }
            guard let id = r.string(e, "id", required: true, context: "reviewer"),
                  let name = r.string(e, "name", required: true, context: "reviewer \(id)") else { continue }
            reviewers.append(ReviewerInfo(id: id, name: name))
            reviewerNodes.append(n)
        }
        if m["reviewers"] == nil { r.fail(root, "rubric.missing_key", ["reviewers", ctx], field: "reviewers") }

        var applicantNodes: [Node] = []
        var applicants: [ApplicantInfo] = []
        var profiles: [String: ApplicantProfile] = [:]
        for n in r.sequence(m["applicants"], key: "applicants") ?? [] {
            guard let e = r.mapping(n, allowed: ["id", "name", "industry", "organization", "related", "field"],
                                    context: "applicants") else { continue }
            guard let id = r.string(e, "id", required: true, context: "applicant"),
                  let name = r.string(e, "name", required: true, context: "applicant \(id)") else { continue }
            applicants.append(ApplicantInfo(id: id, name: name, industry: r.string(e, "industry", context: "applicant \(id)")))
            // Issue 11: organization, related organizations (a list, or one text with ; or ；), field.
            let org = r.string(e, "organization", context: "applicant \(id)")
            var related: [String] = []
            if let rel = e["related"] {
                if case .scalar(let s) = rel { related = splitPoolList(s.string) } else { related = r.strings(e, "related") ?? [] }
            }
            let field = r.string(e, "field", context: "applicant \(id)")
            if org != nil || !related.isEmpty || field != nil {
                profiles[id] = ApplicantProfile(id: id, name: name, organization: org, related: related, field: field)
            }
            applicantNodes.append(n)
        }
        if m["applicants"] == nil { r.fail(root, "rubric.missing_key", ["applicants", ctx], field: "applicants") }

        var recusalNodes: [Node] = []
        var recusals: [Recusal] = []
        for n in r.sequence(m["recusals"], key: "recusals") ?? [] {
            guard let e = r.mapping(n, allowed: ["reviewer", "applicant", "reason"], context: "recusals") else { continue }
            guard let rv = r.string(e, "reviewer", required: true, context: "recusal"),
                  let ap = r.string(e, "applicant", required: true, context: "recusal"),
                  let reason = r.string(e, "reason", required: true, context: "recusal \(rv)/\(ap)") else { continue }
            recusals.append(Recusal(reviewer: rv, applicant: ap, reason: reason))
            recusalNodes.append(n)
        }

        let manifest = PanelManifest(panel: panel, rubric: rubricId, title: title, round: round, variant: variant,
                                     method: method, quorum: quorum, view: view, reviewers: reviewers,
                                     applicants: applicants, recusals: recusals)
        var withProfiles = manifest
        if !profiles.isEmpty { withProfiles.applicantProfiles = profiles }
        if r.problems.isEmpty {
            for p in manifest.problems(rubric: rubric) {
                let node: Node?
                switch p.place {
                case .field(let key): node = m[key] ?? root
                case .reviewer(let i): node = reviewerNodes[i]
                case .applicant(let i): node = applicantNodes[i]
                case .recusal(let i): node = recusalNodes[i]
                }
                r.fail(node, p.error.key, p.error.args, field: p.error.location?.field)
            }
        }
        return r.problems.isEmpty ? .success(withProfiles) : .failure(PingshenErrors(r.problems))
    }
}

/// Reads `planted.yaml`, the record of what the sample generator planted (written by
/// `PlantedTruth.yamlText`), for measuring outlier detection.
public enum PlantedLoader {
    public static func parse(_ text: String, file: String) -> Result<PlantedTruth, PingshenErrors> {
        let r = YAMLReader(file: file)
        guard let root = r.compose(text) else {
            if r.problems.isEmpty { r.fail(nil, "rubric.missing_key", ["panel", "planted"], field: "panel") }
            return .failure(PingshenErrors(r.problems))
        }
        let ctx = "planted"
        let keys: Set<String> = ["panel", "rubric", "seed", "harsh", "lenient", "wild", "ineligible", "recused"]
        guard let m = r.mapping(root, allowed: keys, context: ctx) else { return .failure(PingshenErrors(r.problems)) }
        var truth = PlantedTruth(panel: r.string(m, "panel", required: true, context: ctx) ?? "",
                                 rubric: r.string(m, "rubric", required: true, context: ctx) ?? "", seed: 0)
        if let s = r.string(m, "seed", required: true, context: ctx) {
            if let seed = UInt64(s) { truth.seed = seed } else { r.fail(m["seed"], "sample.bad_seed", [s], field: "seed") }
        }
        func biases(_ key: String) -> [PlantedTruth.Bias] {
            (r.sequence(m[key], key: key) ?? []).compactMap { n in
                guard let e = r.mapping(n, allowed: ["reviewer", "shift", "measured"], context: key),
                      let rv = r.string(e, "reviewer", required: true, context: key),
                      let shift = r.number(e, "shift", required: true, context: key) else { return nil }
                return PlantedTruth.Bias(reviewer: rv, shift: shift, measured: r.number(e, "measured", context: key) ?? shift)
            }
        }
        truth.harsh = biases("harsh")
        truth.lenient = biases("lenient")
        truth.wild = (r.sequence(m["wild"], key: "wild") ?? []).compactMap { n in
            guard let e = r.mapping(n, allowed: ["reviewer", "applicant", "leaf", "value", "panel"], context: "wild"),
                  let rv = r.string(e, "reviewer", required: true, context: "wild"),
                  let ap = r.string(e, "applicant", required: true, context: "wild"),
                  let leaf = r.string(e, "leaf", required: true, context: "wild"),
                  let value = r.number(e, "value", required: true, context: "wild") else { return nil }
            if leaf != "total" && !isValidNodeId(leaf) {
                r.fail(e["leaf"], "sample.planted_bad_leaf", [leaf], field: "leaf")
                return nil
            }
            return PlantedTruth.Wild(reviewer: rv, applicant: ap, leaf: leaf == "total" ? nil : leaf, value: value,
                                     panel: r.number(e, "panel", context: "wild") ?? value)
        }
        truth.ineligible = (r.sequence(m["ineligible"], key: "ineligible") ?? []).compactMap { n in
            let allowed: Set<String> = ["applicant", "gate", "field", "value", "condition"]
            guard let e = r.mapping(n, allowed: allowed, context: "ineligible"),
                  let ap = r.string(e, "applicant", required: true, context: "ineligible"),
                  let gate = r.string(e, "gate", required: true, context: "ineligible") else { return nil }
            return PlantedTruth.Ineligible(applicant: ap, gate: gate, field: r.string(e, "field", context: "ineligible") ?? gate,
                                           value: r.number(e, "value", context: "ineligible") ?? 0)
        }
        truth.recusals = (r.sequence(m["recused"], key: "recused") ?? []).compactMap { n in
            guard let e = r.mapping(n, allowed: ["reviewer", "applicant", "reason"], context: "recused"),
                  let rv = r.string(e, "reviewer", required: true, context: "recused"),
                  let ap = r.string(e, "applicant", required: true, context: "recused") else { return nil }
            return Recusal(reviewer: rv, applicant: ap, reason: r.string(e, "reason", context: "recused") ?? "")
        }
        return r.problems.isEmpty ? .success(truth) : .failure(PingshenErrors(r.problems))
    }
}
