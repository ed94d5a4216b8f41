import ArgumentParser
import Foundation
import PingshenAudit
import PingshenCore
import PingshenReport
import PingshenStore

// `pingshen archive PANEL --out F.zip` bundles a sealed panel for filing (归档): its results (the very bytes the
// seal's results digest covers), audit log, opinions, seal, every export and document, and a manifest with the
// SHA-256 of each file. `pingshen archive verify F.zip` checks a bundle on any machine, without the database.

struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Bundle a sealed panel into one zip for filing (归档), or verify such a bundle.",
        subcommands: [ArchiveCreate.self, ArchiveVerify.self], defaultSubcommand: ArchiveCreate.self)
}

/// manifest.json of an archive.
struct ArchiveManifest: Codable {
    var format = "pingshen-archive"
    var version = 1
    var panel: String
    var title: String
    var round: String
    var sealedAt: String
    var sealedAtLocal: String
    var sealedBy: String
    var sealDigest: String
    var auditHead: String
    /// File name → SHA-256 (hex) of its bytes.
    var files: [String: String]
}

struct ArchiveCreate: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Bundle a sealed panel: data, audit log, seal digests, every export and document.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(help: "The zip file to write.") var out: String

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        guard let seal = try store.sealInfo(panel: panel) else { throw PingshenError("archive.not_sealed", [panel]) }
        let view = try env.chairView(try RemoteOption.parse([]), panel, options)
        let results = view.results, rubric = view.rubric
        let date = String(UTCTime.display(seal.at).prefix(10))
        let opinions = try store.opinions(panel: panel)
        var unsealed = results
        unsealed.panel.sealedAt = nil
        unsealed.panel.sealedBy = nil
        let enc = ReportExporter.jsonEncoder()
        var files: [(name: String, data: Data)] = [
            ("results.json", try enc.encode(unsealed)),
            ("audit.json", try JSONEncoder.sorted.encode(try store.auditLog(panel: panel))),
            ("opinions.json", try enc.encode(opinions)),
            ("seal.txt", Data((seal.digest + "\n").utf8)),
        ]
        for f in ExportFormat.allCases {
            files.append(("exports/results.\(f.rawValue)", try ReportExporter.data(f, results: results, rubric: rubric, lang: env.lang,
                                                                                   date: date, opinions: opinions)))
        }
        for kind in DocumentKind.allCases where kind != .report {
            let input = DocumentInput(results: results, rubric: rubric, snapshot: view.snapshot, lang: env.lang, date: date,
                                      opinions: opinions)
            files.append(("documents/\(kind.rawValue).html", Data(try ReportExporter.document(kind, input).utf8)))
        }
        let manifest = ArchiveManifest(panel: panel, title: results.panel.title, round: results.round, sealedAt: seal.at,
                                       sealedAtLocal: UTCTime.display(seal.at), sealedBy: seal.by, sealDigest: seal.digest,
                                       auditHead: seal.auditHead,
                                       files: Dictionary(uniqueKeysWithValues: files.map { ($0.name, sha256Hex($0.data)) }))
        files.append(("manifest.json", try enc.encode(manifest)))
        let zip = try ArchiveBundle.zip(files)
        do {
            try zip.write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw PingshenError("report.write_failed", [out, error.localizedDescription])
        }
        Console.out(env.t("archive.written", panel, String(files.count), UTCTime.display(seal.at), out))
    }
}

struct ArchiveVerify: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an archive without the database: every file against the manifest, the audit chain, the results against the seal.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The archive (zip).") var file: String

    func execute(_ env: Env) throws {
        let files = try ArchiveBundle.unzip(file)
        guard let m = files["manifest.json"] else { throw PingshenError("archive.missing", ["manifest.json"]) }
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        let manifest: ArchiveManifest
        do {
            manifest = try dec.decode(ArchiveManifest.self, from: m)
        } catch {
            throw PingshenError("archive.missing", ["manifest.json"])
        }
        var problems: [PingshenError] = []
        for (name, digest) in manifest.files.sorted(by: { $0.key < $1.key }) {
            guard let data = files[name] else {
                problems.append(PingshenError("archive.missing", [name]))
                continue
            }
            let found = sha256Hex(data)
            if found != digest { problems.append(PingshenError("archive.file_changed", [name, digest, found])) }
        }
        for name in files.keys.sorted() where name != "manifest.json" && manifest.files[name] == nil {
            problems.append(PingshenError("archive.extra", [name]))
        }
        // The results are the bytes the seal's results digest covers.
        if let results = files["results.json"], let sealed = SealDigest(manifest.sealDigest) {
            let found = sha256Hex(String(decoding: results, as: UTF8.self))
            if found != sealed.results { problems.append(PingshenError("archive.results_changed", [sealed.results, found])) }
        }
        // The audit chain, recomputed row by row; it must hold the head recorded at sealing.
        var rows: Int64 = 0
        if let audit = files["audit.json"] {
            let entries: [AuditEntry]
            do {
                entries = try JSONDecoder().decode([AuditEntry].self, from: audit)
            } catch {
                entries = []
                problems.append(PingshenError("archive.audit_broken", ["1"]))
            }
            var checker = AuditChainChecker()
            for e in entries where !checker.check(e.record, prevHash: e.prevHash, hash: e.hash) {
                problems.append(PingshenError("archive.audit_broken", [String(checker.failure?.position ?? 0)]))
                break
            }
            rows = checker.rows
            if !manifest.auditHead.isEmpty && !entries.contains(where: { $0.hash == manifest.auditHead }) {
                problems.append(PingshenError("archive.audit_head", [manifest.auditHead]))
            }
        }
        if !problems.isEmpty { throw PingshenErrors(problems) }
        Console.out(env.t("archive.verified", manifest.panel, String(manifest.files.count), String(rows),
                          manifest.sealedAtLocal, manifest.sealedBy))
    }
}

extension JSONEncoder {
    /// Sorted keys, so that the same rows give the same bytes.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
