import Foundation

/// The language of user-facing text: Chinese by default, English with `--lang en`.
public enum Lang: String, Sendable, CaseIterable {
    case zh
    case en
}

/// Where an input problem is: a file, a line, a field.
public struct SourceLocation: Sendable, Equatable, Codable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var field: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, field: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
    }

    public var prefix: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s
    }
}

/// A user-facing error: a catalog key with its arguments, and optionally where it happened.
public struct PingshenError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var args: [String]
    public var location: SourceLocation?

    public init(_ key: String, _ args: [String] = [], at location: SourceLocation? = nil) {
        self.key = key
        self.args = args
        self.location = location
    }

    public func text(_ lang: Lang) -> String {
        let body = Catalog.text(key, args, lang)
        guard let location else { return body }
        let field = location.field.map { lang == .en ? " [field \($0)]" : "［字段 \($0)］" } ?? ""
        return "\(location.prefix): \(body)\(field)"
    }

    public var description: String { text(.zh) }
}

/// The one catalog of user-facing messages. Placeholders are {0}, {1}, …
public enum Catalog {
    public static func text(_ key: String, _ args: [String] = [], _ lang: Lang) -> String {
        guard let entry = entries[key] else {
            return ([key] + args).joined(separator: " ")
        }
        var s = lang == .en ? entry.en : entry.zh
        for (i, a) in args.enumerated() {
            s = s.replacingOccurrences(of: "{\(i)}", with: a)
        }
        return s
    }

    public static func has(_ key: String) -> Bool { entries[key] != nil }

    /// Every message, merged from the per-area tables under Catalog/ (each key defined once).
    static let entries: [String: (zh: String, en: String)] = {
        var all: [String: (zh: String, en: String)] = [:]
        for table in [coreEntries, cliEntries, storeEntries, sessionEntries, reportEntries, serverEntries, syncEntries, calibrationEntries, poolEntries, documentEntries, archiveEntries] {
            all.merge(table) { first, _ in first }
        }
        return all
    }()

    /// Number of keys defined in the per-area tables (a test compares it with `keys.count` to catch a key
    /// defined twice).
    static var definedCount: Int {
        [coreEntries, cliEntries, storeEntries, sessionEntries, reportEntries, serverEntries, syncEntries, calibrationEntries, poolEntries, documentEntries, archiveEntries].reduce(0) { $0 + $1.count }
    }

    /// Every key of the catalog (for the test that checks both languages are filled in).
    public static var keys: [String] { Array(entries.keys) }
}

/// Several user-facing errors found at once (a file is checked whole, not stopped at its first problem).
public struct PingshenErrors: Error, Sendable, Equatable {
    public var errors: [PingshenError]
    public init(_ errors: [PingshenError]) { self.errors = errors }
    public func text(_ lang: Lang) -> String { errors.map { $0.text(lang) }.joined(separator: "\n") }
}
