import Foundation

/// The line format (README "The line format"): UTF-8, one statement a line, `#` starts a comment
/// (except inside a note's text), blocks separated by `---`.
///
///     panel: P1
///     reviewer: r1            # omitted in an applicant-data block
///     applicant: a1
///     industry: 机械          # applicant-data blocks only
///     <indicator-id> = <number>[%] | yes | no | 是 | 否
///     note <indicator-id>: free text
///
/// Parsing is pure and collects every problem with FILE:LINE; resolving checks a parsed file against
/// a rubric (and, when given, the panel's reviewers and applicants).

/// The value on the right of `=`.
public enum LineValue: Sendable, Equatable {
    /// A number with the unit typed after it (`%`, `分`, the leaf's own unit), if any.
    case number(Double, unit: String?)
    case yes
    case no

    /// A number written with or without a percent sign.
    public static func number(_ v: Double, percent: Bool) -> LineValue { .number(v, unit: percent ? "%" : nil) }
}

/// `<indicator-id> = <value>` on line `line`.
public struct LineEntry: Sendable, Equatable {
    public var id: String
    public var value: LineValue
    public var line: Int
    public init(id: String, value: LineValue, line: Int) {
        self.id = id
        self.value = value
        self.line = line
    }
}

/// `note <indicator-id>: text` on line `line`. The text is kept exactly as written (not folded).
public struct LineNote: Sendable, Equatable {
    public var id: String
    public var text: String
    public var line: Int
    public init(id: String, text: String, line: Int) {
        self.id = id
        self.text = text
        self.line = line
    }
}

/// A header value (`panel: P1`) and its line.
public struct LineHeader: Sendable, Equatable {
    public var value: String
    public var line: Int
    public init(value: String, line: Int) {
        self.value = value
        self.line = line
    }
}

/// One block of a line-format file: headers, entries and notes in file order.
public struct LineBlock: Sendable, Equatable {
    /// Line of the block's first statement.
    public var line: Int
    public var panel: LineHeader?
    public var reviewer: LineHeader?
    public var applicant: LineHeader?
    public var industry: LineHeader?
    public var entries: [LineEntry] = []
    public var notes: [LineNote] = []

    public init(line: Int) { self.line = line }

    var isEmpty: Bool {
        panel == nil && reviewer == nil && applicant == nil && industry == nil && entries.isEmpty && notes.isEmpty
    }
}

public enum LineFormat {
    /// Longest line accepted, in bytes (without the line break).
    public static let maxLineBytes = 4096
    public static let headerKeys = ["panel", "reviewer", "applicant", "industry"]
}

/// Parses line-format text. Every problem is collected, each with FILE:LINE and the field.
public func parseLineFile(_ text: String, file: String) -> Result<[LineBlock], PingshenErrors> {
    parseLineFile(bytes: Array(text.utf8), file: file)
}

/// Parses line-format bytes: refuses invalid UTF-8, NUL bytes and over-long lines by line number.
public func parseLineFile(bytes: [UInt8], file: String) -> Result<[LineBlock], PingshenErrors> {
    let (blocks, errors) = parseLineBlocks(bytes: bytes, file: file)
    return errors.isEmpty ? .success(blocks) : .failure(PingshenErrors(errors))
}

/// Parses as far as possible: the blocks that could be read (without the lines in error) and every
/// problem, sorted by line. Lets a caller check the readable part too and report everything at once.
public func parseLineBlocks(bytes: [UInt8], file: String) -> (blocks: [LineBlock], errors: [PingshenError]) {
    var parser = LineParser(file: file)
    var lineNo = 0
    var start = 0
    let n = bytes.count
    while start < n {
        var end = start
        while end < n && bytes[end] != 0x0A { end += 1 }
        lineNo += 1
        var slice = bytes[start..<end]
        if slice.last == 0x0D { slice = slice.dropLast() }
        if lineNo == 1, slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }
        parser.feed(slice, lineNo)
        start = end + 1
    }
    return parser.finish()
}

/// Reads score sheets from a line-format file: parse, then check against the rubric and the panel.
/// All problems of both steps come back together, sorted by line.
public func readSheets(bytes: [UInt8], file: String, index: RubricIndex, panel: String,
                       reviewers: Set<String>? = nil, applicants: Set<String>? = nil) -> Result<[SheetInput], PingshenErrors> {
    let (blocks, parseErrors) = parseLineBlocks(bytes: bytes, file: file)
    let resolved = resolveSheets(blocks, file: file, index: index, panel: panel, reviewers: reviewers, applicants: applicants)
    return merge(parseErrors, resolved)
}

/// Reads applicant data from a line-format file: parse, then check against the rubric.
public func readData(bytes: [UInt8], file: String, rubric: Rubric, panel: String, applicants: Set<String>? = nil,
                     existing: [String: ApplicantData] = [:]) -> Result<[DataInput], PingshenErrors> {
    let (blocks, parseErrors) = parseLineBlocks(bytes: bytes, file: file)
    let resolved = resolveData(blocks, file: file, rubric: rubric, panel: panel, applicants: applicants, existing: existing)
    return merge(parseErrors, resolved)
}

private func merge<T>(_ parseErrors: [PingshenError], _ resolved: Result<[T], PingshenErrors>) -> Result<[T], PingshenErrors> {
    switch resolved {
    case .success(let v):
        return parseErrors.isEmpty ? .success(v) : .failure(PingshenErrors(parseErrors))
    case .failure(let e):
        return .failure(PingshenErrors(sortedByLine(parseErrors + e.errors)))
    }
}

/// Blanks between the parts of a line: what `trimmingCharacters(in: .whitespaces)` trims (tab and
/// the space separators).
func isBlankScalar(_ u: Unicode.Scalar) -> Bool {
    u == " " || u == "\t" || u.properties.generalCategory == .spaceSeparator
}

/// What is trimmed from both ends of a note's text: blanks and carriage returns.
let noteTrim = CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\r"))

/// Characters allowed in ids (panels, reviewers, applicants, indicators) on a line.
func isLineIdScalar(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    case 0x2D, 0x5F, 0x2E: return true  // - _ .
    default: return false
    }
}

private struct LineParser {
    let file: String
    var blocks: [LineBlock] = []
    var current: LineBlock?
    var errors: [PingshenError] = []
    var entryLines: [String: Int] = [:]
    var noteLines: [String: Int] = [:]

    init(file: String) { self.file = file }

    func at(_ line: Int, _ field: String? = nil) -> SourceLocation {
        SourceLocation(file: file, line: line, field: field)
    }

    mutating func fail(_ key: String, _ args: [String], _ line: Int, _ field: String? = nil) {
        errors.append(PingshenError(key, args, at: at(line, field)))
    }

    mutating func feed(_ bytes: ArraySlice<UInt8>, _ lineNo: Int) {
        if bytes.count > LineFormat.maxLineBytes {
            fail("line.too_long", [String(bytes.count), String(LineFormat.maxLineBytes)], lineNo)
            return
        }
        if bytes.contains(0) {
            fail("line.nul", [], lineNo)
            return
        }
        if !bytes.contains(where: { $0 >= 0x80 }) {
            parseASCII(bytes, lineNo)
            return
        }
        guard let raw = String(validating: bytes, as: UTF8.self) else {
            fail("line.invalid_utf8", [], lineNo)
            return
        }
        parseLine(raw, lineNo)
    }

    mutating func block(_ lineNo: Int) -> LineBlock {
        if let current { return current }
        entryLines = [:]
        noteLines = [:]
        return LineBlock(line: lineNo)
    }

    mutating func closeBlock() {
        guard let b = current else { return }
        current = nil
        if b.isEmpty { return }
        if b.panel == nil { fail("line.missing_header", ["panel"], b.line, "panel") }
        if b.applicant == nil { fail("line.missing_header", ["applicant"], b.line, "applicant") }
        blocks.append(b)
    }

    mutating func parseLine(_ raw: String, _ lineNo: Int) {
        let isASCII = raw.utf8.allSatisfy { $0 < 0x80 }
        let folded = isASCII ? raw : foldFullWidth(raw)
        let fs = Array(folded.unicodeScalars)
        var i = 0
        while i < fs.count, isBlankScalar(fs[i]) { i += 1 }
        if i == fs.count || fs[i] == "#" { return }

        // note <id>: text — the text runs to the end of the line, unfolded, `#` included.
        if let note = noteLine(fs, from: i) {
            let rs = Array(raw.unicodeScalars)
            var s = String.UnicodeScalarView()
            s.append(contentsOf: rs[(note.colon + 1)...])
            // Carriage returns are trimmed too: a line's last one is its ending, and a stray one more
            // would not survive being written back (the writer's line ending swallows it).
            let text = String(s).trimmingCharacters(in: noteTrim)
            var b = block(lineNo)
            defer { current = b }
            guard b.applicant != nil else {
                fail("line.entry_before_header", [], lineNo, note.id)
                return
            }
            if text.isEmpty {
                fail("line.empty_value", ["note \(note.id)"], lineNo, note.id)
                return
            }
            if let first = noteLines[note.id] {
                fail("store.line_duplicate_note", [note.id, String(first)], lineNo, note.id)
                return
            }
            noteLines[note.id] = lineNo
            b.notes.append(LineNote(id: note.id, text: text, line: lineNo))
            return
        }

        var body = String(String.UnicodeScalarView(fs[i...]))
        if let hash = body.firstIndex(of: "#") { body = String(body[..<hash]) }
        body = body.trimmingCharacters(in: .whitespaces)
        if body.isEmpty { return }
        if body.count >= 3 && body.allSatisfy({ $0 == "-" }) {
            closeBlock()
            return
        }
        let eq = body.firstIndex(of: "=")
        let colon = body.firstIndex(of: ":")
        if let eq, colon.map({ eq < $0 }) ?? true {
            let id = body[..<eq].trimmingCharacters(in: .whitespaces)
            let valueText = body[body.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty, id.unicodeScalars.allSatisfy(isLineIdScalar) else {
                fail("line.syntax", [body], lineNo)
                return
            }
            parseEntry(id: id, valueText: valueText, lineNo)
        } else if let colon {
            let key = body[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            parseHeader(key: key, value: value, lineNo, body)
        } else {
            fail("line.syntax", [body], lineNo)
        }
    }

    /// The common case, a pure ASCII line, read byte by byte (the general path below handles the rest
    /// and gives the same result for ASCII text).
    mutating func parseASCII(_ b: ArraySlice<UInt8>, _ lineNo: Int) {
        func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        var s = b.startIndex
        var e = b.endIndex
        while s < e, isBlank(b[s]) { s += 1 }
        if s == e || b[s] == 0x23 { return }
        // `note ` lines (rare) take the general path.
        if e - s > 5, b[s] == 0x6E, b[s + 1] == 0x6F, b[s + 2] == 0x74, b[s + 3] == 0x65, isBlank(b[s + 4]) {
            parseLine(String(decoding: b, as: UTF8.self), lineNo)
            return
        }
        if let hash = b[s..<e].firstIndex(of: 0x23) { e = hash }
        while e > s, isBlank(b[e - 1]) { e -= 1 }
        if e == s { return }
        let body = b[s..<e]
        if body.count >= 3 && body.allSatisfy({ $0 == 0x2D }) {
            closeBlock()
            return
        }
        func trimmed(_ x: ArraySlice<UInt8>) -> String {
            var i = x.startIndex, j = x.endIndex
            while i < j, isBlank(x[i]) { i += 1 }
            while j > i, isBlank(x[j - 1]) { j -= 1 }
            return String(decoding: x[i..<j], as: UTF8.self)
        }
        let eq = body.firstIndex(of: 0x3D)
        let colon = body.firstIndex(of: 0x3A)
        if let eq, colon.map({ eq < $0 }) ?? true {
            let id = trimmed(body[body.startIndex..<eq])
            guard !id.isEmpty, id.utf8.allSatisfy({ isLineIdScalar(Unicode.Scalar($0)) }) else {
                fail("line.syntax", [String(decoding: body, as: UTF8.self)], lineNo)
                return
            }
            parseEntry(id: id, valueText: trimmed(body[(eq + 1)...]), lineNo)
        } else if let colon {
            parseHeader(key: trimmed(body[body.startIndex..<colon]).lowercased(), value: trimmed(body[(colon + 1)...]),
                        lineNo, String(decoding: body, as: UTF8.self))
        } else {
            fail("line.syntax", [String(decoding: body, as: UTF8.self)], lineNo)
        }
    }

    /// Recognises `note <id>:` and returns the id and the scalar index of the colon.
    func noteLine(_ fs: [Unicode.Scalar], from start: Int) -> (id: String, colon: Int)? {
        let word: [Unicode.Scalar] = ["n", "o", "t", "e"]
        guard fs.count > start + 5, Array(fs[start..<(start + 4)]) == word,
              isBlankScalar(fs[start + 4]) else { return nil }
        var j = start + 4
        while j < fs.count, isBlankScalar(fs[j]) { j += 1 }
        let idStart = j
        while j < fs.count, isLineIdScalar(fs[j]) { j += 1 }
        guard j > idStart else { return nil }
        let id = String(String.UnicodeScalarView(fs[idStart..<j]))
        while j < fs.count, isBlankScalar(fs[j]) { j += 1 }
        guard j < fs.count, fs[j] == ":" else { return nil }
        return (id, j)
    }

    mutating func parseEntry(id: String, valueText: String, _ lineNo: Int) {
        var b = block(lineNo)
        defer { current = b }
        guard b.applicant != nil else {
            fail("line.entry_before_header", [], lineNo, id)
            return
        }
        if valueText.isEmpty {
            fail("line.empty_value", [id], lineNo, id)
            return
        }
        let value: LineValue
        if let v = parsePlainDecimal(valueText) {
            value = .number(v, unit: nil)
        } else {
            switch valueText.lowercased() {
            case "yes", "是": value = .yes
            case "no", "否": value = .no
            default:
                guard let (v, unit) = parseNumberWithUnit(valueText) else {
                    fail("line.not_number", [valueText], lineNo, id)
                    return
                }
                value = .number(v, unit: unit)
            }
        }
        if let first = entryLines[id] {
            fail("line.duplicate_entry", [id, String(first)], lineNo, id)
            return
        }
        entryLines[id] = lineNo
        b.entries.append(LineEntry(id: id, value: value, line: lineNo))
    }

    mutating func parseHeader(key: String, value: String, _ lineNo: Int, _ body: String) {
        guard LineFormat.headerKeys.contains(key) else {
            if key.isEmpty || key.contains(" ") {
                fail("line.syntax", [body], lineNo)
            } else {
                fail("line.unknown_header", [key], lineNo, key)
            }
            return
        }
        if value.isEmpty {
            fail("line.empty_value", [key], lineNo, key)
            return
        }
        // An id header must be one token; the industry may be a Chinese name.
        if key != "industry" && !value.unicodeScalars.allSatisfy(isLineIdScalar) {
            fail("store.line_bad_id", [key, value], lineNo, key)
            return
        }
        var b = block(lineNo)
        defer { current = b }
        let h = LineHeader(value: value, line: lineNo)
        let taken: Bool
        switch key {
        case "panel": taken = b.panel != nil; if !taken { b.panel = h }
        case "reviewer": taken = b.reviewer != nil; if !taken { b.reviewer = h }
        case "applicant": taken = b.applicant != nil; if !taken { b.applicant = h }
        default: taken = b.industry != nil; if !taken { b.industry = h }
        }
        if taken { fail("line.duplicate_header", [key], lineNo, key) }
    }

    mutating func finish() -> (blocks: [LineBlock], errors: [PingshenError]) {
        closeBlock()
        if errors.isEmpty && blocks.isEmpty {
            errors.append(PingshenError("line.no_blocks", [], at: SourceLocation(file: file)))
        }
        return (blocks, sortedByLine(errors))
    }
}

/// `parseDecimal` for the common case of plain ASCII text without spaces (same rules: optional sign
/// first, at most one dot, at least one digit, at most 32 characters, |v| ≤ 1e12, no negative zero);
/// nil for anything else, which then takes `parseDecimal`.
func parsePlainDecimal(_ text: String) -> Double? {
    let u = text.utf8
    guard !u.isEmpty, u.count <= 32 else { return nil }
    var sawDigit = false, sawDot = false, i = 0
    for c in u {
        switch c {
        case 0x2B, 0x2D: if i != 0 { return nil }
        case 0x2E:
            if sawDot { return nil }
            sawDot = true
        case 0x30...0x39: sawDigit = true
        default: return nil
        }
        i += 1
    }
    guard sawDigit, let v = Double(text), v.isFinite, abs(v) <= maxAcceptedMagnitude else { return nil }
    return v == 0 ? 0 : v
}

// MARK: - Resolving against a rubric

/// One reviewer's sheet read from a file, checked against the rubric: points per `points` leaf.
public struct SheetInput: Sendable, Equatable {
    public var reviewer: String
    public var applicant: String
    public var points: [String: Double]
    public var notes: [String: String]
    /// Where the block starts (for messages about the whole sheet), and each entry's line.
    public var file: String
    public var line: Int
    public var lines: [String: Int]

    public init(reviewer: String, applicant: String, points: [String: Double] = [:], notes: [String: String] = [:],
                file: String = "", line: Int = 0, lines: [String: Int] = [:]) {
        self.reviewer = reviewer
        self.applicant = applicant
        self.points = points
        self.notes = notes
        self.file = file
        self.line = line
        self.lines = lines
    }
}

/// One applicant's verified data read from a file, checked against the rubric.
public struct DataInput: Sendable, Equatable {
    public var applicant: String
    /// Sets the applicant's industry when given.
    public var industry: String?
    /// Measured values: value leaves, gate fields, and reference data for points leaves.
    public var values: [String: Double]
    public var notes: [String: String]
    public var file: String
    public var line: Int
    public var lines: [String: Int]

    public init(applicant: String, industry: String? = nil, values: [String: Double] = [:],
                notes: [String: String] = [:], file: String = "", line: Int = 0, lines: [String: Int] = [:]) {
        self.applicant = applicant
        self.industry = industry
        self.values = values
        self.notes = notes
        self.file = file
        self.line = line
        self.lines = lines
    }
}

/// Lookups of a rubric the resolvers need, built once per rubric.
public struct RubricIndex: Sendable {
    public let rubric: Rubric
    public let nodes: [String: RubricNode]
    public let leafOrder: [String]
    public let gates: [String: [Gate]]

    public init(_ rubric: Rubric) {
        self.rubric = rubric
        var nodes: [String: RubricNode] = [:]
        for (n, _) in rubric.nodesWithPath { nodes[n.id] = n }
        self.nodes = nodes
        leafOrder = rubric.leaves.map(\.id)
        var gates: [String: [Gate]] = [:]
        for v in rubric.eligibility {
            for g in v.gates { gates[g.field, default: []].append(g) }
        }
        self.gates = gates
    }
}

/// Checks parsed sheet blocks against a rubric and a panel: points leaves only, points within the
/// leaf's rule (`yes`/`是` gives an award leaf its weight, `no`/`否` gives 0).
public func resolveSheets(_ blocks: [LineBlock], file: String, rubric: Rubric, panel: String,
                          reviewers: Set<String>? = nil, applicants: Set<String>? = nil)
    -> Result<[SheetInput], PingshenErrors> {
    resolveSheets(blocks, file: file, index: RubricIndex(rubric), panel: panel, reviewers: reviewers,
                  applicants: applicants)
}

public func resolveSheets(_ blocks: [LineBlock], file: String, index: RubricIndex, panel: String,
                          reviewers: Set<String>? = nil, applicants: Set<String>? = nil)
    -> Result<[SheetInput], PingshenErrors> {
    var errors: [PingshenError] = []
    var out: [SheetInput] = []
    var seen: [String: Int] = [:]
    func fail(_ key: String, _ args: [String], _ line: Int, _ field: String?) {
        errors.append(PingshenError(key, args, at: SourceLocation(file: file, line: line, field: field)))
    }
    for b in blocks {
        checkPanel(b, panel: panel, fail: fail)
        guard let r = b.reviewer else {
            fail("line.missing_header", ["reviewer"], b.line, "reviewer")
            continue
        }
        guard let a = b.applicant else { continue }
        if let reviewers, !reviewers.contains(r.value) { fail("line.unknown_reviewer", [r.value], r.line, "reviewer") }
        if let applicants, !applicants.contains(a.value) { fail("line.unknown_applicant", [a.value], a.line, "applicant") }
        if let ind = b.industry { fail("store.line_industry_in_sheet", [], ind.line, "industry") }
        let key = r.value + "\u{1F}" + a.value
        if let first = seen[key] {
            fail("store.line_duplicate_sheet", [r.value, a.value, String(first)], b.line, "applicant")
        } else {
            seen[key] = b.line
        }
        var sheet = SheetInput(reviewer: r.value, applicant: a.value, file: file, line: b.line)
        for e in b.entries {
            guard let node = index.nodes[e.id] else {
                fail("line.unknown_indicator", [e.id, index.rubric.id], e.line, e.id)
                continue
            }
            guard node.isLeaf else {
                fail("line.not_leaf", [e.id], e.line, e.id)
                continue
            }
            guard node.input != .value else {
                fail("line.value_leaf_in_sheet", [e.id], e.line, e.id)
                continue
            }
            let points: Double
            switch e.value {
            case .yes, .no:
                guard case .award? = node.rule else {
                    fail("line.yesno_not_allowed", [e.id], e.line, e.id)
                    continue
                }
                points = e.value == .yes ? node.weight : 0
            case .number(let v, let unit):
                if unit == "%" {
                    fail("store.line_percent_in_sheet", [e.id], e.line, e.id)
                    continue
                }
                if let unit, unit != pointsUnit {
                    fail("line.unit_mismatch", [e.id, unit, pointsUnit], e.line, e.id)
                    continue
                }
                points = v
            }
            if !obviouslyValid(points, node), let problem = validatePoints(points, for: node) {
                errors.append(PingshenError(problem.key, problem.args,
                                            at: SourceLocation(file: file, line: e.line, field: e.id)))
                continue
            }
            sheet.points[e.id] = points
            sheet.lines[e.id] = e.line
        }
        for n in b.notes {
            guard let node = index.nodes[n.id] else {
                fail("line.unknown_indicator", [n.id, index.rubric.id], n.line, n.id)
                continue
            }
            guard node.isLeaf else {
                fail("line.not_leaf", [n.id], n.line, n.id)
                continue
            }
            sheet.notes[n.id] = n.text
            if sheet.lines[n.id] == nil { sheet.lines[n.id] = n.line }
        }
        out.append(sheet)
    }
    return errors.isEmpty ? .success(out) : .failure(PingshenErrors(sortedByLine(errors)))
}

/// Checks parsed applicant-data blocks against a rubric: value leaves and gate fields are checked
/// (units, yes/no, `of` items), values of points leaves are kept as reference data for reviewers, and
/// `industry:` must name an industry of the rubric's coefficient table when it has one. `existing` is
/// the data already stored, used for the `of` check when a block gives only one of the two values.
public func resolveData(_ blocks: [LineBlock], file: String, rubric: Rubric, panel: String,
                        applicants: Set<String>? = nil, existing: [String: ApplicantData] = [:])
    -> Result<[DataInput], PingshenErrors> {
    resolveData(blocks, file: file, index: RubricIndex(rubric), panel: panel, applicants: applicants, existing: existing)
}

/// `resolveData` with the rubric's lookups built once (by a caller that resolves many files).
public func resolveData(_ blocks: [LineBlock], file: String, index: RubricIndex, panel: String,
                        applicants: Set<String>? = nil, existing: [String: ApplicantData] = [:])
    -> Result<[DataInput], PingshenErrors> {
    let rubric = index.rubric
    var errors: [PingshenError] = []
    var out: [DataInput] = []
    var seen: [String: Int] = [:]
    func fail(_ key: String, _ args: [String], _ line: Int, _ field: String?) {
        errors.append(PingshenError(key, args, at: SourceLocation(file: file, line: line, field: field)))
    }
    for b in blocks {
        checkPanel(b, panel: panel, fail: fail)
        if let r = b.reviewer { fail("line.reviewer_in_data", [], r.line, "reviewer") }
        guard let a = b.applicant else { continue }
        if let applicants, !applicants.contains(a.value) { fail("line.unknown_applicant", [a.value], a.line, "applicant") }
        if let first = seen[a.value] {
            fail("store.line_duplicate_data", [a.value, String(first)], b.line, "applicant")
        } else {
            seen[a.value] = b.line
        }
        var data = DataInput(applicant: a.value, file: file, line: b.line)
        if let ind = b.industry {
            if let table = rubric.industries, table.industry(ind.value) == nil {
                let known = table.rows.map(\.name).joined(separator: "、")
                fail("line.unknown_industry", [ind.value, known], ind.line, "industry")
            } else {
                data.industry = ind.value
            }
        }
        for e in b.entries {
            let node = index.nodes[e.id]
            let gates = index.gates[e.id] ?? []
            if node == nil && gates.isEmpty {
                fail("line.unknown_indicator", [e.id, rubric.id], e.line, e.id)
                continue
            }
            if let node, !node.isLeaf {
                fail("line.not_leaf", [e.id], e.line, e.id)
                continue
            }
            let value: Double
            switch e.value {
            case .yes, .no:
                let yesNoGate = gates.contains { $0.op == .yes }
                var awardLeaf = false
                if case .award? = node?.rule { awardLeaf = true }
                guard yesNoGate || awardLeaf else {
                    fail("line.yesno_not_allowed", [e.id], e.line, e.id)
                    continue
                }
                value = e.value == .yes ? 1 : 0
            case .number(let v, let unit):
                let declared = node?.unit ?? gates.first { $0.unit != nil }?.unit
                if unit == "%" && node?.unit != "%" && !gates.contains(where: { $0.unit == "%" }) {
                    fail("line.percent_not_allowed", [e.id], e.line, e.id)
                    continue
                }
                if let unit, unit != "%", unit != node?.unit, !gates.contains(where: { $0.unit == unit }) {
                    fail("line.unit_mismatch", [e.id, unit, declared ?? "—"], e.line, e.id)
                    continue
                }
                // A yes/no field (read only by yes/no gates, or a value leaf of the award rule) takes
                // yes/no or 1/0: any other number is a mistake, not a “yes”.
                var yesNoOnly = node == nil && !gates.isEmpty && gates.allSatisfy { $0.op == .yes }
                if let node, node.input == .value, case .award? = node.rule { yesNoOnly = true }
                if yesNoOnly && v != 0 && v != 1 {
                    fail("line.yesno_expected", [e.id, formatNumber(v, decimals: 4)], e.line, e.id)
                    continue
                }
                value = v
            }
            if let range = node?.validRange ?? gates.lazy.compactMap(\.validRange).first {
                if !range.contains(value) {
                    fail("line.value_range", [e.id, formatNumber(value, decimals: 4), range.text + (node?.unit ?? gates.first?.unit ?? "")], e.line, e.id)
                    continue
                }
            } else if value < 0 {
                fail("line.value_negative", [e.id, formatNumber(value, decimals: 4)], e.line, e.id)
                continue
            }
            // A value leaf whose rule takes points-like values (tiers, award, discretionary) is checked as points.
            if let node, node.input == .value {
                switch node.rule {
                case .tiers?, .discretionary?:
                    if let p = validatePoints(value, for: node) {
                        errors.append(PingshenError(p.key, p.args, at: SourceLocation(file: file, line: e.line, field: e.id)))
                        continue
                    }
                default: break
                }
            }
            data.values[e.id] = value
            data.lines[e.id] = e.line
        }
        // 其中… items: not more than the value of the leaf they are part of.
        let stored = existing[a.value]?.values ?? [:]
        for (id, v) in data.values {
            guard let parentId = index.nodes[id]?.of else { continue }
            guard let pv = data.values[parentId] ?? stored[parentId] else { continue }
            if v > pv + 1e-9 {
                fail("line.of_exceeds", [id, formatNumber(v, decimals: 4), parentId, formatNumber(pv, decimals: 4)],
                     data.lines[id] ?? b.line, id)
            }
        }
        // A parent value lowered below a stored 其中 item is refused as well.
        for (id, node) in index.nodes where node.of != nil {
            guard let parentId = node.of, let pv = data.values[parentId], data.values[id] == nil,
                  let cv = stored[id], cv > pv + 1e-9 else { continue }
            fail("line.of_exceeds", [id, formatNumber(cv, decimals: 4), parentId, formatNumber(pv, decimals: 4)],
                 data.lines[parentId] ?? b.line, parentId)
        }
        for n in b.notes {
            if index.nodes[n.id] == nil && index.gates[n.id] == nil {
                fail("line.unknown_indicator", [n.id, rubric.id], n.line, n.id)
                continue
            }
            data.notes[n.id] = n.text
        }
        out.append(data)
    }
    return errors.isEmpty ? .success(out) : .failure(PingshenErrors(sortedByLine(errors)))
}

/// A fast yes for the common case, so that `validatePoints` (which formats its message eagerly) runs
/// only for points that may be wrong.
private func obviouslyValid(_ p: Double, _ leaf: RubricNode) -> Bool {
    guard p >= 0, p <= leaf.weight else { return false }
    switch leaf.rule {
    case .discretionary(let step)?: return step.map { isMultiple(p, of: $0) } ?? true
    case .award?: return p == 0 || p == leaf.weight
    case .tiers(let tiers)?: return tiers.contains { $0.points == p }
    default: return false
    }
}

private func checkPanel(_ b: LineBlock, panel: String, fail: (String, [String], Int, String?) -> Void) {
    if let p = b.panel, p.value != panel { fail("line.wrong_panel", [p.value, panel], p.line, "panel") }
}

private func sortedByLine(_ errors: [PingshenError]) -> [PingshenError] {
    errors.enumerated().sorted {
        let l0 = $0.element.location?.line ?? 0, l1 = $1.element.location?.line ?? 0
        return l0 != l1 ? l0 < l1 : $0.offset < $1.offset
    }.map(\.element)
}
