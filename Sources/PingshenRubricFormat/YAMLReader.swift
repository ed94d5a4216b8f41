// libyaml, as vendored by Yams (its CYaml module): its event API checks a document's shape without
// building a tree (see `shapeProblem`).
import CYaml
import Foundation
import PingshenCore
import Yams

/// A mapping's entries by key, with the mapping itself (whose line a missing key is reported on).
struct YAMLMap {
    let node: Node
    var entries: [String: Node]
    subscript(key: String) -> Node? { entries[key] }
}

/// A small typed reader over Yams nodes that records every problem with its line and column and
/// rejects unknown keys, so that a rubric or config file is checked strictly and all at once.
final class YAMLReader {
    let file: String
    var problems: [PingshenError] = []
    /// Problems kept at most; past it one last message says there are more.
    static let maxProblems = 100
    /// Deepest nesting of YAML collections accepted (a rubric needs about 16; an indicator tree nested
    /// too deeply is left to the rubric's own, clearer depth check).
    static let maxDepth = 128
    /// Most nodes a document may have once its aliases are expanded (the bundled rubrics have a few
    /// thousand): bounds every walk over the tree, whatever aliases a file uses.
    static let maxNodes = 100_000

    init(file: String) { self.file = file }

    /// Where a node is; a problem with no node (an empty document) is on line 1.
    func location(_ node: Node?, field: String? = nil) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column, field: field)
    }

    func fail(_ node: Node?, _ key: String, _ args: [String], field: String? = nil) {
        if problems.count >= Self.maxProblems {
            if problems.count == Self.maxProblems {
                problems.append(PingshenError("rubric.too_many_problems", [String(Self.maxProblems)], at: location(node)))
            }
            return
        }
        problems.append(PingshenError(key, args, at: location(node, field: field)))
    }

    /// Parses text into a root node, recording a syntax error with its position. The document's shape
    /// is checked first, on the event stream (no tree built): nesting deeper than `maxDepth` or more
    /// than `maxNodes` nodes once aliases are expanded (a “billion laughs” file) is refused before the
    /// composer and the readers, which walk the expanded tree, ever see it.
    func compose(_ text: String) -> Node? {
        // A byte-order mark is not part of the text (the composer takes it for content).
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        if let p = oddLineBreak(text) ?? shapeProblem(text) {
            problems.append(PingshenError(p.key, p.args, at: SourceLocation(file: file, line: p.line, column: p.column)))
            return nil
        }
        do {
            // The basic resolver: the readers take every scalar's text as written and parse numbers and
            // booleans themselves, so the default resolver's regular expressions (run on every plain
            // scalar) would only cost time.
            return try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            let (line, column, problem) = Self.describe(error, text)
            // libyaml puts the end of a text without a final line break on the line after it.
            let lines = text.utf8.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            problems.append(PingshenError("rubric.yaml", [problem],
                                          at: SourceLocation(file: file, line: min(line ?? 1, lines), column: column)))
        } catch {
            problems.append(PingshenError("rubric.yaml", ["\(error)"], at: SourceLocation(file: file, line: 1)))
        }
        return nil
    }

    static func describe(_ error: YamlError, _ text: String) -> (Int?, Int?, String) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let ctx = context.map { "\($0.text) " } ?? ""
            return (mark.line, mark.column, ctx + problem)
        case let .reader(problem, offset, _, _):
            // Yams gives the place as a count of characters into the text: its line is one more than
            // the line breaks before it.
            let line = offset.map { off -> Int in
                let end = text.index(text.startIndex, offsetBy: max(0, off), limitedBy: text.endIndex) ?? text.endIndex
                return 1 + text[..<end].utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            }
            return (line, nil, problem + (offset.map { " (byte \($0))" } ?? ""))
        case let .duplicatedKeysInMapping(duplicates, context):
            return (context.mark.line, context.mark.column, "duplicated keys: " + duplicates.joined(separator: ", "))
        default:
            return (nil, nil, "\(error)")
        }
    }

    /// The first line break other than LF or CR LF: a lone CR, NEL (U+0085), LS (U+2028) or PS (U+2029).
    /// YAML counts them as line breaks where editors and every message here count only LF, so the lines
    /// would not agree; such a character is nearly always pasted in by accident, and is refused.
    func oddLineBreak(_ text: String) -> (line: Int, column: Int, key: String, args: [String])? {
        var line = 1, column = 0
        var previousCR = false
        for u in text.unicodeScalars {
            if previousCR && u != "\n" { return (line, column, "rubric.line_break", ["U+000D"]) }
            previousCR = false
            column += 1
            switch u.value {
            case 0x0A:
                line += 1
                column = 0
            case 0x0D:
                previousCR = true
            case 0x85, 0x2028, 0x2029:
                return (line, column, "rubric.line_break", [String(format: "U+%04X", u.value)])
            default:
                break
            }
        }
        return previousCR ? (line, column, "rubric.line_break", ["U+000D"]) : nil
    }

    /// Walks libyaml's event stream and returns the first place where the document nests deeper than
    /// `maxDepth` or grows past `maxNodes` nodes, counting each alias as the size of what it names.
    /// Syntax errors are left to the composer (nil is returned), which reports them with their place.
    func shapeProblem(_ text: String) -> (line: Int, column: Int, key: String, args: [String])? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> (line: Int, column: Int, key: String, args: [String])? in
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            // Expanded size of each anchored node, and of each collection still open.
            var anchored: [String: Int] = [:]
            var open: [(anchor: String?, size: Int)] = []
            var total = 0
            func add(_ n: Int) {
                total += n
                if !open.isEmpty { open[open.count - 1].size += n }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let a = event.type == YAML_SEQUENCE_START_EVENT ? event.data.sequence_start.anchor
                        : event.data.mapping_start.anchor
                    // Counted once in `total` now; its parent grows by its whole size when it closes.
                    total += 1
                    open.append((a.map { String(cString: $0) }, 1))
                    if open.count > Self.maxDepth { return (line, column, "rubric.too_deep", [String(Self.maxDepth)]) }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let done = open.popLast() else { return nil }
                    if let a = done.anchor { anchored[a] = done.size }
                    if !open.isEmpty { open[open.count - 1].size += done.size }
                case YAML_SCALAR_EVENT:
                    if let a = event.data.scalar.anchor { anchored[String(cString: a)] = 1 }
                    add(1)
                case YAML_ALIAS_EVENT:
                    let size = event.data.alias.anchor.map { anchored[String(cString: $0)] ?? 1 } ?? 1
                    add(size)
                default:
                    break
                }
                if total > Self.maxNodes { return (line, column, "rubric.too_large", [String(Self.maxNodes)]) }
            }
        }
    }

    /// A mapping's entries by key, after checking that every key is allowed.
    func mapping(_ node: Node?, allowed: Set<String>, context: String) -> YAMLMap? {
        guard let node else { return nil }
        guard case .mapping(let m) = node else {
            fail(node, "rubric.bad_type", [context, "mapping"])
            return nil
        }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.string else {
                fail(k, "rubric.bad_type", [context, "string keys"])
                continue
            }
            if !allowed.contains(key) {
                fail(k, "rubric.unknown_key", [key, context], field: key)
                continue
            }
            out[key] = v
        }
        return YAMLMap(node: node, entries: out)
    }

    func sequence(_ node: Node?, key: String) -> [Node]? {
        guard let node else { return nil }
        guard case .sequence(let s) = node else {
            fail(node, "rubric.bad_type", [key, "list"], field: key)
            return nil
        }
        return Array(s)
    }

    func string(_ m: YAMLMap, _ key: String, required: Bool = false, context: String) -> String? {
        guard let n = m[key] else {
            if required { fail(m.node, "rubric.missing_key", [key, context], field: key) }
            return nil
        }
        guard case .scalar(let s) = n else {
            fail(n, "rubric.bad_type", [key, "text"], field: key)
            return nil
        }
        return s.string
    }

    func number(_ m: YAMLMap, _ key: String, required: Bool = false, context: String) -> Double? {
        guard let n = m[key] else {
            if required { fail(m.node, "rubric.missing_key", [key, context], field: key) }
            return nil
        }
        return number(n, key: key)
    }

    func number(_ n: Node, key: String) -> Double? {
        guard case .scalar(let s) = n, let v = parseDecimal(s.string) else {
            fail(n, "rubric.bad_type", [key, "a number"], field: key)
            return nil
        }
        return v
    }

    func bool(_ m: YAMLMap, _ key: String) -> Bool? {
        guard let n = m[key] else { return nil }
        guard case .scalar(let s) = n, let b = ["true": true, "false": false, "yes": true, "no": false][s.string] else {
            fail(n, "rubric.bad_type", [key, "true or false"], field: key)
            return nil
        }
        return b
    }

    func strings(_ m: YAMLMap, _ key: String) -> [String]? {
        guard let seq = sequence(m[key], key: key) else { return nil }
        return seq.compactMap { n -> String? in
            guard case .scalar(let s) = n else {
                fail(n, "rubric.bad_type", [key, "a list of text"], field: key)
                return nil
            }
            return s.string
        }
    }
}

extension Node {
    /// The line of this node in its file.
    var line: Int? { mark?.line }
}
