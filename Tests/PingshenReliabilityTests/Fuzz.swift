import Foundation
import PingshenCore
import Testing

// Generators and mutators shared by the fuzz tests. Everything is driven by one seeded generator, so
// a failing input can be replayed from the seed the test prints.

/// Unicode and ASCII fragments that have tripped parsers before: full-width forms, invisible and
/// bidirectional characters, combining marks, other digit systems, line separators, number spellings
/// that must be refused, SQL and format-string text.
let nastyTokens: [String] = [
    "０", "１２", "８５．５", "．", "＝", "：", "％", "　", "－", "＋", "ｅ", "\u{FEFF}", "\u{200B}", "\u{2028}", "\u{2029}",
    "\u{0085}", "\u{00A0}", "\u{202E}", "\u{0301}", "e\u{0301}", "😀", "👨‍👩‍👧", "中文", "是", "否", "Ｙｅｓ", "#", "=", ":",
    "%", "---", "note", "note goals:", "\t", "\r", " ", "1e5", "1E-3", "NaN", "nan", "inf", "Infinity", "-inf", "-0",
    "+0", "-0.0", "0x1F", "0b1", "1_000", "1,5", "1.2.3", "..5", "٣", "۵", "𝟓", "Ⅻ", "½", "9999999999999",
    "1000000000000", "1000000000000.5", "0.000000000000000000000000001", "99999999999999999999999999999999999",
    "'", "\"", "\\", "'; DROP TABLE sheet; --", "\u{7F}", "\u{1B}[31m", "%n%s", "{0}", "\u{FFFD}", "\u{10FFFF}",
    "panel: P1", "reviewer: r1", "applicant: a1", "industry: 机械", "applicant: a1'; DROP TABLE applicant;--",
]

/// Number spellings, good and bad, put on the right of `=`.
let nastyNumbers: [String] = [
    "0", "-0", "+0", "-0.0", "0.0", ".5", "5.", "+5", "--5", "1e3", "1E3", "1e-3", "NaN", "nan", "-NaN", "Infinity",
    "inf", "-inf", "∞", "0x10", "1_000", "1,000", "1 000", "٣", "𝟓", "１e３", "１２．５", "12.5%", "12.5 %", "50％",
    "1000000000000", "1000000000000.0001", "-1000000000000", "1e12", "999999999999.9999",
    "0.000000000000000000000000000001", "12345678901234567890123456789012", "123456789012345678901234567890123",
    "0.1234567", "3.14159265358979", "2.675", "1.00000000000000011", "yes", "no", "是", "否", "YES", "Ｎｏ",
]

/// Byte sequences that are not UTF-8: a lone continuation byte, overlong forms, a UTF-16 surrogate,
/// beyond U+10FFFF, truncated sequences, bytes that never occur.
let invalidUTF8: [[UInt8]] = [
    [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
    [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xE4, 0xB8], [0xF0, 0x9F, 0x98],
]

/// Applies one to three random mutations to `bytes`.
func mutate(_ input: [UInt8], _ rng: inout SeededRandom, numbers: [String] = nastyNumbers) -> [UInt8] {
    var bytes = input
    for _ in 0..<rng.int(1...3) {
        switch rng.int(0..<14) {
        case 0 where !bytes.isEmpty:  // replace a byte
            bytes[rng.int(0..<bytes.count)] = UInt8(rng.int(0...255))
        case 1 where !bytes.isEmpty:  // flip a bit
            bytes[rng.int(0..<bytes.count)] ^= UInt8(1 << rng.int(0..<8))
        case 2:  // truncate
            bytes = Array(bytes.prefix(rng.int(0...bytes.count)))
        case 3:  // duplicate a line
            var lines = splitLines(bytes)
            if !lines.isEmpty {
                let i = rng.int(0..<lines.count)
                lines.insert(lines[i], at: rng.int(0...lines.count))
            }
            bytes = joinLines(lines)
        case 4:  // delete a line
            var lines = splitLines(bytes)
            if !lines.isEmpty { lines.remove(at: rng.int(0..<lines.count)) }
            bytes = joinLines(lines)
        case 5:  // swap two lines
            var lines = splitLines(bytes)
            if lines.count > 1 { lines.swapAt(rng.int(0..<lines.count), rng.int(0..<lines.count)) }
            bytes = joinLines(lines)
        case 6, 7:  // insert a nasty token
            let at = charBoundary(bytes, rng.int(0...bytes.count))
            bytes.insert(contentsOf: Array(rng.pick(nastyTokens).utf8), at: at)
        case 8:  // replace what follows `=` or `:` on a line with a nasty number
            var lines = splitLines(bytes)
            if !lines.isEmpty {
                let i = rng.int(0..<lines.count)
                if let eq = lines[i].lastIndex(where: { $0 == 0x3D || $0 == 0x3A }) {
                    lines[i] = Array(lines[i][...eq]) + Array((" " + rng.pick(numbers)).utf8)
                }
            }
            bytes = joinLines(lines)
        case 9:  // invalid UTF-8
            bytes.insert(contentsOf: rng.pick(invalidUTF8), at: rng.int(0...bytes.count))
        case 10:  // NUL
            bytes.insert(0, at: rng.int(0...bytes.count))
        case 11 where rng.chance(0.3):  // an over-long line (or one just at the limit)
            let n = rng.pick([LineFormat.maxLineBytes - 1, LineFormat.maxLineBytes, LineFormat.maxLineBytes + 1, 3 * LineFormat.maxLineBytes])
            var lines = splitLines(bytes)
            let filler = rng.chance(0.5) ? Array(repeating: UInt8(ascii: "9"), count: n)
                : Array(("note goals: " + String(repeating: "长", count: n / 3)).utf8)
            lines.insert(filler, at: rng.int(0...lines.count))
            bytes = joinLines(lines)
        case 12:  // line endings: CRLF everywhere, or a lone CR
            if rng.chance(0.5) {
                bytes = joinLines(splitLines(bytes).map { $0 + [0x0D] })
            } else {
                bytes.insert(0x0D, at: rng.int(0...bytes.count))
            }
        default:  // random Unicode scalars
            var s = ""
            for _ in 0..<rng.int(1...4) {
                let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA0...0x2FF, 0x3000...0x303F, 0x4E00...0x9FFF,
                                                     0xFF00...0xFFEF, 0x1F300...0x1FAFF, 0x0...0x1F]
                let r = rng.pick(ranges)
                if let u = Unicode.Scalar(UInt32.random(in: r, using: &rng)) { s.unicodeScalars.append(u) }
            }
            bytes.insert(contentsOf: Array(s.utf8), at: charBoundary(bytes, rng.int(0...bytes.count)))
        }
    }
    return bytes
}

/// Moves an insertion point back to the start of a UTF-8 character (so that inserted tokens stay
/// whole; other mutations break characters on purpose).
func charBoundary(_ bytes: [UInt8], _ i: Int) -> Int {
    var j = i
    while j > 0 && j < bytes.count && bytes[j] & 0xC0 == 0x80 { j -= 1 }
    return j
}

func splitLines(_ bytes: [UInt8]) -> [[UInt8]] {
    bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
}

func joinLines(_ lines: [[UInt8]]) -> [UInt8] {
    Array(lines.joined(separator: [0x0A]))
}

/// Checks the refusals of a parser: at least one; each a catalog message, located in `file`, on a
/// line of the input — or, for the keys in `wholeFile`, with no line at all.
func locationProblems(_ errors: [PingshenError], file: String, lines: Int, wholeFile: Set<String>) -> [String] {
    if errors.isEmpty { return ["a refusal without any error"] }
    var out: [String] = []
    for e in errors {
        if !Catalog.has(e.key) { out.append("unknown message key \(e.key)") }
        guard let loc = e.location else {
            out.append("no location: \(e.text(.en))")
            continue
        }
        if loc.file != file { out.append("wrong file \(loc.file): \(e.text(.en))") }
        if let line = loc.line {
            if line < 1 || line > lines { out.append("line \(line) outside 1…\(lines): \(e.text(.en))") }
        } else if !wholeFile.contains(e.key) {
            out.append("no line: \(e.text(.en))")
        }
    }
    return out
}

/// Keeps the slowest input of a run and counts them, for the time bound and the figures.
struct FuzzStats {
    var inputs = 0
    var accepted = 0
    var refused = 0
    var roundTrips = 0
    var slowest = 0.0
    var failures: [String] = []

    mutating func fail(_ what: String, _ input: [UInt8]) {
        if failures.count < 20 {
            let shown = String(decoding: input.prefix(600), as: UTF8.self)
            failures.append("\(what)\n--- input (\(input.count) bytes) ---\n\(shown)\n---")
        }
    }
}
