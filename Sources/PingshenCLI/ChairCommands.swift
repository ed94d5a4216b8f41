import ArgumentParser
import Foundation
import PingshenAudit
import PingshenCore
import PingshenReport
import PingshenRubricFormat
import PingshenStore

// The chair's commands: combine the panel (results), show outliers, seal (finalize), verify, export; and
// `panel load`, which sets a whole panel up from a folder (panel.yaml, data.txt, sheets.txt).

/// Options shared by the commands that aggregate a panel.
struct AggregateOptions: ParsableArguments {
    @Option(help: "Round to combine (default: the panel's current round).") var round: String?
    @Option(help: "Aggregation method (default: the panel's, then the config's).")
    var method: AggregationMethod?
}

// The aggregation settings are typed options: ArgumentParser lists their values in the help and refuses others.
extension AggregationMethod: ExpressibleByArgument {}
extension AggregationView: ExpressibleByArgument {}

extension Env {
    /// The panel's results as the chair sees them, computed from the stored sheets.
    func panelResults(_ store: PanelStore, _ panel: String, _ o: AggregateOptions) throws -> (PanelResults, Rubric) {
        let snapshot = try store.snapshot(panel: panel)
        let rubric = try panelRubric(store, snapshot.panel)
        let method = o.method
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
        let view = try env.chairView(remote, panel, options)
        let (results, rubric) = (view.results, view.rubric)
        let unsubmitted = completeUnsubmittedSheets(results, view.snapshot, rubric)
        if json {
            Console.outRaw(String(decoding: try ReportExporter.json(results, rubric: rubric, lang: env.lang,
                                                                     date: todayText()), as: UTF8.self) + "\n")
            return
        }
        Console.out(ResultsText.summaryLines(results, rubric: rubric, lang: env.lang).joined(separator: "\n"))
        Console.out("")
        Console.out(render(ResultsText.resultsTable(results, rubric: rubric, lang: env.lang)))
        if !unsubmitted.isEmpty {
            Console.out("")
            Console.out(env.t("chair.complete_unsubmitted_note", String(unsubmitted.count), unsubmitted.joined(separator: ", ")))
        }
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
        commandName: "finalize",
        abstract: "Seal the panel: freeze its results; every later change is refused.",
        discussion: """
            A panel linked to a server is sealed on the server (the chair's token), and this copy follows with the
            same digests; a reviewer's copy cannot be finalized (the chair seals the shared panel: pingshen server seal).
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String
    @Flag(name: .long, help: "Seal even though some applicants are incomplete (not graded) or complete sheets are not submitted.")
    var allowIncomplete = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        if let seal = try store.sealInfo(panel: panel) {
            throw PingshenError("store.sealed", [panel, seal.at, seal.by])
        }
        if let link = try store.syncLink(panel: panel) {
            // A shared panel has one seal, the server's: sealing only this copy would let the server go on taking
            // changes that this copy then drops.
            guard link.role.chairs else { throw PingshenError("chair.finalize_reviewer_copy", [panel, link.server]) }
            try SharedSeal.seal(env, panel: panel, server: link.server, options: options, allowIncomplete: allowIncomplete)
            return
        }
        let audit = try store.verifyAuditChain(panel: panel)
        if let problem = audit.problem { throw problem }
        let replay = try store.verifyDataAgainstAudit(panel: panel)
        if !replay.isConsistent { throw PingshenErrors(replay.problems) }
        let snapshot = try store.snapshot(panel: panel)
        let (digest, results) = try env.sealDigest(of: snapshot, rubric: try env.panelRubric(store, snapshot.panel), options,
                                                   allowIncomplete: allowIncomplete)
        try store.seal(panel: panel, by: actor.resolve(), digest: digest.text)
        Console.out(env.t("chair.sealed", panel, results.round, String(results.counts.graded), actor.resolve()))
        Console.out(digest.text)
    }
}

/// Sheets of the round that hold points on every indicator the reviewer scores but were not submitted: they do
/// not count, although they look finished. As "reviewer/applicant".
func completeUnsubmittedSheets(_ results: PanelResults, _ snapshot: PanelSnapshot, _ rubric: Rubric) -> [String] {
    let pointsLeaves = rubric.leaves.filter { $0.input != .value }.map(\.id)
    guard !pointsLeaves.isEmpty else { return [] }
    return snapshot.sheets.filter { sh in
        sh.round == results.round && !sh.submitted && !snapshot.isRecused(sh.reviewer, sh.applicant)
            && pointsLeaves.allSatisfy { sh.points[$0] != nil }
    }.map { "\($0.reviewer)/\($0.applicant)" }.sorted()
}

/// Refuses to seal while applicants are incomplete or finished-looking sheets are not submitted (naming them).
func refuseIncomplete(_ results: PanelResults, _ snapshot: PanelSnapshot, _ rubric: Rubric) throws {
    var problems: [PingshenError] = []
    let unsubmitted = completeUnsubmittedSheets(results, snapshot, rubric)
    if !unsubmitted.isEmpty {
        problems.append(PingshenError("chair.complete_unsubmitted", [String(unsubmitted.count), unsubmitted.joined(separator: ", ")]))
    }
    let incomplete = results.applicants.filter { $0.status == .incomplete }.map(\.id)
    if !incomplete.isEmpty { problems.append(PingshenError("chair.incomplete", [incomplete.joined(separator: ", ")])) }
    if !problems.isEmpty { throw PingshenErrors(problems) }
}

struct VerifyCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute a sealed panel from its stored sheets and confirm the seal's digests and the audit chain.",
        discussion: """
            On a reviewer's copy that holds only the reviewer's own sheets, the chain and the stored rows are checked
            and the digests are said to be out of reach. With --server the server checks its own copy (its audit chain
            and the inputs digest of its rows) and the results digest is recomputed here from its snapshot.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOption
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String

    func execute(_ env: Env) throws {
        if let server = remote.server { return try verifyOnServer(env, server) }
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
        if let link = try store.syncLink(panel: panel), !link.holdsEveryInput {
            // A reviewer's copy before the release holds only this reviewer's sheets: the digests cover sheets it
            // has never seen.
            Console.out(env.t("chair.verify_partial", panel, link.server))
            if !problems.isEmpty { throw PingshenErrors(problems) }
            return
        }
        // One read of the panel for both digests.
        let snapshot = try store.snapshot(panel: panel)
        let now = try env.sealDigest(of: snapshot, rubric: try env.panelRubric(store, snapshot.panel), options,
                                     allowIncomplete: true).digest
        let (inputs, resultsNow) = (now.inputs, now.results)
        guard let seal = try store.sealInfo(panel: panel) else {
            Console.out(env.t("chair.not_sealed", panel))
            Console.out(SealDigest(inputs: inputs, results: resultsNow).text)
            if !problems.isEmpty { throw PingshenErrors(problems) }
            return
        }
        guard let sealed = SealDigest(seal.digest) else {
            throw PingshenErrors(problems + [PingshenError("chair.seal_unreadable", [panel, seal.digest])])
        }
        problems += compare(env, sealed, inputs: inputs, results: resultsNow)
        if !problems.isEmpty { throw PingshenErrors(problems) }
        Console.out(env.t("chair.verified", panel, displayTime(seal.at), seal.by))
    }

    func compare(_ env: Env, _ sealed: SealDigest, inputs: String, results: String) -> [PingshenError] {
        var problems: [PingshenError] = []
        if sealed.inputs != inputs {
            problems.append(PingshenError("chair.inputs_changed", [panel, sealed.inputs, inputs]))
        } else {
            Console.out(env.t("chair.inputs_ok", inputs))
        }
        if sealed.results != results {
            problems.append(PingshenError("chair.results_changed", [panel, sealed.results, results]))
        } else {
            Console.out(env.t("chair.results_ok", results))
        }
        return problems
    }

    /// `verify --server URL`: the server checks its chain and digests its rows; the results are recomputed here.
    func verifyOnServer(_ env: Env, _ server: String) throws {
        let client = try env.client(server, panel: panel)
        let panel = self.panel
        let (v, wire) = try env.remote(server) {
            async let v = client.verifyPanel(panel)
            async let w = client.snapshot(panel: panel)
            return try await (v, w)
        }
        var problems: [PingshenError] = []
        if v.audit.ok {
            Console.out(env.t("chair.server_audit_ok", server, String(v.audit.rows)))
        } else {
            problems.append(PingshenError("chair.server_audit_broken", [server, v.audit.firstBadId.map(String.init) ?? "-"]))
        }
        let digest = try env.sealDigest(of: wire, options, allowIncomplete: true)
        if digest.inputs != v.inputsDigest {
            // The snapshot and the server's own digest disagree: the server changed between the two answers.
            problems.append(PingshenError("chair.server_inputs_moved", [panel, v.inputsDigest, digest.inputs]))
        }
        guard v.sealed else {
            Console.out(env.t("chair.not_sealed", panel))
            Console.out(SealDigest(inputs: v.inputsDigest, results: digest.results).text)
            if !problems.isEmpty { throw PingshenErrors(problems) }
            return
        }
        guard let sealed = v.sealDigest.flatMap(SealDigest.init) else {
            throw PingshenErrors(problems + [PingshenError("chair.seal_no_digests", [panel, server])])
        }
        problems += compare(env, sealed, inputs: v.inputsDigest, results: digest.results)
        if !problems.isEmpty { throw PingshenErrors(problems) }
        Console.out(env.t("chair.verified", panel, displayTime(wire.panel.sealedAt ?? ""), wire.panel.sealedBy ?? "-"))
    }
}

struct ExportCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export the final grades: csv, json, xlsx or printable html documents.",
        discussion: """
            With --format html, --document chooses the paper: report (the results report, default), sheets (each
            expert's signed score sheets), matrix (the score matrix: every expert's total per applicant, the trimmed
            marks struck through, recusals marked, signature lines), opinions (the panel's opinion and the
            reservations per applicant), blank (empty sheets for scoring on paper), declarations (each expert's
            commitment and declaration of no conflict, and the sign-in sheet). --reviewer R prints one expert's
            sheets, blank sheets or declaration only. Every document prints on A4 (the matrix landscape when wide).
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOption
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(help: "csv, json, xlsx or html.") var format: String
    @Option(help: "Output file.") var out: String
    @Option(help: "With --format html: report, sheets, matrix, opinions, blank or declarations (default report).")
    var document: String?
    @Option(help: "With --document sheets, blank or declarations: only this reviewer's.") var reviewer: String?

    func execute(_ env: Env) throws {
        let fmt = try ExportFormat.parse(format)
        let kind = try document.map { try DocumentKind.parse($0) }
        if let kind, kind != .report, fmt != .html { throw PingshenError("doc.html_only", [kind.rawValue]) }
        let view = try env.chairView(remote, panel, options)
        // A sealed panel's papers carry the seal's date (in Beijing time); an open one today's.
        let date = view.sealedAt.map { String(UTCTime.display($0).prefix(10)) } ?? beijingToday()
        if let kind, kind != .report || reviewer != nil {
            let input = DocumentInput(results: view.results, rubric: view.rubric, snapshot: view.snapshot, lang: env.lang,
                                      date: date, reviewer: reviewer, opinions: try env.panelOpinions(remote, panel))
            try ReportExporter.writeDocument(kind, input, to: out)
            Console.out(env.t("chair.exported", kind.rawValue, out))
            return
        }
        let opinions = fmt == .csv ? [] : try env.panelOpinions(remote, panel)
        try ReportExporter.write(fmt, results: view.results, rubric: view.rubric, lang: env.lang, date: date,
                                 opinions: opinions, to: out)
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
        if let m = manifest.method { create += ["--method", m.rawValue] }
        if let q = manifest.quorum { create += ["--quorum", String(q)] }
        if let v = manifest.view { create += ["--view", v.rawValue] }
        try PanelCreate.parse(create).execute(env)
        let store = try env.openStore()
        for r in manifest.reviewers {
            try store.addReviewer(panel: manifest.panel, ReviewerInfo(id: r.id, name: r.name), actor: who)
        }
        for a in manifest.applicants {
            if let p = manifest.applicantProfiles?[a.id] {
                try store.addApplicant(panel: manifest.panel, a, organization: p.organization, related: p.related, field: p.field,
                                       actor: who)
            } else {
                try store.addApplicant(panel: manifest.panel, a, actor: who)
            }
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
