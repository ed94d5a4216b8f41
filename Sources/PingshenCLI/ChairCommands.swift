import ArgumentParser
import Foundation
import PingshenCore
import PingshenReport
import PingshenRubricFormat
import PingshenStore

// The chair's commands: combine the panel (results), show outliers, seal (finalize), verify, export; and
// `panel load`, which sets a whole panel up from a folder (panel.yaml, data.txt, sheets.txt).

/// Options shared by the commands that aggregate a panel.
struct AggregateOptions: ParsableArguments {
    @Option(help: "Round to combine (default: the panel's current round).") var round: String?
    @Option(help: "Aggregation method: auto, trimmed, mean, median (default: the panel's, then the config's).")
    var method: String?
}

extension Env {
    /// The panel's results as the chair sees them, computed from the stored sheets.
    func panelResults(_ store: PanelStore, _ panel: String, _ o: AggregateOptions) throws -> (PanelResults, Rubric) {
        let snapshot = try store.snapshot(panel: panel)
        let rubric = try panelRubric(store, snapshot.panel)
        let method = try o.method.map { try AggregationMethod.parse($0) }
        return (try aggregatePanel(snapshot, rubric, config: config, round: o.round, method: method), rubric)
    }
}

func render(_ t: TableText) -> String {
    TextTable(headers: t.headers, rows: t.rows, rightAligned: Set(t.rightAligned)).render()
}

/// SHA-256 of the results as the JSON exports encode them (sorted keys), so that a re-computation can be
/// compared with the one sealed. The seal itself (when, by whom) is not part of the results.
func resultsDigest(_ r: PanelResults) throws -> String {
    var unsealed = r
    unsealed.panel.sealedAt = nil
    unsealed.panel.sealedBy = nil
    return sha256Hex(String(decoding: try ReportExporter.jsonEncoder().encode(unsealed), as: UTF8.self))
}

struct ResultsCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "results", abstract: "Final scores, grades and ranks of a panel (applicant, total, grade, rank, reviewers, flags).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOption
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String
    @Flag(name: .long, help: "Print JSON (every number the report shows).") var json = false

    func execute(_ env: Env) throws {
        let (results, rubric, _) = try env.chairResults(remote, panel, options)
        if json {
            Console.outRaw(String(decoding: try ReportExporter.json(results, rubric: rubric, lang: env.lang,
                                                                     date: todayText()), as: UTF8.self) + "\n")
            return
        }
        Console.out(ResultsText.summaryLines(results, rubric: rubric, lang: env.lang).joined(separator: "\n"))
        Console.out("")
        Console.out(render(ResultsText.resultsTable(results, rubric: rubric, lang: env.lang)))
    }
}

struct OutliersCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "outliers", abstract: "Scores and reviewers that stand out from the panel, and the panel's agreement.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOption
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String
    @Flag(name: .long, help: "Print JSON.") var json = false

    struct Output: Encodable {
        var panel: String
        var round: String
        var flags: [OutlierFlag]
        var reviewers: [ReviewerResult]
        var agreement: AgreementSummary
    }

    func execute(_ env: Env) throws {
        let (results, rubric, _) = try env.chairResults(remote, panel, options)
        if json {
            let out = Output(panel: results.panel.id, round: results.round, flags: results.flags,
                             reviewers: results.reviewers, agreement: results.agreement)
            Console.outRaw(String(decoding: try ReportExporter.jsonEncoder().encode(out), as: UTF8.self) + "\n")
            return
        }
        let lines = ResultsText.summaryLines(results, rubric: rubric, lang: env.lang)
        Console.out(lines.joined(separator: "\n"))
        Console.out("")
        Console.out(render(ResultsText.reviewersTable(results, rubric: rubric, lang: env.lang)))
        Console.out("")
        let flags = ResultsText.flagLines(results, lang: env.lang)
        Console.out(flags.isEmpty ? ResultsText.noFlagsLine(results, rubric: rubric, lang: env.lang) : env.t("chair.flags", String(flags.count)))
        for f in flags { Console.out("  " + f) }
    }
}

struct FinalizeCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "finalize", abstract: "Seal the panel: freeze its results; every later change is refused.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String
    @Flag(name: .long, help: "Seal even though some applicants are incomplete (not graded).") var allowIncomplete = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        if let seal = try store.sealInfo(panel: panel) {
            throw PingshenError("store.sealed", [panel, seal.at, seal.by])
        }
        let audit = try store.verifyAuditChain(panel: panel)
        if let problem = audit.problem { throw problem }
        let replay = try store.verifyDataAgainstAudit(panel: panel)
        if !replay.isConsistent { throw PingshenErrors(replay.problems) }
        let (results, _) = try env.panelResults(store, panel, options)
        let incomplete = results.applicants.filter { $0.status == .incomplete }.map(\.id)
        if !incomplete.isEmpty && !allowIncomplete {
            throw PingshenError("chair.incomplete", [incomplete.joined(separator: ", ")])
        }
        let digest = SealDigest(inputs: try store.inputDigest(panel: panel), results: try resultsDigest(results))
        try store.seal(panel: panel, by: actor.resolve(), digest: digest.text)
        Console.out(env.t("chair.sealed", panel, results.round, String(results.counts.graded), actor.resolve()))
        Console.out(digest.text)
    }
}

/// What a seal records: the digest of the inputs and of the results computed from them.
struct SealDigest: Equatable {
    var inputs: String
    var results: String
    var text: String { "inputs:\(inputs) results:\(results)" }

    init(inputs: String, results: String) {
        self.inputs = inputs
        self.results = results
    }

    init?(_ text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[0].hasPrefix("inputs:"), parts[1].hasPrefix("results:") else { return nil }
        inputs = String(parts[0].dropFirst("inputs:".count))
        results = String(parts[1].dropFirst("results:".count))
    }
}

struct VerifyCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute a sealed panel from its stored sheets and confirm the seal's digests and the audit chain.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        var problems: [PingshenError] = []
        let audit = try store.verifyAuditChain(panel: panel)
        if let p = audit.problem {
            problems.append(p)
        } else {
            Console.out(env.t("chair.audit_ok", String(audit.rows)))
        }
        // The rows must also say what the audit log says (an edit made directly in the tables, without an
        // audit row, leaves the chain intact).
        let replay = try store.verifyDataAgainstAudit(panel: panel)
        if replay.isConsistent {
            Console.out(env.t("store.data_ok", panel, String(replay.auditRows), String(replay.values)))
        } else {
            problems += replay.problems
        }
        let inputs = try store.inputDigest(panel: panel)
        let (results, _) = try env.panelResults(store, panel, options)
        let resultsNow = try resultsDigest(results)
        guard let seal = try store.sealInfo(panel: panel) else {
            Console.out(env.t("chair.not_sealed", panel))
            Console.out(SealDigest(inputs: inputs, results: resultsNow).text)
            if !problems.isEmpty { throw PingshenErrors(problems) }
            return
        }
        guard let sealed = SealDigest(seal.digest) else {
            throw PingshenErrors(problems + [PingshenError("chair.seal_unreadable", [panel, seal.digest])])
        }
        if sealed.inputs != inputs {
            problems.append(PingshenError("chair.inputs_changed", [panel, sealed.inputs, inputs]))
        } else {
            Console.out(env.t("chair.inputs_ok", inputs))
        }
        if sealed.results != resultsNow {
            problems.append(PingshenError("chair.results_changed", [panel, sealed.results, resultsNow]))
        } else {
            Console.out(env.t("chair.results_ok", resultsNow))
        }
        if !problems.isEmpty { throw PingshenErrors(problems) }
        Console.out(env.t("chair.verified", panel, seal.at, seal.by))
    }
}

struct ExportCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export the final grades: csv, json, xlsx or a printable html report.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOption
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(help: "csv, json, xlsx or html.") var format: String
    @Option(help: "Output file.") var out: String

    func execute(_ env: Env) throws {
        let fmt = try ExportFormat.parse(format)
        let (results, rubric, sealedAt) = try env.chairResults(remote, panel, options)
        // A sealed panel's report carries the seal's date; an open one today's.
        let date = sealedAt.map { String($0.prefix(10)) } ?? todayText()
        try ReportExporter.write(fmt, results: results, rubric: rubric, lang: env.lang, date: date, to: out)
        Console.out(env.t("chair.exported", fmt.rawValue, out))
    }
}

/// Today's date as YYYY-MM-DD (local time).
func todayText() -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.dateFormat = "yyyy-MM-dd"
    return f.string(from: Date())
}

struct PanelLoad: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Set a panel up from a folder: panel.yaml (manifest), data.txt (verified data), sheets.txt (score sheets, submitted).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Folder with panel.yaml, and optionally data.txt and sheets.txt.") var dir: String
    @Flag(name: .long, help: "Import the sheets without submitting them.") var noSubmit = false

    func execute(_ env: Env) throws {
        let manifestPath = "\(dir)/panel.yaml"
        let text = try Env.readText(manifestPath)
        // The rubric id is read first so that the manifest can be checked against the rubric before anything is written.
        let first = ManifestLoader.parse(text, file: manifestPath)
        let rubricId: String
        switch first {
        case .success(let m): rubricId = m.rubric
        case .failure(let e): throw e
        }
        let rubric = try env.rubric(rubricId).rubric
        let manifest: PanelManifest
        switch ManifestLoader.parse(text, file: manifestPath, rubric: rubric) {
        case .success(let m): manifest = m
        case .failure(let e): throw e
        }
        let who = actor.resolve()
        var create = ["--actor", who, manifest.panel, "--rubric", rubric.id, "--title", manifest.title, "--round", manifest.round]
        if let v = manifest.variant { create += ["--variant", v] }
        if let m = manifest.method { create += ["--method", m] }
        if let q = manifest.quorum { create += ["--quorum", String(q)] }
        if let v = manifest.view { create += ["--view", v] }
        try PanelCreate.parse(create).execute(env)
        let store = try env.openStore()
        for r in manifest.reviewers {
            try store.addReviewer(panel: manifest.panel, ReviewerInfo(id: r.id, name: r.name), actor: who)
        }
        for a in manifest.applicants {
            try store.addApplicant(panel: manifest.panel, a, actor: who)
        }
        for r in manifest.recusals {
            try store.recuse(panel: manifest.panel, reviewer: r.reviewer, applicant: r.applicant, reason: r.reason, actor: who)
        }
        Console.out(env.t("chair.loaded_members", String(manifest.reviewers.count), String(manifest.applicants.count),
                          String(manifest.recusals.count)))
        let fm = FileManager.default
        if fm.fileExists(atPath: "\(dir)/data.txt") {
            try DataImport.parse(["--actor", who, manifest.panel, "\(dir)/data.txt"]).execute(env)
        }
        if fm.fileExists(atPath: "\(dir)/sheets.txt") {
            try ImportCommand.parse(["--actor", who, manifest.panel, "\(dir)/sheets.txt"] + (noSubmit ? [] : ["--submit"]))
                .execute(env)
        }
    }
}
