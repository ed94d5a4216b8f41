import Foundation

/// Writes score sheets and applicant data in the line format (the same format `import` and
/// `data import` read; docs in README "The line format"):
///
///     panel: P1
///     reviewer: r1            # omitted in an applicant-data block
///     applicant: a1
///     <indicator-id> = <number> | yes | no
///     note <indicator-id>: free text
///     ---
public enum LineFormatWriter {
    /// One sheet block. Entries follow `order` (the rubric's leaf order) when given, then any others sorted.
    public static func sheetBlock(panel: String, sheet: SheetRecord, order: [String] = []) -> String {
        var lines = ["panel: \(panel)", "reviewer: \(sheet.reviewer)", "applicant: \(sheet.applicant)"]
        lines += entries(sheet.points, notes: sheet.notes, order: order)
        return lines.joined(separator: "\n") + "\n"
    }

    /// One applicant-data block (核定数据): measured values and, when known, the industry.
    public static func dataBlock(panel: String, applicant: String, data: ApplicantData, order: [String] = []) -> String {
        var lines = ["panel: \(panel)", "applicant: \(applicant)"]
        if let industry = data.industry { lines.append("industry: \(industry)") }
        lines += entries(data.values, notes: [:], order: order)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Blocks joined by `---` separator lines.
    public static func join(_ blocks: [String]) -> String {
        blocks.joined(separator: "---\n")
    }

    static func entries(_ values: [String: Double], notes: [String: String], order: [String]) -> [String] {
        let known = Set(order)
        let keys = order.filter { values[$0] != nil || notes[$0] != nil }
            + Set(values.keys).union(notes.keys).subtracting(known).sorted()
        var out: [String] = []
        for k in keys {
            // Exact: what is written reads back as the same number (no rounding to a few decimals).
            if let v = values[k] { out.append("\(k) = \(exactDecimalText(v))") }
            if let n = notes[k] {
                // A note is one line: line breaks become spaces.
                let flat = n.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
                out.append("note \(k): \(flat)")
            }
        }
        return out
    }
}
