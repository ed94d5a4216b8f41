import ArgumentParser
import Foundation
import PingshenCore
import PingshenRubricFormat

/// Options every command accepts, before or after the subcommand name.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite database file (default: PINGSHEN_DB, then Config/pingshen.yaml).")
    public var db: String?

    @Option(name: .long, help: "Language of messages: zh (default) or en.")
    public var lang: String?

    @Option(name: .long, help: "Rubric directory (default: PINGSHEN_RUBRICS, then the installed Rubrics/).")
    public var rubrics: String?

    @Option(name: .long, help: "Settings file (default: PINGSHEN_CONFIG, then the installed Config/pingshen.yaml).")
    public var config: String?

    @Option(name: .long, help: "Encoding of input files: auto (UTF-8, else GB18030 when it decodes cleanly), utf-8, gb18030.")
    public var encoding: InputEncoding = .auto

    public init() {}
}

/// Standard output and error, written unbuffered so that piped sessions see prompts in order.
public enum Console {
    public static func out(_ s: String) {
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
    }

    public static func outRaw(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    public static func err(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    public static func errRaw(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}

/// What a command runs with: language, settings, where the rubrics and the database are.
public struct Env: Sendable {
    public var lang: Lang
    public var config: PingshenConfig
    public var rubricsDir: String
    public var dbPath: String
    public var inputEncoding: InputEncoding

    public init(_ g: GlobalOptions) throws {
        let environment = ProcessInfo.processInfo.environment
        let langText = g.lang ?? environment["PINGSHEN_LANG"] ?? "zh"
        guard let lang = Lang(rawValue: langText) else {
            throw PingshenError("cli.bad_lang", [langText])
        }
        self.lang = lang
        self.inputEncoding = g.encoding
        let root = Env.installRoot()
        // The settings: --config, PINGSHEN_CONFIG, the user's own ($XDG_CONFIG_HOME/pingshen/config.yaml), else the
        // installed Config/pingshen.yaml.
        let userConfig = Env.userConfigPath(environment)
        let configPath = g.config ?? environment["PINGSHEN_CONFIG"]
            ?? (FileManager.default.fileExists(atPath: userConfig) ? userConfig : nil)
            ?? root.map { "\($0)/Config/pingshen.yaml" }
        if let configPath, FileManager.default.fileExists(atPath: configPath) {
            let text = try Env.readText(configPath)
            switch ConfigLoader.parse(text, file: configPath) {
            case .success(let c): config = c
            case .failure(let e): throw e
            }
        } else if g.config != nil || environment["PINGSHEN_CONFIG"] != nil {
            throw PingshenError("cli.file_missing", [configPath ?? ""])
        } else {
            config = PingshenConfig()
        }
        rubricsDir = g.rubrics ?? environment["PINGSHEN_RUBRICS"] ?? root.map { "\($0)/Rubrics" } ?? "Rubrics"
        dbPath = g.db ?? environment["PINGSHEN_DB"] ?? config.database
    }

    /// The user's own settings file: `$XDG_CONFIG_HOME/pingshen/config.yaml` (else `~/.config/pingshen/…`).
    static func userConfigPath(_ environment: [String: String]) -> String {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/pingshen/config.yaml"
    }

    /// The folder holding Rubrics/ and Config/: PINGSHEN_HOME, else found next to the executable or above it
    /// (`PREFIX/share/pingshen` for an installed binary, the repository for a build folder inside it), or the
    /// working directory.
    static func installRoot() -> String? {
        let fm = FileManager.default
        if let home = ProcessInfo.processInfo.environment["PINGSHEN_HOME"], !home.isEmpty,
           fm.fileExists(atPath: home + "/Rubrics") {
            return home
        }
        var candidates: [URL] = []
        let exe = URL(fileURLWithPath: (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<8 {
            candidates.append(dir)
            candidates.append(dir.appendingPathComponent("share/pingshen"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.insert(URL(fileURLWithPath: fm.currentDirectoryPath), at: 0)
        for c in candidates where fm.fileExists(atPath: c.appendingPathComponent("Rubrics").path)
            && fm.fileExists(atPath: c.appendingPathComponent("Config").path) {
            return c.path
        }
        return nil
    }

    /// Reads a UTF-8 text file, or explains why not.
    public static func readText(_ path: String) throws -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw PingshenError("cli.is_directory", [path])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PingshenError("cli.file_missing", [path])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PingshenError("line.invalid_utf8", [], at: SourceLocation(file: path))
        }
        return text
    }

    /// Loads one rubric by id from the rubric directory.
    public func rubric(_ id: String) throws -> LoadedRubric {
        let path = "\(rubricsDir)/\(id).yaml"
        guard FileManager.default.fileExists(atPath: path) else {
            throw PingshenError("rubric.not_found", [id, rubricsDir])
        }
        return try loadRubricFile(path)
    }

    public func loadRubricFile(_ path: String) throws -> LoadedRubric {
        let text = try Env.readText(path)
        switch RubricLoader.parse(text, file: path, config: config) {
        case .success(let r): return r
        case .failure(let e): throw e
        }
    }

    /// Every rubric file in the rubric directory, sorted by file name.
    public func rubricFiles() throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: rubricsDir)) ?? []
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        if files.isEmpty { throw PingshenError("rubric.not_found", ["*", rubricsDir]) }
        return files.map { "\(rubricsDir)/\($0)" }
    }

    public func t(_ key: String, _ args: String...) -> String { Catalog.text(key, args, lang) }
}

/// A command that runs with an `Env` and reports user errors in the chosen language, exit code 1.
public protocol PingshenCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func execute(_ env: Env) throws
}

extension PingshenCommand {
    public func run() throws {
        let lang = Lang(rawValue: global.lang ?? ProcessInfo.processInfo.environment["PINGSHEN_LANG"] ?? "zh") ?? .zh
        do {
            let env = try Env(global)
            try execute(env)
        } catch let e as PingshenError {
            Console.err(e.text(lang))
            throw ExitCode(1)
        } catch let e as PingshenErrors {
            Console.err(e.text(lang))
            throw ExitCode(1)
        }
    }
}
