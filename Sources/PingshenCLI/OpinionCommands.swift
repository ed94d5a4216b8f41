import ArgumentParser
import Foundation
import PingshenCore
import PingshenReport
import PingshenStore

// `pingshen opinion`: the panel's written opinion on an applicant (评审意见, recorded by the chair) and an
// expert's reservation (保留意见). Both are logged in the audit chain and refused after the seal; they appear in
// the JSON export and the opinions document (export --format html --document opinions).

struct OpinionCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "opinion",
        abstract: "Record the panel's opinion on an applicant (--text or --file), or an expert's reservation (--reviewer R --reservation …); without an applicant, list them.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Applicant id (omit to list the panel's opinions).") var applicant: String?
    @Option(help: "The panel's opinion.") var text: String?
    @Option(help: "Read the opinion (or, with --reviewer, the reservation) from a UTF-8 file.") var file: String?
    @Option(help: "The reviewer whose reservation this is.") var reviewer: String?
    @Option(help: "The reviewer's reservation (保留意见).") var reservation: String?
    @Flag(name: .long, help: "Print JSON (when listing).") var json = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        guard let applicant else {
            let all = try store.opinions(panel: panel)
            if json {
                Console.outRaw(String(decoding: try ReportExporter.jsonEncoder().encode(all), as: UTF8.self) + "\n")
                return
            }
            if all.isEmpty { Console.out(env.t("opinion.list_empty", panel)) }
            for o in all {
                let who = o.reviewer.map { env.t("doc.opinions.reservations") + " " + $0 } ?? env.t("doc.opinions.panel")
                Console.out("\(o.applicant)\t\(who)\t\(UTCTime.display(o.at))\t\(o.by)\n  \(o.text.replacingOccurrences(of: "\n", with: "\n  "))")
            }
            return
        }
        if text != nil && reservation != nil { throw PingshenError("opinion.both") }
        if reservation != nil && reviewer == nil { throw PingshenError("opinion.reservation_needs_reviewer") }
        var body = text ?? reservation
        if body == nil, let file { body = try Env.readText(file) }
        guard let body, !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw PingshenError("opinion.empty") }
        try store.recordOpinion(panel: panel, applicant: applicant, reviewer: reviewer, text: body,
                                actor: actor.resolve(fallback: reviewer))
        if let reviewer {
            Console.out(env.t("opinion.reservation_recorded", panel, applicant, reviewer))
        } else {
            Console.out(env.t("opinion.recorded", panel, applicant))
        }
    }
}

extension Env {
    /// The panel's opinions for the documents and the JSON export: from the local store (a panel read from a
    /// server has none here: opinions are not synced yet).
    func panelOpinions(_ remote: RemoteOption, _ panel: String) throws -> [PanelOpinion] {
        guard remote.server == nil else { return [] }
        return try openStore().opinions(panel: panel)
    }
}

/// Today's date in Beijing time (YYYY-MM-DD), for the documents a person reads.
func beijingToday() -> String { String(UTCTime.display(UTCTime.now()).prefix(10)) }
