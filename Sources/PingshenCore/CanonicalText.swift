import Foundation

/// The canonical text of a panel's inputs: everything the results are computed from (the panel's
/// rubric and aggregation settings, reviewers, applicants, verified data, every sheet of every round,
/// recusals), one record a line, in a fixed order, numbers in a fixed form. Its SHA-256 is the panel's
/// input digest: the store computes it when sealing and `verify` recomputes it from the stored rows.
///
/// Format (version 1): the first line is `pingshen-inputs 1`; then tab-separated records
///
///     panel      ID RUBRIC VARIANT METHOD QUORUM VIEW
///     reviewer   ID NAME
///     applicant  ID NAME INDUSTRY
///     data       APPLICANT KEY VALUE
///     recusal    REVIEWER APPLICANT REASON
///     sheet      ROUND REVIEWER APPLICANT SUBMITTED(0|1)
///     point      ROUND REVIEWER APPLICANT LEAF POINTS
///     note       ROUND REVIEWER APPLICANT LEAF TEXT
///
/// sorted by their ids (Unicode scalar order). A missing value is `\N`; backslash, tab, carriage
/// return and line feed inside a field are written `\\`, `\t`, `\r`, `\n`. Numbers are written with at
/// most 6 decimals, trailing zeros dropped.
public func canonicalInputText(_ s: PanelSnapshot) -> String {
    var lines = ["pingshen-inputs 1"]
    func rec(_ fields: [String?]) {
        lines.append(fields.map(canonicalField).joined(separator: "\t"))
    }
    func num(_ v: Double) -> String { canonicalNumber(v) }
    func scalarOrder(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }
    let p = s.panel
    rec(["panel", p.id, p.rubricId, p.variant, p.method?.rawValue, p.quorum.map(String.init), p.view?.rawValue])
    for r in s.reviewers.sorted(by: { scalarOrder($0.id, $1.id) }) { rec(["reviewer", r.id, r.name]) }
    for a in s.applicants.sorted(by: { scalarOrder($0.id, $1.id) }) { rec(["applicant", a.id, a.name, a.industry]) }
    for a in s.data.keys.sorted(by: scalarOrder) {
        guard let d = s.data[a] else { continue }
        for k in d.values.keys.sorted(by: scalarOrder) {
            if let v = d.values[k] { rec(["data", a, k, num(v)]) }
        }
    }
    let recusals = s.recusals.sorted {
        $0.reviewer != $1.reviewer ? scalarOrder($0.reviewer, $1.reviewer) : scalarOrder($0.applicant, $1.applicant)
    }
    for r in recusals { rec(["recusal", r.reviewer, r.applicant, r.reason]) }
    let sheets = s.sheets.sorted {
        if $0.round != $1.round { return scalarOrder($0.round, $1.round) }
        if $0.reviewer != $1.reviewer { return scalarOrder($0.reviewer, $1.reviewer) }
        return scalarOrder($0.applicant, $1.applicant)
    }
    for sh in sheets {
        rec(["sheet", sh.round, sh.reviewer, sh.applicant, sh.submitted ? "1" : "0"])
        for leaf in sh.points.keys.sorted(by: scalarOrder) {
            if let v = sh.points[leaf] { rec(["point", sh.round, sh.reviewer, sh.applicant, leaf, num(v)]) }
        }
        for leaf in sh.notes.keys.sorted(by: scalarOrder) {
            if let n = sh.notes[leaf] { rec(["note", sh.round, sh.reviewer, sh.applicant, leaf, n]) }
        }
    }
    return lines.joined(separator: "\n") + "\n"
}

/// A number in canonical records and the audit log: at most 6 decimals, trailing zeros dropped — the
/// same text as `formatNumber(v, decimals: 6)`, without going through `String(format:)` (this runs
/// once per stored score when a panel is digested).
public func canonicalNumber(_ v: Double) -> String {
    guard v.isFinite, abs(v) < 1e9 else { return formatNumber(v, decimals: 6) }
    var n = Int64((v * 1_000_000).rounded())
    if n == 0 { return "0" }
    let negative = n < 0
    if negative { n = -n }
    var s = negative ? "-" : ""
    s += String(n / 1_000_000)
    let frac = n % 1_000_000
    if frac != 0 {
        var digits = String(frac)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        s += "." + digits
    }
    return s
}

/// One field of a canonical record: `\N` for none, escapes for the separators.
public func canonicalField(_ value: String?) -> String {
    guard let value else { return "\\N" }
    if !value.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { return value }
    var out = ""
    out.reserveCapacity(value.utf8.count)
    for ch in value.unicodeScalars {
        switch ch {
        case "\\": out += "\\\\"
        case "\t": out += "\\t"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out
}
