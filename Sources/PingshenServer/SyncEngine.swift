import Foundation
import PingshenAudit
import PingshenCore
import PingshenWire

/// One sheet as stored: points and notes by leaf, and the submitted flag.
struct SheetState: Sendable {
    var points: [String: Double] = [:]
    var notes: [String: String] = [:]
    var submitted = false
}

/// What an accepted change does to its sheet, with the old and new values for the audit log.
struct SheetEffect: Sendable {
    enum Kind: Sendable {
        case points(leaf: String, value: Double?)
        case note(leaf: String, text: String?)
        case submitted(Bool)
    }
    var kind: Kind
    var old: String?
    var new: String?

    func applyTo(_ s: inout SheetState) {
        switch kind {
        case .points(let leaf, let value): s.points[leaf] = value
        case .note(let leaf, let text): s.notes[leaf] = text
        case .submitted(let flag): s.submitted = flag
        }
    }
}

enum Outcome: Sendable {
    case apply(SheetEffect)
    case refused(String, [String])
}

/// The rules of a change, the same on every backend. Changes are evaluated one after another in the
/// server's receive order: for the same reviewer, applicant, round and leaf the last one received wins
/// (last-writer-wins by the server's clock); every accepted write is in the audit log.
struct SyncEngine: Sendable {
    var panel: PanelSummary
    var rubric: RubricLeaves
    var applicants: Set<String>
    var principal: Principal
    /// Checks and number texts repeat (a rubric has few distinct point values): computed once per group.
    var memo = EngineMemo()

    func evaluate(_ c: Change, sheet: SheetState) -> Outcome {
        if panel.sealed { return .refused("server.change.sealed", [panel.id]) }
        guard ChangeKind.clientKinds.contains(c.kind) else { return .refused("server.change.kind", [c.kind.rawValue]) }
        if c.round != panel.round { return .refused("server.change.round", [c.round, panel.round]) }
        guard applicants.contains(c.applicant) else { return .refused("server.change.applicant", [c.applicant, panel.id]) }
        if (c.reason?.count ?? 0) > ChangeLimits.reason {
            return .refused("server.change.too_long", ["reason", String(ChangeLimits.reason)])
        }
        switch c.kind {
        case .setPoints, .clearPoints, .setNote:
            guard let leafId = c.leaf, let leaf = rubric.leaves[leafId] else {
                return .refused("server.change.leaf", [c.leaf ?? "", panel.rubricId])
            }
            if sheet.submitted { return .refused("server.change.submitted", [c.applicant]) }
            switch c.kind {
            case .setPoints:
                if leaf.input == .value { return .refused("server.change.value_leaf", [leafId]) }
                guard let v = c.value else { return .refused("server.change.no_value", [leafId]) }
                if let e = memo.validation(v, leaf) { return .refused(e.key, e.args) }
                return .apply(SheetEffect(kind: .points(leaf: leafId, value: v), old: sheet.points[leafId].map { memo.text($0) },
                                          new: memo.text(v)))
            case .clearPoints:
                return .apply(SheetEffect(kind: .points(leaf: leafId, value: nil), old: sheet.points[leafId].map { memo.text($0) },
                                          new: nil))
            default:
                let text = (c.note?.isEmpty ?? true) ? nil : c.note
                if (text?.count ?? 0) > ChangeLimits.note {
                    return .refused("server.change.too_long", ["note", String(ChangeLimits.note)])
                }
                return .apply(SheetEffect(kind: .note(leaf: leafId, text: text), old: sheet.notes[leafId], new: text))
            }
        case .submit:
            if sheet.submitted { return .refused("server.change.already_submitted", [c.applicant]) }
            let missing = rubric.pointsLeafIds.filter { sheet.points[$0] == nil }
            if !missing.isEmpty {
                return .refused("server.change.incomplete", [String(missing.count), missing.prefix(5).joined(separator: ", ")])
            }
            return .apply(SheetEffect(kind: .submitted(true), old: "0", new: "1"))
        case .reopen:
            if !sheet.submitted { return .refused("server.change.not_submitted", [c.applicant]) }
            guard let reason = c.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                return .refused("server.change.reason_required", [])
            }
            return .apply(SheetEffect(kind: .submitted(false), old: "1", new: "0"))
        default:
            return .refused("server.change.kind", [c.kind.rawValue])
        }
    }

    /// What identifies a change's content: a retry must carry the very same content under its id.
    static func digest(_ c: Change) -> String {
        let fields: [String?] = [c.changeId, c.device, c.kind.rawValue, c.reviewer, c.applicant, c.round, c.leaf,
                                 c.value.map { String($0) }, c.note, c.reason, c.clientTime]
        return sha256Hex(fields.map { $0 ?? "\u{0}" }.joined(separator: "\u{1F}"))
    }
}

/// Memoized `validatePoints` and `formatNumber` for one group commit.
final class EngineMemo: @unchecked Sendable {
    private var checks: [String: PingshenError?] = [:]
    private var texts: [Double: String] = [:]

    func validation(_ v: Double, _ leaf: RubricNode) -> PingshenError? {
        let key = "\(leaf.id)\u{1F}\(v.bitPattern)"
        if let hit = checks[key] { return hit }
        let r = validatePoints(v, for: leaf)
        checks[key] = .some(r)
        return r
    }

    func text(_ v: Double) -> String {
        if let hit = texts[v] { return hit }
        let t = formatNumber(v)
        texts[v] = t
        return t
    }
}
