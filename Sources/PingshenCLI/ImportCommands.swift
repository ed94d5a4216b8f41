import ArgumentParser
import Foundation
import PingshenCore
import PingshenStore

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Applicants' verified data (核定数据).", subcommands: [DataImport.self])
}

/// One file's problems in line order (stable: problems of one line keep their order).
private func byLine(_ errors: [PingshenError]) -> [PingshenError] {
    errors.enumerated().sorted {
        let l0 = $0.element.location?.line ?? 0, l1 = $1.element.location?.line ?? 0
        return l0 != l1 ? l0 < l1 : $0.offset < $1.offset
    }.map(\.element)
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
        var firstBlock: [String: (file: String, line: Int)] = [:]
        for file in files {
            let (blocks, parseErrors) = parseLineBlocks(bytes: try readLineFileBytes(file, env), file: file)
            var fileErrors = parseErrors
            for b in blocks {
                guard let a = b.applicant else { continue }
                if let first = firstBlock[a.value] {
                    // Within one file the resolver reports it; across files, here.
                    if first.file != file {
                        fileErrors.append(PingshenError("store.line_duplicate_data", [a.value, "\(first.file):\(first.line)"],
                                                        at: SourceLocation(file: file, line: b.line, field: "applicant")))
                    }
                } else {
                    firstBlock[a.value] = (file, b.line)
                }
            }
            switch resolveData(blocks, file: file, rubric: ctx.rubric, panel: panel, applicants: applicants, existing: existing) {
            case .failure(let e): fileErrors += e.errors
            case .success(let list): inputs += list
            }
            errors += byLine(fileErrors)
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
        var firstBlock: [String: (file: String, line: Int)] = [:]
        for file in files {
            let (blocks, parseErrors) = parseLineBlocks(bytes: try readLineFileBytes(file, env), file: file)
            var fileErrors = parseErrors
            // Checks against the panel's state, block by block.
            for b in blocks {
                guard let r = b.reviewer, let a = b.applicant else { continue }
                let key = r.value + "\u{1F}" + a.value
                // A recusal or a submitted sheet is about the applicant: the refusal names its line.
                let at = SourceLocation(file: file, line: a.line, field: "applicant")
                if let first = firstBlock[key] {
                    if first.file != file {
                        fileErrors.append(PingshenError("store.line_duplicate_sheet",
                                                        [r.value, a.value, "\(first.file):\(first.line)"],
                                                        at: SourceLocation(file: file, line: b.line, field: "applicant")))
                    }
                } else {
                    firstBlock[key] = (file, b.line)
                }
                if recused.contains(key) {
                    fileErrors.append(PingshenError("store.recused", [r.value, a.value], at: at))
                }
                if stored[key]?.submitted == true {
                    fileErrors.append(PingshenError("store.submitted", [r.value, a.value, ctx.panel.round], at: at))
                }
            }
            switch resolveSheets(blocks, file: file, index: ctx.index, panel: panel, reviewers: reviewers, applicants: applicants) {
            case .failure(let e):
                fileErrors += e.errors
            case .success(let list):
                if submit {
                    for s in list {
                        let have = stored[s.reviewer + "\u{1F}" + s.applicant]?.scored ?? []
                        let missing = pointsLeaves.filter { s.points[$0] == nil && !have.contains($0) }
                        if !missing.isEmpty {
                            fileErrors.append(PingshenError("store.line_incomplete",
                                                            [s.reviewer, s.applicant, missing.joined(separator: ", ")],
                                                            at: SourceLocation(file: file, line: s.line, field: "applicant")))
                        }
                    }
                }
                inputs += list
            }
            errors += byLine(fileErrors)
        }
        if !errors.isEmpty { try refuse(errors) }
        let why = try reason.map { try checkText($0, kind: env.t("store.h.reason"), max: 500) }
        let s = try store.importSheets(panel: panel, inputs, submit: submit, actor: actor.resolve(), reason: why)
        Console.out(env.t("store.imported_sheets", String(s.blocks), String(s.created), ctx.panel.round,
                          String(s.changed), String(s.unchanged), String(s.submitted)))
    }
}
