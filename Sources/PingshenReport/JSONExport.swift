import Foundation
import PingshenCore

/// The JSON export: the whole `PanelResults` (every number the HTML report shows, at full precision)
/// with the rendered notices. Keys are snake_case like the other `--json` outputs.
struct JSONReport: Encodable {
    var format = "pingshen-results"
    var version = 1
    var lang: String
    var date: String
    /// The provisional notice lines printed in the report (empty when no provisional number contributed).
    var notice: [String]
    /// The agreement summary in words.
    var agreementText: [String]
    var results: PanelResults
    /// The seal's time in Beijing time with its offset (`results.panel.sealed_at` stays UTC as stored and hashed).
    var sealedAtLocal: String?
    /// The panel's opinions and the experts' reservations (评审意见, 保留意见); times in UTC as stored, with
    /// `at_local` beside each in Beijing time.
    var opinions: [JSONOpinion]
}

struct JSONOpinion: Encodable {
    var applicant: String
    var reviewer: String?
    var kind: String
    var text: String
    var at: String
    var atLocal: String
    var by: String

    init(_ o: PanelOpinion) {
        applicant = o.applicant
        reviewer = o.reviewer
        kind = o.isReservation ? "reservation" : "panel"
        text = o.text
        at = o.at
        atLocal = UTCTime.display(o.at)
        by = o.by
    }
}

extension ReportExporter {
    public static func json(_ results: PanelResults, rubric: Rubric, lang: Lang, date: String,
                            opinions: [PanelOpinion] = []) throws -> Data {
        let w = Words(lang: lang, results: results, rubric: rubric)
        let doc = JSONReport(lang: lang.rawValue, date: date, notice: w.noticeLines(),
                             agreementText: w.agreementLines(), results: results,
                             sealedAtLocal: results.panel.sealedAt.map { UTCTime.display($0) }, opinions: opinions.map(JSONOpinion.init))
        return try jsonEncoder().encode(doc)
    }

    /// The encoder of the JSON export (sorted snake_case keys, pretty-printed).
    public static func jsonEncoder() -> JSONEncoder {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.keyEncodingStrategy = .convertToSnakeCase
        return enc
    }
}
