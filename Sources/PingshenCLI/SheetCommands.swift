import ArgumentParser
import Foundation
import PingshenCore
import PingshenStore

/// `--reviewer R --applicant A`: which sheet.
struct SheetKeyOptions: ParsableArguments {
    @Option(help: "Reviewer id.") var reviewer: String
    @Option(help: "Applicant id.") var applicant: String
}

struct SheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sheet", abstract: "Show, submit and reopen score sheets.",
        subcommands: [SheetShow.self, SheetSubmit.self, SheetReopen.self])
}

// MARK: - sheet show

struct SheetNodeJSON: Encodable {
    var id: String
    var name: String
    var level: Int
    var parent: String?
    var weight: Double
    var input: String?
    var points: Double?
    var value: Double?
    var note: String?
    var provisional: Bool
}

struct SheetJSON: Encodable {
    var panel: String
    var rubric: String
    var round: String
    var reviewer: String
    var applicant: String
    var submitted: Bool
    var recused: Bool
    var total: Double
    var max: Double
    var complete: Bool
    var missing: [String]
    var provisional: Bool
    var provisionalContributors: [String]
    var nodes: [SheetNodeJSON]

    enum CodingKeys: String, CodingKey {
        case panel, rubric, round, reviewer, applicant, submitted, recused, total, max, complete, missing, provisional, nodes
        case provisionalContributors = "provisional_contributors"
    }
}

/// Ids of provisional contributors and every node above them.
func provisionalMarks(_ rubric: Rubric, _ score: SheetScore) -> Set<String> {
    var marks = Set<String>()
    for id in score.provisionalContributors {
        for n in rubric.path(to: id) ?? [] { marks.insert(n.id) }
    }
    return marks
}

struct SheetShow: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a sheet: per-indicator points, subtotals per level and the total.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @OptionGroup var key: SheetKeyOptions
    @Option(help: "Round (default: the panel's current round).") var round: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let ctx = try env.panelContext(store, panel)
        guard let reviewer = try store.reviewers(panel: panel).first(where: { $0.id == key.reviewer }) else {
            throw PingshenError("store.no_reviewer", [panel, key.reviewer])
        }
        guard let applicant = try store.applicants(panel: panel).first(where: { $0.id == key.applicant }) else {
            throw PingshenError("store.no_applicant", [panel, key.applicant])
        }
        let roundName = round ?? ctx.panel.round
        let sheet = try store.sheet(panel: panel, reviewer: reviewer.id, applicant: applicant.id, round: roundName)
        let data = try store.applicantData(panel: panel, applicant: applicant.id)
        let recused = try store.isRecused(panel: panel, reviewer: reviewer.id, applicant: applicant.id)
        let score = scoreSheet(rubric: ctx.rubric, points: sheet?.points ?? [:], data: data)
        let marks = provisionalMarks(ctx.rubric, score)
        let notes = sheet?.notes ?? [:]

        if json {
            let nodes = ctx.rubric.nodesWithPath.map { n, path in
                SheetNodeJSON(id: n.id, name: n.displayName(env.lang), level: path.count + 1, parent: path.last?.id,
                              weight: n.weight, input: n.input?.rawValue,
                              points: n.isLeaf ? (score.leafPoints[n.id] ?? nil) : score.nodeTotals[n.id],
                              value: n.isLeaf ? data.values[n.id] : nil, note: notes[n.id], provisional: marks.contains(n.id))
            }
            Console.out(try jsonText(SheetJSON(
                panel: panel, rubric: ctx.rubric.id, round: roundName, reviewer: reviewer.id, applicant: applicant.id,
                submitted: sheet?.submitted ?? false, recused: recused, total: roundTo(score.total), max: ctx.rubric.total,
                complete: score.isComplete, missing: score.missing, provisional: score.usesProvisional,
                provisionalContributors: score.provisionalContributors, nodes: nodes)))
            return
        }
        var out = [env.t("store.sheet_title", panel, roundName, reviewer.id, reviewer.name, applicant.id, applicant.name)]
        out.append("\(env.t("store.h.rubric"))：\(ctx.rubric.displayName(env.lang))（\(ctx.rubric.id)）")
        out.append("")
        var t = TextTable(headers: [env.t("h.indicator"), env.t("h.weight"), env.t("store.h.points"),
                                    env.t("store.h.value"), env.t("store.h.note")], rightAligned: [1, 2])
        for (n, path) in ctx.rubric.nodesWithPath {
            let indent = String(repeating: "  ", count: path.count)
            let star = marks.contains(n.id) ? " *" : ""
            let pts: String
            var value = ""
            if n.isLeaf {
                pts = (score.leafPoints[n.id] ?? nil).map { formatNumber($0) + star } ?? env.t("store.missing_tag")
                if n.input == .value {
                    value = data.values[n.id].map { formatNumber($0, decimals: 4) + (n.unit ?? "") } ?? env.t("store.missing_tag")
                }
            } else {
                pts = formatNumber(score.nodeTotals[n.id] ?? 0) + star
            }
            t.rows.append(["\(indent)\(truncate(n.displayName(env.lang), 36))  [\(n.id)]", formatNumber(n.weight), pts,
                           value, notes[n.id].map { truncate($0, 30) } ?? ""])
        }
        out.append(t.render())
        out.append("")
        out.append(env.t("store.sheet_total", formatNumber(score.total), formatNumber(ctx.rubric.total)))
        if !score.missing.isEmpty {
            out.append(env.t("store.sheet_missing", String(score.missing.count), score.missing.joined(separator: ", ")))
        }
        out.append(env.t((sheet?.submitted ?? false) ? "store.sheet_state_submitted" : "store.sheet_state_open"))
        if recused { out.append("※ " + env.t("store.sheet_recused")) }
        if score.usesProvisional { out.append("* " + env.t("provisional.notice")) }
        Console.out(out.joined(separator: "\n"))
    }
}

// MARK: - sheet submit / reopen

struct SheetSubmit: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Declare a sheet complete; it then changes only through sheet reopen.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @OptionGroup var key: SheetKeyOptions

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let ctx = try env.panelContext(store, panel)
        _ = try requireScorable(ctx, reviewer: key.reviewer, applicant: key.applicant)
        let sheet = try store.sheet(panel: panel, reviewer: key.reviewer, applicant: key.applicant)
        let missing = missingPointsLeaves(ctx, sheet)
        if !missing.isEmpty {
            throw PingshenError("store.line_incomplete", [key.reviewer, key.applicant, missing.joined(separator: ", ")])
        }
        try store.submit(panel: panel, reviewer: key.reviewer, applicant: key.applicant,
                         actor: actor.resolve(fallback: key.reviewer))
        let data = try store.applicantData(panel: panel, applicant: key.applicant)
        let score = scoreSheet(rubric: ctx.rubric, points: sheet?.points ?? [:], data: data)
        Console.out(env.t("store.submitted_done", key.reviewer, key.applicant, ctx.panel.round, formatNumber(score.total)))
    }
}

struct SheetReopen: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "reopen", abstract: "Reopen a submitted sheet for changes (the reason is logged).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @OptionGroup var key: SheetKeyOptions
    @Option(help: "Why the sheet is reopened (required, logged).") var reason: String

    func execute(_ env: Env) throws {
        let why = try checkText(reason, kind: env.t("store.h.reason"), max: 500)
        let store = try env.openStore()
        let p = try store.panel(panel)
        try store.reopen(panel: panel, reviewer: key.reviewer, applicant: key.applicant, reason: why, actor: actor.resolve())
        Console.out(env.t("store.reopened_done", key.reviewer, key.applicant, p.round, why))
    }
}

// MARK: - status

struct StatusSheetJSON: Encodable {
    var reviewer: String
    var state: String
    var scored: Int
    var leaves: Int
    var missing: [String]
}

struct StatusApplicantJSON: Encodable {
    var id: String
    var name: String
    var missingData: [String]
    var sheets: [StatusSheetJSON]
    enum CodingKeys: String, CodingKey {
        case id, name, sheets
        case missingData = "missing_data"
    }
}

struct StatusReviewerJSON: Encodable {
    var id: String
    var name: String
    var submitted: Int
    var complete: Int
    var inProgress: Int
    var notStarted: Int
    var recused: Int
    enum CodingKeys: String, CodingKey {
        case id, name, submitted, complete, recused
        case inProgress = "in_progress"
        case notStarted = "not_started"
    }
}

struct StatusJSON: Encodable {
    var panel: String
    var rubric: String
    var round: String
    var sealed: Bool
    var expected: Int
    var submitted: Int
    var recused: Int
    var reviewers: [StatusReviewerJSON]
    var applicants: [StatusApplicantJSON]
}

struct StatusCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Who has scored what in the current round, and what is missing.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(help: "Round (default: the panel's current round).") var round: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let ctx = try env.panelContext(store, panel)
        let roundName = round ?? ctx.panel.round
        let reviewers = try store.reviewers(panel: panel)
        let applicants = try store.applicants(panel: panel)
        let recused = Set(try store.recusals(panel: panel).map { $0.reviewer + "\u{1F}" + $0.applicant })
        var sheets: [String: SheetSummary] = [:]
        for s in try store.sheetSummaries(panel: panel, round: roundName) { sheets[s.reviewer + "\u{1F}" + s.applicant] = s }
        let data = try store.allData(panel: panel)
        // A panel with an assignment (issue 11) expects sheets only for assigned pairs.
        let assigned = Set(try store.assignments(panel: panel).map { $0.reviewer + "\u{1F}" + $0.applicant })
        let leaves = ctx.pointsLeaves.map(\.id)
        var needed = ctx.rubric.leaves.filter { $0.input == .value }.map(\.id)
        for g in ctx.rubric.variant(ctx.panel.variant)?.gates ?? [] where !needed.contains(g.field) { needed.append(g.field) }

        var reviewerJSON = reviewers.map {
            StatusReviewerJSON(id: $0.id, name: $0.name, submitted: 0, complete: 0, inProgress: 0, notStarted: 0, recused: 0)
        }
        var applicantJSON: [StatusApplicantJSON] = []
        var expected = 0, submitted = 0
        for a in applicants {
            let missingData = needed.filter { data[a.id]?.values[$0] == nil }
            var row = StatusApplicantJSON(id: a.id, name: a.name, missingData: missingData, sheets: [])
            for (i, r) in reviewers.enumerated() {
                let k = r.id + "\u{1F}" + a.id
                let s = sheets[k]
                let missing = leaves.filter { !(s?.scored.contains($0) ?? false) }
                let state: String
                if recused.contains(k) {
                    state = "recused"
                    reviewerJSON[i].recused += 1
                } else if !assigned.isEmpty && !assigned.contains(k) && s == nil {
                    state = "unassigned"
                } else if s?.submitted == true {
                    state = "submitted"
                    reviewerJSON[i].submitted += 1
                } else if s != nil && missing.isEmpty {
                    state = "complete"
                    reviewerJSON[i].complete += 1
                } else if let s, !s.scored.isEmpty {
                    state = "in_progress"
                    reviewerJSON[i].inProgress += 1
                } else {
                    state = "not_started"
                    reviewerJSON[i].notStarted += 1
                }
                if state != "recused" && state != "unassigned" { expected += 1 }
                if state == "submitted" { submitted += 1 }
                row.sheets.append(StatusSheetJSON(reviewer: r.id, state: state, scored: leaves.count - missing.count,
                                                  leaves: leaves.count, missing: missing))
            }
            applicantJSON.append(row)
        }
        if json {
            Console.out(try jsonText(StatusJSON(panel: panel, rubric: ctx.rubric.id, round: roundName,
                                                sealed: ctx.panel.sealedAt != nil, expected: expected, submitted: submitted,
                                                recused: recused.count, reviewers: reviewerJSON, applicants: applicantJSON)))
            return
        }
        var out = [env.t("store.status_title", panel, ctx.panel.title, roundName, ctx.rubric.id)]
        if ctx.panel.sealedAt != nil { out.append("[\(env.t("store.sealed_tag"))]") }
        out.append("")
        var t = TextTable(headers: [env.t("store.h.applicants")] + reviewers.map(\.id) + [env.t("store.h.missing_data")],
                          rightAligned: Set(1...max(1, reviewers.count)))
        for a in applicantJSON {
            var cells = [a.id]
            for s in a.sheets {
                switch s.state {
                case "recused": cells.append(env.t("store.state.recused"))
                case "unassigned": cells.append("")
                case "submitted": cells.append("✓")
                case "complete": cells.append("●")
                case "in_progress": cells.append("\(s.scored)/\(s.leaves)")
                default: cells.append("·")
                }
            }
            cells.append(a.missingData.isEmpty ? "" : truncate(a.missingData.joined(separator: ", "), 50))
            t.rows.append(cells)
        }
        out.append(t.render())
        out.append("")
        out.append(env.t("store.status_legend"))
        out.append(env.t("store.status_done", String(submitted), String(expected), String(recused.count)))
        Console.out(out.joined(separator: "\n"))
    }
}

// MARK: - audit

struct AuditCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show a panel's audit log; --check verifies its hash chain.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Flag(name: .long, help: "Print JSON.") var json = false
    @Flag(name: .long, help: "Verify the hash chain instead (exit 1 when a row was altered).") var check = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        if check {
            let v = try store.verifyAuditChain(panel: panel)
            if let problem = v.problem { throw problem }
            Console.out(env.t("store.audit_ok", panel, String(v.rows)))
            return
        }
        let log = try store.auditLog(panel: panel)
        if json {
            Console.out(try jsonText(log))
            return
        }
        var t = TextTable(headers: ["#", env.t("store.h.when"), env.t("store.h.actor"), env.t("store.h.entity"),
                                    env.t("store.h.field"), env.t("store.h.change"), env.t("store.h.reason")],
                          rightAligned: [0])
        for e in log {
            t.rows.append([String(e.pseq), displayTime(e.at), e.actor, e.entity, e.field ?? "",
                           "\(truncate(e.old ?? "∅", 24)) → \(truncate(e.new ?? "∅", 24))", e.reason ?? ""])
        }
        Console.out(t.render())
    }
}
