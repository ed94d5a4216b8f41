import Foundation

/// A panel's set-up in one file (`panel.yaml`, format in Samples/README.md): the panel, its rubric,
/// round and eligibility variant, its reviewers and applicants, and the conflicts of interest.
/// Parsed by `ManifestLoader` (PingshenRubricFormat); written by `yamlText()`.
public struct PanelManifest: Sendable, Equatable, Codable {
    public var panel: String
    public var rubric: String
    public var title: String
    /// The round the panel starts with, e.g. 初评.
    public var round: String
    /// Eligibility variant of the rubric (nil: the rubric's first).
    public var variant: String?
    /// Aggregation overrides (nil: the config's defaults).
    public var method: AggregationMethod?
    public var quorum: Int?
    public var view: AggregationView?
    public var reviewers: [ReviewerInfo]
    public var applicants: [ApplicantInfo]
    public var recusals: [Recusal]
    /// Applicants' organizations, related organizations and fields by applicant id (keys `organization`,
    /// `related`, `field`; issue 11), for the draw's tie checks and the assignment.
    public var applicantProfiles: [String: ApplicantProfile]?

    public init(panel: String, rubric: String, title: String, round: String, variant: String? = nil,
                method: AggregationMethod? = nil, quorum: Int? = nil, view: AggregationView? = nil, reviewers: [ReviewerInfo],
                applicants: [ApplicantInfo], recusals: [Recusal] = []) {
        self.panel = panel
        self.rubric = rubric
        self.title = title
        self.round = round
        self.variant = variant
        self.method = method
        self.quorum = quorum
        self.view = view
        self.reviewers = reviewers
        self.applicants = applicants
        self.recusals = recusals
    }

    /// The panel record the store keeps.
    public var panelInfo: PanelInfo {
        PanelInfo(id: panel, rubricId: rubric, title: title, round: round, variant: variant, method: method,
                  quorum: quorum, view: view)
    }

    public func isRecused(_ reviewer: String, _ applicant: String) -> Bool {
        recusals.contains { $0.reviewer == reviewer && $0.applicant == applicant }
    }

    /// Aggregation methods and views a manifest may name (the same words as Config/pingshen.yaml).

    /// Where in a manifest a problem is, so that a loader can name the line.
    public enum Place: Sendable, Equatable {
        case field(String)
        case reviewer(Int)
        case applicant(Int)
        case recusal(Int)
    }

    /// Checks what a YAML reader cannot: ids, duplicates, recusals that name nobody, and — when the rubric
    /// is given — that it is the manifest's rubric, the variant exists and industries are known.
    public func problems(rubric r: Rubric?) -> [(error: PingshenError, place: Place)] {
        var out: [(PingshenError, Place)] = []
        func add(_ place: Place, _ key: String, _ args: [String], field: String) {
            out.append((PingshenError(key, args, at: SourceLocation(file: "", field: field)), place))
        }
        if !isValidNodeId(panel) { add(.field("panel"), "sample.manifest_bad_id", ["panel", panel], field: "panel") }
        if !isValidNodeId(rubric) { add(.field("rubric"), "sample.manifest_bad_id", ["rubric", rubric], field: "rubric") }
        if title.trimmingCharacters(in: .whitespaces).isEmpty {
            add(.field("title"), "sample.manifest_empty_text", ["title"], field: "title")
        }
        if round.trimmingCharacters(in: .whitespaces).isEmpty {
            add(.field("round"), "sample.manifest_empty_text", ["round"], field: "round")
        }
        if let quorum, quorum < 1 {
            add(.field("quorum"), "rubric.bad_value", ["quorum", String(quorum)], field: "quorum")
        }
        if reviewers.isEmpty { add(.field("reviewers"), "sample.manifest_none", ["reviewers"], field: "reviewers") }
        if applicants.isEmpty { add(.field("applicants"), "sample.manifest_none", ["applicants"], field: "applicants") }

        var reviewerIds = Set<String>()
        for (i, rv) in reviewers.enumerated() {
            if !isValidNodeId(rv.id) {
                add(.reviewer(i), "sample.manifest_bad_id", ["reviewer", rv.id], field: rv.id)
            } else if !reviewerIds.insert(rv.id).inserted {
                add(.reviewer(i), "sample.manifest_duplicate", ["reviewer", rv.id], field: rv.id)
            }
            if rv.name.trimmingCharacters(in: .whitespaces).isEmpty {
                add(.reviewer(i), "sample.manifest_empty_text", ["name"], field: rv.id)
            }
        }
        var applicantIds = Set<String>()
        for (i, a) in applicants.enumerated() {
            if !isValidNodeId(a.id) {
                add(.applicant(i), "sample.manifest_bad_id", ["applicant", a.id], field: a.id)
            } else if !applicantIds.insert(a.id).inserted {
                add(.applicant(i), "sample.manifest_duplicate", ["applicant", a.id], field: a.id)
            }
            if a.name.trimmingCharacters(in: .whitespaces).isEmpty {
                add(.applicant(i), "sample.manifest_empty_text", ["name"], field: a.id)
            }
            if let r, let industry = a.industry {
                if let table = r.industries {
                    if table.industry(industry) == nil {
                        add(.applicant(i), "sample.manifest_unknown_industry",
                            [industry, a.id, table.rows.map(\.name).joined(separator: "、")], field: a.id)
                    }
                } else {
                    add(.applicant(i), "sample.manifest_no_industries", [a.id, r.id], field: a.id)
                }
            }
        }
        var pairs = Set<String>()
        for (i, rc) in recusals.enumerated() {
            if !reviewerIds.contains(rc.reviewer) {
                add(.recusal(i), "sample.manifest_recusal_unknown", ["reviewer", rc.reviewer], field: rc.reviewer)
            }
            if !applicantIds.contains(rc.applicant) {
                add(.recusal(i), "sample.manifest_recusal_unknown", ["applicant", rc.applicant], field: rc.applicant)
            }
            if !pairs.insert(rc.reviewer + "\u{0}" + rc.applicant).inserted {
                add(.recusal(i), "sample.manifest_recusal_duplicate", [rc.reviewer, rc.applicant], field: rc.reviewer)
            }
            if rc.reason.trimmingCharacters(in: .whitespaces).isEmpty {
                add(.recusal(i), "sample.manifest_empty_text", ["reason"], field: rc.reviewer)
            }
        }
        if let r {
            if r.id != rubric {
                add(.field("rubric"), "sample.manifest_rubric_mismatch", [rubric, r.id], field: "rubric")
            }
            if let variant, r.variant(variant) == nil {
                let known = r.eligibility.map(\.id).joined(separator: ", ")
                add(.field("variant"), "sample.manifest_unknown_variant", [variant, r.id, known.isEmpty ? "—" : known],
                    field: "variant")
            }
        }
        return out
    }

    /// The manifest as YAML (the format `ManifestLoader` reads). `header` lines are written as comments.
    public func yamlText(header: [String] = []) -> String {
        var lines = header.map { $0.isEmpty ? "#" : "# \($0)" }
        lines.append("panel: \(YAMLText.scalar(panel))")
        lines.append("rubric: \(YAMLText.scalar(rubric))")
        lines.append("title: \(YAMLText.scalar(title))")
        lines.append("round: \(YAMLText.scalar(round))")
        if let variant { lines.append("variant: \(YAMLText.scalar(variant))") }
        if let method { lines.append("method: \(YAMLText.scalar(method.rawValue))") }
        if let quorum { lines.append("quorum: \(quorum)") }
        if let view { lines.append("view: \(YAMLText.scalar(view.rawValue))") }
        lines.append(reviewers.isEmpty ? "reviewers: []" : "reviewers:")
        for rv in reviewers {
            lines.append("  - " + YAMLText.flow([("id", rv.id), ("name", rv.name)]))
        }
        lines.append(applicants.isEmpty ? "applicants: []" : "applicants:")
        for a in applicants {
            var fields = [("id", a.id), ("name", a.name)]
            if let industry = a.industry { fields.append(("industry", industry)) }
            lines.append("  - " + YAMLText.flow(fields))
        }
        lines.append(recusals.isEmpty ? "recusals: []" : "recusals:")
        for rc in recusals {
            lines.append("  - " + YAMLText.flow([("reviewer", rc.reviewer), ("applicant", rc.applicant), ("reason", rc.reason)]))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Writing YAML scalars safely: plain where YAML reads the text back unchanged as a string, double-quoted
/// otherwise.
enum YAMLText {
    /// Words YAML 1.1/1.2 readers may take for booleans or null.
    private static let reserved: Set<String> = ["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"]

    static func scalar(_ s: String) -> String {
        needsQuotes(s) ? quoted(s) : s
    }

    static func flow(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\($0.0): \(scalar($0.1))" }.joined(separator: ", ") + "}"
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += String(format: "\\x%02X", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    static func needsQuotes(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return true }
        if first == " " || last == " " { return true }
        if reserved.contains(s.lowercased()) { return true }
        if looksNumeric(s) { return true }
        let indicators: Set<Unicode.Scalar> = ["-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">",
                                               "'", "\"", "%", "@", "`"]
        if indicators.contains(first) { return true }
        for u in s.unicodeScalars {
            // Flow context: commas and brackets end a plain scalar; control characters need escapes.
            if u == "," || u == "[" || u == "]" || u == "{" || u == "}" || u == "#" || u == ":" { return true }
            if u.value < 0x20 || u.value == 0x7F || u == "\u{FEFF}" { return true }
        }
        return false
    }

    /// True for text a YAML reader may resolve to a number (1.1 or 1.2 forms: signs, dots, exponents,
    /// underscores, 0x/0o/0b, .inf, .nan).
    static func looksNumeric(_ s: String) -> Bool {
        var t = Substring(s.lowercased())
        if t.hasPrefix("+") || t.hasPrefix("-") { t = t.dropFirst() }
        if [".inf", ".nan"].contains(String(t)) { return true }
        if t.hasPrefix("0x") || t.hasPrefix("0o") || t.hasPrefix("0b") { return true }
        guard let first = t.unicodeScalars.first, ("0"..."9").contains(first) || first == "." else { return false }
        return t.unicodeScalars.allSatisfy { u in
            ("0"..."9").contains(u) || u == "." || u == "_" || u == "e" || u == "+" || u == "-"
        } && t.unicodeScalars.contains { ("0"..."9").contains($0) }
    }
}
