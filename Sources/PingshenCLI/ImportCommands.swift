import ArgumentParser
import Foundation
import PingshenCore
import PingshenStore

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Applicants' verified data (核定数据).", subcommands: [DataImport.self])
}

/// Throws every problem of the files plus a last line saying nothing was imported.
private func refuse(_ errors: [PingshenError]) throws -> Never {
    throw PingshenErrors(errors + [PingshenError("store.nothing_imported")])
}

struct DataImport: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import applicant data in the line format (all or nothing: a file with any error imports nothing).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Line-format files of applicant-data blocks.") var files: [String]

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let ctx = try env.panelContext(store, panel)
        let applicants = Set(try store.applicants(panel: panel).map(\.id))
        let existing = try store.allData(panel: panel)
        var errors: [PingshenError] = []
        var inputs: [DataInput] = []
        var firstBlock: [String: String] = [:]
        for file in files {
            let bytes = try readLineFileBytes(file)
            let resolved = parseLineFile(bytes: bytes, file: file).flatMap {
                resolveData($0, file: file, rubric: ctx.rubric, panel: panel, applicants: applicants, existing: existing)
            }
            switch resolved {
            case .failure(let e): errors += e.errors
            case .success(let list):
                for d in list {
                    if let first = firstBlock[d.applicant] {
                        errors.append(PingshenError("store.line_duplicate_data", [d.applicant, first],
                                                    at: SourceLocation(file: file, line: d.line, field: "applicant")))
                    }
                    firstBlock[d.applicant] = "\(file):\(d.line)"
                }
                inputs += list
            }
        }
        if !errors.isEmpty { try refuse(errors) }
        let s = try store.importData(panel: panel, inputs, actor: actor.resolve())
        Console.out(env.t("store.imported_data", String(s.blocks), String(s.changed), String(s.unchanged)))
    }
}

struct ImportCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import score sheets in the line format into the panel's current round (all or nothing).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Line-format files of score-sheet blocks.") var files: [String]
    @Flag(name: .long, help: "Mark each imported sheet submitted (each must then be complete).") var submit = false
    @Option(help: "Reason recorded in the audit log.") var reason: String?

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let ctx = try env.panelContext(store, panel)
        let reviewers = Set(try store.reviewers(panel: panel).map(\.id))
        let applicants = Set(try store.applicants(panel: panel).map(\.id))
        let recused = Set(try store.recusals(panel: panel).map { $0.reviewer + "\u{1F}" + $0.applicant })
        var stored: [String: SheetSummary] = [:]
        for s in try store.sheetSummaries(panel: panel) { stored[s.reviewer + "\u{1F}" + s.applicant] = s }
        let pointsLeaves = ctx.pointsLeaves.map(\.id)

        var errors: [PingshenError] = []
        var inputs: [SheetInput] = []
        var firstBlock: [String: String] = [:]
        for file in files {
            let bytes = try readLineFileBytes(file)
            let resolved = parseLineFile(bytes: bytes, file: file).flatMap {
                resolveSheets($0, file: file, index: ctx.index, panel: panel, reviewers: reviewers, applicants: applicants)
            }
            switch resolved {
            case .failure(let e):
                errors += e.errors
            case .success(let list):
                for s in list {
                    let key = s.reviewer + "\u{1F}" + s.applicant
                    let at = SourceLocation(file: file, line: s.line, field: "applicant")
                    if let first = firstBlock[key] {
                        errors.append(PingshenError("store.line_duplicate_sheet", [s.reviewer, s.applicant, first], at: at))
                    }
                    firstBlock[key] = "\(file):\(s.line)"
                    if recused.contains(key) {
                        errors.append(PingshenError("store.recused", [s.reviewer, s.applicant], at: at))
                    }
                    if stored[key]?.submitted == true {
                        errors.append(PingshenError("store.submitted", [s.reviewer, s.applicant, ctx.panel.round], at: at))
                    }
                    if submit {
                        let have = stored[key]?.scored ?? []
                        let missing = pointsLeaves.filter { s.points[$0] == nil && !have.contains($0) }
                        if !missing.isEmpty {
                            errors.append(PingshenError("store.line_incomplete",
                                                        [s.reviewer, s.applicant, missing.joined(separator: ", ")], at: at))
                        }
                    }
                }
                inputs += list
            }
        }
        if !errors.isEmpty { try refuse(errors) }
        let why = try reason.map { try checkText($0, kind: env.t("store.h.reason"), max: 500) }
        let s = try store.importSheets(panel: panel, inputs, submit: submit, actor: actor.resolve(), reason: why)
        Console.out(env.t("store.imported_sheets", String(s.blocks), String(s.created), ctx.panel.round,
                          String(s.changed), String(s.unchanged), String(s.submitted)))
    }
}
