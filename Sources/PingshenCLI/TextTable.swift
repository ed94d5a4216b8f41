import Foundation
import PingshenCore

/// Terminal columns a string takes: East Asian wide and full-width characters take two.
public func displayWidth(_ s: String) -> Int {
    s.unicodeScalars.reduce(0) { w, u in
        let v = u.value
        if v == 0 || (0x300...0x36F).contains(v) || v == 0x200B { return w }
        let wide = (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
            || v == 0x2160 || v == 0x2161  // Ⅰ Ⅱ render wide in CJK terminals
        return w + (wide ? 2 : 1)
    }
}

/// Pads to a display width (left-aligned, or right-aligned for numbers).
public func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - displayWidth(s)))
    return right ? fill + s : s + fill
}

/// Cuts a string to at most `width` columns, marking the cut with an ellipsis.
public func truncate(_ s: String, _ width: Int) -> String {
    guard displayWidth(s) > width else { return s }
    var out = ""
    for ch in s {
        if displayWidth(out + String(ch)) > width - 1 { break }
        out.append(ch)
    }
    return out + "…"
}

/// A plain text table aligned by display width.
public struct TextTable {
    public var headers: [String]
    public var rows: [[String]]
    /// Columns aligned to the right (numbers).
    public var rightAligned: Set<Int>

    public init(headers: [String], rows: [[String]] = [], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rows = rows
        self.rightAligned = rightAligned
    }

    public func render() -> String {
        let all = [headers] + rows
        let n = headers.count
        var widths = [Int](repeating: 0, count: n)
        for r in all {
            for i in 0..<min(n, r.count) { widths[i] = max(widths[i], displayWidth(r[i])) }
        }
        func line(_ r: [String]) -> String {
            (0..<n).map { i in
                pad(i < r.count ? r[i] : "", widths[i], right: rightAligned.contains(i))
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }
}
