import ArgumentParser
import Foundation
import PingshenCore
import PingshenStore

struct ScoreCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score one applicant, indicator by indicator (every accepted line is saved at once).",
        discussion: """
            Keys: a number scores the indicator; Enter keeps the current value; ? help; b back; g ID jump; \
            n add a note; l list progress; w running total; q leave. Prompts go to standard error, so the \
            session works the same with piped input; end of input leaves cleanly.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @OptionGroup var key: SheetKeyOptions
    @Option(help: "Also keep the sheet in this line-format file (rewritten after every accepted line).") var save: String?
    @Flag(name: .long, help: .hidden) var timing = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let ctx = try env.panelContext(store, panel)
        let (reviewer, applicant) = try requireScorable(ctx, reviewer: key.reviewer, applicant: key.applicant)
        let sheet = try store.sheet(panel: panel, reviewer: reviewer.id, applicant: applicant.id)
        if sheet?.submitted == true {
            throw PingshenError("store.submitted", [reviewer.id, applicant.id, ctx.panel.round])
        }
        let session = ScoreSession(
            env: env, ctx: ctx, reviewer: reviewer, applicant: applicant, sheet: sheet,
            data: try store.applicantData(panel: panel, applicant: applicant.id),
            dataNotes: try store.dataNotes(panel: panel, applicant: applicant.id),
            actor: actor.resolve(fallback: reviewer.id), saveFile: save)
        session.run()
        if timing { session.printTiming() }
    }
}

/// The interactive scoring session: walks the rubric's leaves in order, shows each, asks for points
/// on `points` leaves, and commits every accepted line (one transaction) before the next prompt.
/// Everything it prints goes to standard error; the closing summary goes to standard output.
final class ScoreSession {
    let env: Env
    let ctx: PanelContext
    let reviewer: ReviewerInfo
    let applicant: ApplicantInfo
    let data: ApplicantData
    let dataNotes: [String: String]
    let actor: String
    let saveFile: String?
    let leaves: [RubricNode]
    let industry: Industry?
    var points: [String: Double]
    var notes: [String: String]
    /// Index into `leaves`; `leaves.count` is the end.
    var cursor = 0
    /// Milliseconds each accepted line took, commit included.
    var commitTimes: [Double] = []

    init(env: Env, ctx: PanelContext, reviewer: ReviewerInfo, applicant: ApplicantInfo, sheet: SheetRecord?,
         data: ApplicantData, dataNotes: [String: String], actor: String, saveFile: String?) {
        self.env = env
        self.ctx = ctx
        self.reviewer = reviewer
        self.applicant = applicant
        self.data = data
        self.dataNotes = dataNotes
        self.actor = actor
        self.saveFile = saveFile
        leaves = ctx.rubric.leaves
        industry = data.industry.flatMap { ctx.rubric.industries?.industry($0) }
        points = sheet?.points ?? [:]
        notes = sheet?.notes ?? [:]
    }

    func t(_ key: String, _ args: String...) -> String { Catalog.text(key, args, env.lang) }
    func say(_ s: String) { Console.err(s) }

    var pointsLeafCount: Int { leaves.filter { $0.input != .value }.count }
    var scoredCount: Int { leaves.filter { $0.input != .value && points[$0.id] != nil }.count }

    // MARK: - Running

    func run() {
        let p = ctx.panel
        say(t("session.header", p.id, p.title, p.round, reviewer.id, reviewer.name, applicant.id, applicant.name,
              ctx.rubric.displayName(env.lang)))
        // Resume at the first points leaf without points, showing the value leaves just before it; a
        // sheet of value leaves only shows them all.
        let firstOpen = leaves.firstIndex { $0.input != .value && points[$0.id] == nil }
        if let firstOpen {
            cursor = firstOpen
            while cursor > 0 && leaves[cursor - 1].input == .value { cursor -= 1 }
        } else {
            cursor = points.isEmpty ? 0 : leaves.count
        }
        let from = firstOpen.map { leaves[$0].id } ?? (cursor < leaves.count ? leaves[cursor].id : "—")
        say(t("session.progress", String(scoredCount), String(pointsLeafCount), from))
        writeSaveFile()
        arrive()
        while true {
            Console.errRaw(promptText())
            guard let raw = readLine(strippingNewline: true) else {
                // End of input: everything accepted is already committed.
                say("")
                finish()
                return
            }
            if !handle(raw) {
                finish()
                return
            }
        }
    }

    /// Shows value leaves from the cursor on (they need no input) and stops at the next points leaf.
    func arrive() {
        while cursor < leaves.count && leaves[cursor].input == .value {
            show(leaves[cursor])
            cursor += 1
        }
        if cursor < leaves.count {
            show(leaves[cursor])
        } else {
            showEnd()
        }
    }

    func promptText() -> String {
        guard cursor < leaves.count else { return t("session.end_prompt") }
        let leaf = leaves[cursor]
        return t("session.prompt", leaf.id, allowedText(leaf))
    }

    /// Returns false to leave the session.
    func handle(_ raw: String) -> Bool {
        if raw.utf8.count > LineFormat.maxLineBytes {
            say(t("session.too_long", String(LineFormat.maxLineBytes)))
            return true
        }
        let input = foldFullWidth(raw).trimmingCharacters(in: .whitespaces)
        let lower = input.lowercased()
        switch lower {
        case "q":
            return false
        case "?", "？":
            say(t("session.help"))
            return true
        case "l":
            listProgress()
            return true
        case "w":
            showTotal()
            return true
        case "b":
            back()
            return true
        case "":
            keep()
            return true
        default:
            break
        }
        if lower == "n" || lower.hasPrefix("n ") {
            // Keep the note's text as typed (not folded).
            let text = lower == "n" ? nil : String(raw.trimmingCharacters(in: .whitespaces).dropFirst(1))
                .trimmingCharacters(in: .whitespaces)
            addNote(text)
            return true
        }
        if lower.hasPrefix("g ") || lower == "g" {
            jump(String(input.dropFirst(1)).trimmingCharacters(in: .whitespaces))
            return true
        }
        score(input)
        return true
    }

    // MARK: - Keys

    func score(_ input: String) {
        guard cursor < leaves.count else {
            say(t("session.nothing_here"))
            return
        }
        let leaf = leaves[cursor]
        let value: Double
        switch input.lowercased() {
        case "yes", "是", "no", "否":
            guard case .award? = leaf.rule else {
                say(t("session.bad_input", input, allowedText(leaf)))
                return
            }
            value = ["yes", "是"].contains(input.lowercased()) ? leaf.weight : 0
        default:
            // 25.5, ２５．５, 25。5 (the input method's full stop) and 25分 are all 25.5 points; 25元 is not.
            guard let (v, unit) = parseNumberWithUnit(input), unit == nil || unit == pointsUnit else {
                say(t("session.bad_input", input, allowedText(leaf)))
                return
            }
            value = v
        }
        if let problem = validatePoints(value, for: leaf) {
            say(problem.text(env.lang))
            return
        }
        let started = ContinuousClock.now
        do {
            try ctx.store.setPoints(panel: ctx.panel.id, reviewer: reviewer.id, applicant: applicant.id, leaf: leaf.id,
                                    points: value, actor: actor)
        } catch {
            report(error)
            return
        }
        commitTimes.append(milliseconds(ContinuousClock.now - started))
        points[leaf.id] = value
        writeSaveFile()
        say(t("session.saved", leaf.id, formatNumber(value)))
        cursor += 1
        arrive()
    }

    func keep() {
        guard cursor < leaves.count else {
            showEnd()
            return
        }
        let leaf = leaves[cursor]
        if let v = points[leaf.id] {
            say(t("session.kept", leaf.id, formatNumber(v)))
        } else {
            say(t("session.skipped", leaf.id))
        }
        cursor += 1
        arrive()
    }

    func back() {
        var i = cursor - 1
        while i >= 0 && leaves[i].input == .value { i -= 1 }
        guard i >= 0 else {
            say(t("session.at_start"))
            return
        }
        cursor = i
        show(leaves[cursor])
    }

    func jump(_ id: String) {
        guard !id.isEmpty, let node = ctx.index.nodes[id] else {
            say(t("session.unknown_id", id.isEmpty ? "?" : id))
            return
        }
        let target = node.isLeaf ? node.id : (firstLeaf(node)?.id ?? node.id)
        guard let i = leaves.firstIndex(where: { $0.id == target }) else {
            say(t("session.unknown_id", id))
            return
        }
        cursor = i
        arrive()
    }

    func firstLeaf(_ n: RubricNode) -> RubricNode? {
        n.isLeaf ? n : n.children.lazy.compactMap(firstLeaf).first
    }

    func addNote(_ inline: String?) {
        guard cursor < leaves.count else {
            say(t("session.nothing_here"))
            return
        }
        let leaf = leaves[cursor]
        var text = inline
        if text == nil || text?.isEmpty == true {
            Console.errRaw(t("session.note_prompt", leaf.id))
            guard let line = readLine(strippingNewline: true) else {
                say(t("session.note_unchanged", leaf.id))
                return
            }
            text = line.trimmingCharacters(in: .whitespaces)
        }
        guard let note = text, !note.isEmpty else {
            say(t("session.note_unchanged", leaf.id))
            return
        }
        guard note.utf8.count <= LineFormat.maxLineBytes, !note.unicodeScalars.contains(where: { $0.value == 0 }) else {
            say(t("session.too_long", String(LineFormat.maxLineBytes)))
            return
        }
        do {
            try ctx.store.setNote(panel: ctx.panel.id, reviewer: reviewer.id, applicant: applicant.id, leaf: leaf.id,
                                  note: note, actor: actor)
        } catch {
            report(error)
            return
        }
        notes[leaf.id] = note
        writeSaveFile()
        say(t("session.note_saved", leaf.id))
    }

    func report(_ error: Error) {
        if let e = error as? PingshenError {
            say(e.text(env.lang))
        } else if let e = error as? PingshenErrors {
            say(e.text(env.lang))
        } else {
            say(String(describing: error))
        }
        say(t("session.not_saved"))
    }

    // MARK: - Showing

    func show(_ leaf: RubricNode) {
        let index = (leaves.firstIndex { $0.id == leaf.id } ?? 0) + 1
        let path = (ctx.rubric.path(to: leaf.id) ?? [leaf]).map { $0.displayName(env.lang) }.joined(separator: " › ")
        say("")
        say(t("session.leaf_head", String(index), String(leaves.count), path, leaf.id))
        say("  " + t("session.weight_rule", formatNumber(leaf.weight), describeRule(leaf, env.lang)))
        if let g = leaf.guidance { say("  " + t("session.guidance", g)) }
        if let b = leaf.basicRequirement { say("  " + t("session.basic", b)) }
        if let f = leaf.fullRequirement { say("  " + t("session.full", f)) }
        if let u = leaf.unit { say("  " + t("session.unit", u)) }
        if leaf.provisional, let n = leaf.note { say("  ※ " + t("session.provisional", n)) }
        let unit = leaf.unit ?? ""
        if leaf.input == .value {
            if let v = data.values[leaf.id] {
                let earned = pointsFromValue(leaf, value: v, industry: industry)
                say("  " + t("session.value_line", formatNumber(v, decimals: 4) + unit,
                             earned.map { formatNumber($0) } ?? "—", formatNumber(leaf.weight)))
                if earned == nil { say("  " + t("session.value_no_points", data.industry ?? "—")) }
            } else {
                say("  " + t("session.value_missing"))
            }
            if let n = dataNotes[leaf.id] { say("  " + t("session.data_note", n)) }
            say("  " + t("session.value_leaf"))
            return
        }
        if let v = data.values[leaf.id] {
            say("  " + t("session.reference", formatNumber(v, decimals: 4) + unit))
        }
        if let n = dataNotes[leaf.id] { say("  " + t("session.data_note", n)) }
        if let v = points[leaf.id] {
            say("  " + t("session.current", formatNumber(v)))
        } else {
            say("  " + t("session.current_none"))
        }
        if let n = notes[leaf.id] { say("  " + t("session.note_current", n)) }
    }

    /// The allowed input of a points leaf, for the prompt and refusals.
    func allowedText(_ leaf: RubricNode) -> String {
        let w = formatNumber(leaf.weight)
        switch leaf.rule {
        case .discretionary(let step?)?: return t("session.range_step", w, formatNumber(step))
        case .award?: return t("session.range_award", w)
        case .tiers(let tiers)?: return tiers.map { formatNumber($0.points) }.joined(separator: " / ")
        default: return t("session.range", w)
        }
    }

    var currentScore: SheetScore { scoreSheet(rubric: ctx.rubric, points: points, data: data) }

    func showEnd() {
        let s = currentScore
        say("")
        say(t("session.end", String(scoredCount), String(pointsLeafCount), formatNumber(s.total),
              formatNumber(ctx.rubric.total)))
        let missing = leaves.filter { $0.input != .value && points[$0.id] == nil }.map(\.id)
        if missing.isEmpty {
            say(t("session.end_submit", ctx.panel.id, reviewer.id, applicant.id))
        } else {
            say(t("session.end_missing", missing.joined(separator: ", ")))
        }
    }

    func showTotal() {
        let s = currentScore
        say(t("session.total", formatNumber(s.total), formatNumber(ctx.rubric.total), String(scoredCount),
              String(pointsLeafCount)))
        for n in ctx.rubric.root {
            say("  " + pad(n.displayName(env.lang), 30) + "  " + formatNumber(s.nodeTotals[n.id] ?? 0) + " / "
                + formatNumber(n.weight))
        }
        if s.usesProvisional { say("  * " + t("provisional.notice")) }
    }

    func listProgress() {
        let s = currentScore
        var table = TextTable(headers: ["", "#", env.t("h.indicator"), env.t("h.weight"), env.t("store.h.points"),
                                        env.t("store.h.note")], rightAligned: [1, 3, 4])
        for (i, leaf) in leaves.enumerated() {
            let pts: String
            if leaf.input == .value {
                pts = (s.leafPoints[leaf.id] ?? nil).map { formatNumber($0) + " (" + t("store.value_tag") + ")" } ?? "—"
            } else {
                pts = points[leaf.id].map { formatNumber($0) } ?? "—"
            }
            table.rows.append([i == cursor ? "▶" : "", String(i + 1), truncate(leaf.displayName(env.lang), 30) + " [\(leaf.id)]",
                               formatNumber(leaf.weight), pts, notes[leaf.id] == nil ? "" : "✎"])
        }
        say(table.render())
        say(t("session.total", formatNumber(s.total), formatNumber(ctx.rubric.total), String(scoredCount),
              String(pointsLeafCount)))
    }

    func finish() {
        let s = currentScore
        Console.out(t("session.bye", String(scoredCount), String(pointsLeafCount), formatNumber(s.total),
                      formatNumber(ctx.rubric.total)))
    }

    // MARK: - Saving a copy, timing

    func writeSaveFile() {
        guard let saveFile else { return }
        let sheet = SheetRecord(reviewer: reviewer.id, applicant: applicant.id, round: ctx.panel.round, points: points,
                                notes: notes)
        let text = "# \(ctx.panel.id) · \(ctx.panel.round)\n"
            + LineFormatWriter.sheetBlock(panel: ctx.panel.id, sheet: sheet, order: leaves.map(\.id))
        do {
            try text.write(toFile: saveFile, atomically: true, encoding: .utf8)
        } catch {
            say(t("session.save_failed", saveFile, String(describing: error)))
        }
    }

    func printTiming() {
        guard !commitTimes.isEmpty else { return }
        let sorted = commitTimes.sorted()
        let median = sorted[sorted.count / 2]
        let p99 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        say(t("session.timing", String(sorted.count), formatNumber(median, decimals: 3), formatNumber(p99, decimals: 3),
              formatNumber(sorted.last ?? 0, decimals: 3)))
        // Machine-readable, for scripts/bench-scoring.sh.
        say("timing-ms " + commitTimes.map { formatNumber($0, decimals: 4) }.joined(separator: " "))
    }
}

func milliseconds(_ d: Duration) -> Double {
    let c = d.components
    return Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
}
