import Foundation

/// Number parsing and formatting shared by every input path. Full-width digits and punctuation
/// (８５．５, ％, ：) are folded to their ASCII forms before anything is parsed.

/// Folds full-width ASCII variants (U+FF01…U+FF5E) and the ideographic space to ASCII.
public func foldFullWidth(_ s: String) -> String {
    var out = String.UnicodeScalarView()
    for u in s.unicodeScalars {
        switch u.value {
        case 0xFF01...0xFF5E:
            out.append(Unicode.Scalar(u.value - 0xFEE0) ?? u)
        case 0x3000:
            out.append(" ")
        default:
            out.append(u)
        }
    }
    return String(out)
}

/// The input method's full stop (。, U+3002) between two digits is a decimal point: `25。5` is 25.5. Anywhere
/// else it is left alone (and the number is refused).
public func foldIMEDecimalPoint(_ s: String) -> String {
    let scalars = Array(s.unicodeScalars)
    guard scalars.contains("\u{3002}") else { return s }
    func digit(_ i: Int) -> Bool { i >= 0 && i < scalars.count && ("0"..."9").contains(scalars[i]) }
    var out = String.UnicodeScalarView()
    for (i, u) in scalars.enumerated() {
        out.append(u == "\u{3002}" && digit(i - 1) && digit(i + 1) ? "." : u)
    }
    return String(out)
}

/// A number as a person types it, with an optional unit after it: `25.5`, `２５．５`, `25。5`, `25分`, `30%`,
/// `1200 万元`. Returns the number and the unit (nil when none); nil when the text is not a number with at most
/// a unit after it (`25分5`, `二十五`, `25..5`). Whether the unit fits is for the caller to say.
public func parseNumberWithUnit(_ text: String) -> (value: Double, unit: String?)? {
    let s = foldIMEDecimalPoint(foldFullWidth(text)).trimmingCharacters(in: .whitespaces)
    let numberChars = Set("+-.0123456789")
    let head = s.prefix { numberChars.contains($0) }
    guard let v = parseDecimal(String(head)) else { return nil }
    let unit = s.dropFirst(head.count).trimmingCharacters(in: .whitespaces)
    if unit.isEmpty { return (v, nil) }
    // Chinese numerals are part of units (万元, 亿元); digits are not: `25分5` is refused.
    guard unit.count <= 10, !unit.contains(where: { $0.isASCII && ($0.isNumber || $0 == "=") }),
          !unit.contains(where: { $0.isPunctuation && $0 != "%" && $0 != "/" }),
          unit == "%" || !unit.contains("%") else { return nil }
    return (v, unit)
}

/// The unit a reviewer may type after points (`25分`).
public let pointsUnit = "分"

/// The largest magnitude accepted for any number: anything bigger is a typing mistake, not a score or a fact.
public let maxAcceptedMagnitude = 1e12

/// Parses a plain decimal number ("85", "-3.5", ".5"): no exponent, no NaN or infinity, no hex, no
/// grouping. Returns nil when the text is not such a number or is out of range.
public func parseDecimal(_ text: String) -> Double? {
    let s = foldIMEDecimalPoint(foldFullWidth(text)).trimmingCharacters(in: .whitespaces)
    guard !s.isEmpty, s.utf8.count <= 32 else { return nil }
    var sawDigit = false
    var sawDot = false
    for (i, c) in s.enumerated() {
        switch c {
        case "+", "-":
            if i != 0 { return nil }
        case ".":
            if sawDot { return nil }
            sawDot = true
        case "0"..."9":
            sawDigit = true
        default:
            return nil
        }
    }
    guard sawDigit, let v = Double(s), v.isFinite, abs(v) <= maxAcceptedMagnitude else { return nil }
    return v == 0 ? 0 : v  // no negative zero
}

/// Formats a number the way a score sheet shows it: at most `decimals` places, trailing zeros dropped.
public func formatNumber(_ v: Double, decimals: Int = 2) -> String {
    guard v.isFinite else { return "—" }
    var factor = 1.0
    for _ in 0..<decimals { factor *= 10 }
    var rounded = (v * factor).rounded() / factor
    if rounded == 0 { rounded = 0 }
    var s = String(format: "%.\(decimals)f", rounded)
    if s.contains(".") {
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
    }
    return s
}

/// The shortest plain decimal text that reads back (with `parseDecimal`) as exactly `v`: no exponent,
/// no trailing zeros, no negative zero ("25.5", "0.000001", "1000000000000"). Used wherever a number is
/// written to be read again, so that nothing is rounded on the way.
public func exactDecimalText(_ v: Double) -> String {
    guard v.isFinite else { return formatNumber(v) }
    if v == 0 { return "0" }
    // Swift's description is the shortest text that round-trips, possibly with an exponent.
    var body = Substring(v.description)
    var sign = ""
    if body.hasPrefix("-") {
        sign = "-"
        body = body.dropFirst()
    }
    var exponent = 0
    if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(body[body.index(after: e)...]) ?? 0
        body = body[..<e]
    }
    let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    let whole = parts.first.map(String.init) ?? ""
    let fraction = parts.count > 1 ? String(parts[1]) : ""
    var digits = Array(whole + fraction)
    var point = whole.count + exponent
    if point <= 0 {
        digits = Array(repeating: "0", count: 1 - point) + digits
        point = 1
    }
    if point > digits.count { digits += Array(repeating: "0", count: point - digits.count) }
    var intPart = String(digits[..<point])
    var fracPart = String(digits[point...])
    while intPart.count > 1 && intPart.hasPrefix("0") { intPart.removeFirst() }
    while fracPart.hasSuffix("0") { fracPart.removeLast() }
    return sign + intPart + (fracPart.isEmpty ? "" : "." + fracPart)
}

/// Rounds to a fixed number of decimals for stored and compared totals.
public func roundTo(_ v: Double, _ decimals: Int = 4) -> Double {
    var factor = 1.0
    for _ in 0..<decimals { factor *= 10 }
    let r = (v * factor).rounded() / factor
    return r == 0 ? 0 : r
}

/// True when `v` is a whole multiple of `step` (within floating-point noise).
public func isMultiple(_ v: Double, of step: Double) -> Bool {
    guard step > 0 else { return true }
    let q = v / step
    return abs(q - q.rounded()) < 1e-6
}
