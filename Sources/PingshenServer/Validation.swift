import Foundation
import PingshenCore
import PingshenWire

/// The one rule for text at the server's boundary, for every field of every request (docs/openapi.yaml says
/// the same with `pattern`, `minLength` and `maxLength`):
///
/// - What is stored is exactly what is hashed: a value is taken whole or refused (422), never cut or cleaned.
/// - Control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) are refused, except tab, line
///   feed and carriage return in the fields that say so (notes, reasons, the rubric's YAML).
/// - Ids (panel, reviewer, applicant, indicator, rubric, change ids…) are 1–64 characters (change ids 1–100)
///   with no white space, no slash or backslash and no control character.
/// - Lengths count Unicode scalars (what JSON Schema's maxLength counts), not grapheme clusters.
enum TextRule {
    /// Where line breaks are allowed: tab, LF, CR.
    static let breaks: Set<Unicode.Scalar> = ["\t", "\n", "\r"]

    /// The first character a field may not hold, or nil.
    static func forbidden(_ text: String, allowBreaks: Bool) -> Unicode.Scalar? {
        text.unicodeScalars.first { s in
            s.properties.generalCategory == .control && !(allowBreaks && breaks.contains(s))
        }
    }

    static func hex(_ s: Unicode.Scalar) -> String {
        let h = String(s.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }

    /// Free text (names, titles, rounds, notes, reasons, devices): at most `max` characters, no control
    /// characters except (with `allowBreaks`) tab and line breaks; `minLength` 1 when `allowEmpty` is false.
    static func text(_ text: String, field: String, max: Int, allowBreaks: Bool = false, allowEmpty: Bool = true) throws {
        if let bad = forbidden(text, allowBreaks: allowBreaks) {
            throw APIError(422, "server.text.control", [field, "U+" + hex(bad)])
        }
        let n = text.unicodeScalars.count
        if n > max || (!allowEmpty && n == 0) {
            throw APIError(422, "server.text.length", [field, allowEmpty ? "0" : "1", String(max)])
        }
    }

    /// An id: 1–`max` characters, no white space, slash, backslash or control character.
    static func id(_ id: String, field: String, max: Int = 64) throws {
        let bad = id.isEmpty || id.unicodeScalars.count > max || id.unicodeScalars.contains {
            $0.properties.generalCategory == .control || $0 == "/" || $0 == "\\" || $0.properties.isWhitespace
        }
        if bad { throw APIError(422, "server.id.invalid", [field, printable(id), String(max)]) }
    }

    /// A value shown back in a message: control characters as U+XXXX, at most 80 characters.
    static func printable(_ text: String) -> String {
        var out = ""
        for s in text.unicodeScalars.prefix(80) {
            if s.properties.generalCategory == .control { out += "U+" + hex(s) } else { out.unicodeScalars.append(s) }
        }
        return out
    }

    /// A wire timestamp (ISO 8601, UTC: 2025-05-01T08:30:00.000Z, milliseconds optional).
    static func timestamp(_ text: String, field: String) throws {
        if WireCoding.parseTimestamp(text) == nil {
            throw APIError(422, "server.time.invalid", [field, printable(text)])
        }
    }

    // MARK: Requests

    static let maxChangeIdLength = 100

    /// Every field of a pushed change (before it reaches the shared group-commit transaction).
    static func change(_ c: Change, index: Int) throws {
        let at = "changes[\(index)]."
        try id(c.changeId, field: at + "change_id", max: maxChangeIdLength)
        try text(c.device, field: at + "device", max: 100)
        try id(c.reviewer, field: at + "reviewer")
        try id(c.applicant, field: at + "applicant")
        try text(c.round, field: at + "round", max: 64, allowEmpty: false)
        if let leaf = c.leaf { try id(leaf, field: at + "leaf") }
        if let v = c.value, !v.isFinite { throw APIError(422, "server.number.range", [at + "value", "-1e12", "1e12"]) }
        // Notes and reasons may hold tab and line breaks; their lengths (4000, 1000) are refused per change.
        if let note = c.note { try text(note, field: at + "note", max: Int.max, allowBreaks: true) }
        if let reason = c.reason { try text(reason, field: at + "reason", max: Int.max, allowBreaks: true) }
        try timestamp(c.clientTime, field: at + "client_time")
    }

    /// A panel upload's fields (references and duplicates are checked by the handler).
    static func upload(_ u: PanelUpload) throws {
        try id(u.rubricId, field: "rubric_id")
        try text(u.rubricYaml, field: "rubric_yaml", max: Int.max, allowBreaks: true)
        try text(u.title, field: "title", max: 500)
        try text(u.round, field: "round", max: 64, allowEmpty: false)
        if let v = u.variant { try id(v, field: "variant") }
        // method and view are typed (AggregationMethod, AggregationView): an unknown name fails decoding with 422.
        if let q = u.quorum, q < 0 || q > 1000 { throw APIError(422, "server.number.range", ["quorum", "0", "1000"]) }
        for (i, r) in u.reviewers.enumerated() {
            try id(r.id, field: "reviewers[\(i)].id")
            try text(r.name, field: "reviewers[\(i)].name", max: 500)
        }
        for (i, a) in u.applicants.enumerated() {
            try id(a.id, field: "applicants[\(i)].id")
            try text(a.name, field: "applicants[\(i)].name", max: 500)
            if let ind = a.industry { try text(ind, field: "applicants[\(i)].industry", max: 64) }
            for (k, v) in a.data {
                try id(k, field: "applicants[\(i)].data")
                if !v.isFinite || abs(v) > 1e12 {
                    throw APIError(422, "server.number.range", ["applicants[\(i)].data.\(k)", "-1e12", "1e12"])
                }
            }
        }
        for (i, r) in u.recusals.enumerated() {
            try id(r.reviewer, field: "recusals[\(i)].reviewer")
            try id(r.applicant, field: "recusals[\(i)].applicant")
            try text(r.reason, field: "recusals[\(i)].reason", max: 500, allowBreaks: true)
        }
    }
}
