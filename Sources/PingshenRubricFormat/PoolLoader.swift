import Foundation
import PingshenCore
import Yams

/// Reads an expert pool in its YAML form (format in Samples/README.md, "The expert pool"):
///
///     experts:
///       - id: e0001
///         name: 张明远
///         organization: 青岚精密机械研究院
///         kind: 技术
///         fields: [智能制造, 机械]
///         title: 正高级工程师
///         region: 江苏
///         available: 是
///         ties: [{target: 澄江装备集团, reason: 曾任该集团技术顾问}]
///
/// Strict as the other loaders: unknown keys and wrong types are refused with their line; the rows are
/// then checked by `checkPoolRows`, exactly as CSV rows are.
public enum PoolLoader {
    static let keys: Set<String> = ["id", "name", "organization", "kind", "fields", "title", "region", "available", "ties"]

    public static func parse(_ text: String, file: String, kinds: [String]? = nil) -> Result<[Expert], PingshenErrors> {
        let r = YAMLReader(file: file)
        guard let root = r.compose(text) else {
            if r.problems.isEmpty { r.fail(nil, "pool.empty", []) }
            return .failure(PingshenErrors(r.problems))
        }
        guard let top = r.mapping(root, allowed: ["experts"], context: "pool") else { return .failure(PingshenErrors(r.problems)) }
        if top["experts"] == nil { r.fail(root, "rubric.missing_key", ["experts", "pool"], field: "experts") }
        var rows: [PoolRow] = []
        for n in r.sequence(top["experts"], key: "experts") ?? [] {
            guard let m = r.mapping(n, allowed: keys, context: "expert") else { continue }
            var row = PoolRow(line: n.line ?? 1)
            for k in keys { if let v = m[k], let l = v.line { row.fieldLines[k] = l } }
            row.id = r.string(m, "id", context: "expert")
            row.name = r.string(m, "name", context: "expert")
            row.organization = r.string(m, "organization", context: "expert")
            row.kind = r.string(m, "kind", context: "expert")
            row.title = r.string(m, "title", context: "expert")
            row.region = r.string(m, "region", context: "expert")
            row.available = r.string(m, "available", context: "expert")
            if let f = m["fields"] {
                if case .scalar(let s) = f { row.fields = splitPoolList(s.string) } else { row.fields = r.strings(m, "fields") ?? [] }
            }
            for t in r.sequence(m["ties"], key: "ties") ?? [] {
                switch t {
                case .scalar(let s):
                    row.ties.append(s.string)
                case .mapping:
                    guard let tm = r.mapping(t, allowed: ["target", "reason"], context: "ties"),
                          let target = r.string(tm, "target", required: true, context: "ties") else { continue }
                    let reason = r.string(tm, "reason", context: "ties")
                    row.ties.append(reason.map { "\(target)：\($0)" } ?? target)
                default:
                    r.fail(t, "rubric.bad_type", ["ties", "text or {target, reason}"], field: "ties")
                }
            }
            rows.append(row)
        }
        if !r.problems.isEmpty { return .failure(PingshenErrors(r.problems)) }
        return checkPoolRows(rows, file: file, kinds: kinds)
    }

    /// Writes experts in the YAML form (values double-quoted).
    public static func write(_ experts: [Expert]) -> String {
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        var out = "experts:\n"
        for e in experts {
            out += "  - id: \(q(e.id))\n    name: \(q(e.name))\n    organization: \(q(e.organization))\n    kind: \(q(e.kind))\n"
            out += "    fields: [\(e.fields.map(q).joined(separator: ", "))]\n"
            if let t = e.title { out += "    title: \(q(t))\n" }
            if let g = e.region { out += "    region: \(q(g))\n" }
            out += "    available: \(q(e.available ? "是" : "否"))\n"
            if !e.ties.isEmpty {
                out += "    ties:\n"
                for t in e.ties {
                    out += "      - {target: \(q(t.target))\(t.reason.map { ", reason: \(q($0))" } ?? "")}\n"
                }
            }
        }
        return out
    }
}
