import Foundation
import PingshenCore
import Yams

/// A small typed reader over Yams nodes that records every problem with its line and column and
/// rejects unknown keys, so that a rubric or config file is checked strictly and all at once.
final class YAMLReader {
    let file: String
    var problems: [PingshenError] = []

    init(file: String) { self.file = file }

    func location(_ node: Node?, field: String? = nil) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line, column: node?.mark?.column, field: field)
    }

    func fail(_ node: Node?, _ key: String, _ args: [String], field: String? = nil) {
        problems.append(PingshenError(key, args, at: location(node, field: field)))
    }

    /// Parses text into a root node, recording a syntax error with its position.
    func compose(_ text: String) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            let (line, column, problem) = Self.describe(error)
            problems.append(PingshenError("rubric.yaml", [problem],
                                          at: SourceLocation(file: file, line: line, column: column)))
        } catch {
            problems.append(PingshenError("rubric.yaml", ["\(error)"], at: SourceLocation(file: file)))
        }
        return nil
    }

    static func describe(_ error: YamlError) -> (Int?, Int?, String) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let ctx = context.map { "\($0.text) " } ?? ""
            return (mark.line, mark.column, ctx + problem)
        case let .reader(problem, offset, _, _):
            return (nil, nil, problem + (offset.map { " (byte \($0))" } ?? ""))
        case let .duplicatedKeysInMapping(duplicates, context):
            return (context.mark.line, context.mark.column, "duplicated keys: " + duplicates.joined(separator: ", "))
        default:
            return (nil, nil, "\(error)")
        }
    }

    /// A mapping's entries by key, after checking that every key is allowed.
    func mapping(_ node: Node?, allowed: Set<String>, context: String) -> [String: Node]? {
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
        return out
    }

    func sequence(_ node: Node?, key: String) -> [Node]? {
        guard let node else { return nil }
        guard case .sequence(let s) = node else {
            fail(node, "rubric.bad_type", [key, "list"], field: key)
            return nil
        }
        return Array(s)
    }

    func string(_ m: [String: Node], _ key: String, required: Bool = false, context: String) -> String? {
        guard let n = m[key] else {
            if required { fail(nil, "rubric.missing_key", [key, context], field: key) }
            return nil
        }
        guard case .scalar(let s) = n else {
            fail(n, "rubric.bad_type", [key, "text"], field: key)
            return nil
        }
        return s.string
    }

    func number(_ m: [String: Node], _ key: String, required: Bool = false, context: String) -> Double? {
        guard let n = m[key] else {
            if required { fail(nil, "rubric.missing_key", [key, context], field: key) }
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

    func bool(_ m: [String: Node], _ key: String) -> Bool? {
        guard let n = m[key] else { return nil }
        guard case .scalar(let s) = n, let b = ["true": true, "false": false, "yes": true, "no": false][s.string] else {
            fail(n, "rubric.bad_type", [key, "true or false"], field: key)
            return nil
        }
        return b
    }

    func strings(_ m: [String: Node], _ key: String) -> [String]? {
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
