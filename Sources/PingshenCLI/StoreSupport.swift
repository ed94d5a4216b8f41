import ArgumentParser
import Foundation
import PingshenCore
import PingshenStore

/// `--actor NAME`: who makes a change, for the audit log.
struct ActorOption: ParsableArguments {
    @Option(name: .customLong("actor"), help: "Who makes the change, for the audit log (default: $USER).")
    var name: String?

    /// The actor: `--actor`, else `fallback` (a reviewer acting on their own sheet), else $USER, else "unknown".
    func resolve(fallback: String? = nil) -> String {
        if let name, !name.isEmpty { return name }
        if let fallback { return fallback }
        let user = ProcessInfo.processInfo.environment["USER"] ?? ""
        return user.isEmpty ? "unknown" : user
    }
}

extension Env {
    /// Opens the store at `dbPath`; only `panel create` may create the file.
    func openStore(create: Bool = false) throws -> PanelStore {
        try PanelStore(path: dbPath, create: create)
    }

    /// A panel with its rubric, loaded from the rubric directory.
    func panelContext(_ store: PanelStore, _ id: String) throws -> PanelContext {
        let panel = try store.panel(id)
        let rubric = try panelRubric(store, panel)
        return PanelContext(store: store, panel: panel, rubric: rubric, index: RubricIndex(rubric))
    }
}

struct PanelContext {
    var store: PanelStore
    var panel: PanelInfo
    var rubric: Rubric
    var index: RubricIndex

    /// The leaves a reviewer gives points to, in rubric order.
    var pointsLeaves: [RubricNode] { rubric.leaves.filter { $0.input != .value } }
}

/// Ids of panels, reviewers and applicants: one ASCII token, as in the line format.
func checkId(_ value: String, kind: String) throws {
    guard !value.isEmpty, value.utf8.count <= 64, value.unicodeScalars.allSatisfy(isIdScalar) else {
        throw PingshenError("store.bad_id", [kind, value])
    }
}

private func isIdScalar(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x5F, 0x2E: return true
    default: return false
    }
}

/// Names, titles and reasons: one line of text.
func checkText(_ value: String, kind: String, max: Int = 200) throws -> String {
    let t = value.trimmingCharacters(in: .whitespaces)
    guard !t.isEmpty, t.count <= max, !t.contains(where: { $0.isNewline }), !t.unicodeScalars.contains(where: { $0.value == 0 })
    else { throw PingshenError("store.bad_text", [kind, String(max)]) }
    return t
}

/// Reads a line-format file as UTF-8 bytes (the parser checks the encoding line by line): a GB18030 file is
/// converted, with a notice (see `InputEncoding`).
func readLineFileBytes(_ path: String, _ env: Env) throws -> [UInt8] {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
        throw PingshenError("cli.is_directory", [path])
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw PingshenError("cli.file_missing", [path])
    }
    let (bytes, from) = InputDecoder.utf8Bytes([UInt8](data), encoding: env.inputEncoding)
    if let from { Console.err(env.t("cli.read_as_encoding", path, from)) }
    return bytes
}

/// Missing points leaves of a sheet, in rubric order.
func missingPointsLeaves(_ ctx: PanelContext, _ sheet: SheetRecord?) -> [String] {
    ctx.pointsLeaves.map(\.id).filter { sheet?.points[$0] == nil }
}

/// Refuses early, with the store's messages, what the store would refuse for a reviewer's sheet: a
/// sealed panel, an unknown reviewer or applicant, a recused reviewer. Returns the two members.
func requireScorable(_ ctx: PanelContext, reviewer: String, applicant: String) throws -> (ReviewerInfo, ApplicantInfo) {
    if let at = ctx.panel.sealedAt {
        throw PingshenError("store.sealed", [ctx.panel.id, at, ctx.panel.sealedBy ?? "?"])
    }
    guard let r = try ctx.store.reviewers(panel: ctx.panel.id).first(where: { $0.id == reviewer }) else {
        throw PingshenError("store.no_reviewer", [ctx.panel.id, reviewer])
    }
    guard let a = try ctx.store.applicants(panel: ctx.panel.id).first(where: { $0.id == applicant }) else {
        throw PingshenError("store.no_applicant", [ctx.panel.id, applicant])
    }
    if try ctx.store.isRecused(panel: ctx.panel.id, reviewer: reviewer, applicant: applicant) {
        throw PingshenError("store.recused", [reviewer, applicant])
    }
    try ctx.store.requireAssigned(panel: ctx.panel.id, reviewer: reviewer, applicant: applicant)
    return (r, a)
}
