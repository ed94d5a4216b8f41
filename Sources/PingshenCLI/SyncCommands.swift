import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PingshenAudit
import PingshenCore
import PingshenReport
import PingshenRubricFormat
import PingshenStore
import PingshenSync
import PingshenWire

// The command line of sync with the panel server: the chair's `push`, everyone's `sync`, the chair's
// `server release` / `server seal`, `--server` on `results`, `outliers`, `export` and `verify`. The protocol
// itself is PingshenSync's (PanelSync); these commands parse options, call it and render what it reports.
// The algorithm and the conflict rule: docs/server.md, "The client's sync".

extension Env {
    /// A rubric received as text from a server.
    func rubric(text: String, origin: String) throws -> Rubric {
        switch RubricLoader.parse(text, file: origin, config: config) {
        case .success(let r): return r.rubric
        case .failure(let e): throw PingshenError("server.sync.rubric_invalid", [origin, e.text(lang)])
        }
    }

    /// A panel's rubric: the text received from the server for a panel a reviewer synced, else the rubric directory's.
    func panelRubric(_ store: PanelStore, _ panel: PanelInfo) throws -> Rubric {
        if let link = try store.syncLink(panel: panel.id), let yaml = link.rubricYaml {
            return try rubric(text: yaml, origin: "\(link.server) \(panel.rubricId)")
        }
        return try rubric(panel.rubricId).rubric
    }

    /// A client for a panel of a server, with the panel's saved token.
    func client(_ server: String, panel: String?) throws -> PingshenSyncClient {
        try PanelSync.client(server: server, panel: panel, credentials: CredentialStore(), lang: lang)
    }

    /// Runs a request to a server, turning its errors into user-facing ones.
    func remote<T: Sendable>(_ server: String, _ body: @escaping @Sendable () async throws -> T) throws -> T {
        let lang = self.lang
        return try runBlocking {
            do { return try await body() } catch { throw PanelSync.userError(error, server: server, lang: lang) }
        }
    }

    /// The sync of the panels of a local database, reporting to the terminal. `quiet`: a sync that changed
    /// nothing prints nothing (`sync --watch`).
    func panelSync(_ store: PanelStore, batch: Int = 500, retries: Int = 5, quiet: Bool = false) -> PanelSync {
        let env = self
        return PanelSync(store: store, lang: lang, batch: batch, retries: retries,
                         checkRubric: { text, origin in try env.rubric(text: text, origin: origin).id },
                         report: { event in SyncText.show(event, env, quiet: quiet) })
    }

    /// The seal digests of a panel as a server holds it: the inputs digest of its snapshot and the results
    /// digest computed here with the server's rubric text and this chair's settings. Refuses, like `finalize`,
    /// while applicants are incomplete or complete sheets are not submitted (unless `allowIncomplete`).
    func sealDigest(of wire: WirePanelSnapshot, _ o: AggregateOptions, allowIncomplete: Bool) throws -> SealDigest {
        let rubric = try self.rubric(text: wire.rubricYaml, origin: "\(wire.panel.id) \(wire.panel.rubricId)")
        return try sealDigest(of: wire.model, rubric: rubric, o, allowIncomplete: allowIncomplete).digest
    }

    /// The seal's digests of a panel's inputs and of its results under these settings (one computation for a
    /// local seal, a server seal and both verifies), with the results they were taken from.
    func sealDigest(of snapshot: PanelSnapshot, rubric: Rubric, _ o: AggregateOptions,
                    allowIncomplete: Bool) throws -> (digest: SealDigest, results: PanelResults) {
        let results = try aggregatePanel(snapshot, rubric, config: config, round: o.round, method: o.method)
        if !allowIncomplete { try refuseIncomplete(results, snapshot, rubric) }
        return (SealDigest(inputs: sha256Hex(canonicalInputText(snapshot)), results: try resultsDigest(results)), results)
    }
}

/// `--server URL` on the chair's read commands: read the panel from the server instead of the local database.
struct RemoteOption: ParsableArguments {
    @Option(name: .long, help: "Read the panel from this server (chair's token from pingshen login) instead of the local database.")
    var server: String?
}

/// A panel's results as the chair's read commands compute them, locally or from a server's snapshot.
struct ChairView {
    var results: PanelResults
    var rubric: Rubric
    var snapshot: PanelSnapshot
    var sealedAt: String?
}

extension Env {
    /// Results of a panel, from the local database or (with --server) from the server's snapshot; with the seal's time.
    func chairView(_ remote: RemoteOption, _ panel: String, _ o: AggregateOptions) throws -> ChairView {
        let method = o.method
        guard let server = remote.server else {
            let store = try openStore()
            let snapshot = try store.snapshot(panel: panel)
            let rubric = try panelRubric(store, snapshot.panel)
            let results = try aggregatePanel(snapshot, rubric, config: config, round: o.round, method: method)
            return ChairView(results: results, rubric: rubric, snapshot: snapshot, sealedAt: try store.sealInfo(panel: panel)?.at)
        }
        let client = try self.client(server, panel: panel)
        let wire = try self.remote(server) { try await client.snapshot(panel: panel) }
        let rubric = try rubric(text: wire.rubricYaml, origin: "\(server) \(wire.panel.rubricId)")
        if rubric.id != wire.panel.rubricId {
            throw PingshenError("server.remote.rubric_mismatch", [panel, wire.panel.rubricId, rubric.id])
        }
        let snapshot = wire.model
        let results = try aggregatePanel(snapshot, rubric, config: config, round: o.round, method: method)
        return ChairView(results: results, rubric: rubric, snapshot: snapshot, sealedAt: wire.panel.sealedAt)
    }

    func chairResults(_ remote: RemoteOption, _ panel: String, _ o: AggregateOptions) throws
        -> (results: PanelResults, rubric: Rubric, sealedAt: String?) {
        let v = try chairView(remote, panel, o)
        return (v.results, v.rubric, v.sealedAt)
    }
}

// MARK: - pingshen push

/// `pingshen push PANEL --server URL`: the chair uploads the local panel and links it.
struct PushCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload a local panel (rubric, reviewers, applicants, verified data, recusals) to the server (chair).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(name: .long, help: "Server URL, e.g. http://127.0.0.1:8080.") var server: String

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let info = try store.panel(panel)
        let link = try store.syncLink(panel: panel)
        if let link, CredentialStore.serverKey(link.server) != CredentialStore.serverKey(server) {
            throw PingshenError("server.sync.other_server", [panel, link.server, server])
        }
        if info.sealedAt != nil { throw PingshenError("store.sealed", [panel, info.sealedAt ?? "", info.sealedBy ?? ""]) }
        let rubricYaml: String
        if let yaml = link?.rubricYaml {
            rubricYaml = yaml
        } else {
            _ = try env.rubric(info.rubricId)   // checks the file first, with its own messages
            rubricYaml = try Env.readText("\(env.rubricsDir)/\(info.rubricId).yaml")
        }
        let data = try store.allData(panel: panel)
        let applicants = try store.applicants(panel: panel).map {
            WireApplicant(id: $0.id, name: $0.name, industry: $0.industry, data: data[$0.id]?.values ?? [:])
        }
        let reviewers = try store.reviewers(panel: panel)
        let recusals = try store.recusals(panel: panel)
        let upload = PanelUpload(title: info.title, round: info.round, rubricId: info.rubricId, rubricYaml: rubricYaml,
                                 variant: info.variant, method: info.method, quorum: info.quorum, view: info.view,
                                 reviewers: reviewers, applicants: applicants, recusals: recusals)
        let client = try env.client(server, panel: panel)
        let identity = try CredentialStore().credential(for: server, panel: panel)?.identity
        let panel = self.panel
        let summary = try env.remote(server) { try await client.putPanel(panel, upload) }
        try store.link(panel: panel, server: server, role: identity?.role ?? .chair,
                       identity: identity?.reviewer ?? "chair", panelVersion: summary.version)
        Console.out(env.t("server.push.done", panel, server, String(reviewers.count), String(applicants.count),
                          String(recusals.count), String(summary.version)))
    }
}

// MARK: - pingshen server release / seal

struct ServerRelease: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: "Let the panel's reviewers see each other's scores (chair).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(name: .long, help: "Server URL.") var server: String

    func execute(_ env: Env) throws {
        let client = try env.client(server, panel: panel)
        let panel = self.panel
        _ = try env.remote(server) { try await client.release(panel: panel) }
        Console.out(env.t("server.release.done", panel))
    }
}

struct ServerSeal: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Seal the panel on the server with its digests; every later change is refused (chair).",
        discussion: """
            The digests are computed here from the panel as the server holds it (inputs, and the results under this
            chair's settings); the server checks the inputs digest against its own rows. A local copy linked to the
            server is then synced, so that it is sealed with the same digests and `pingshen verify` works on it.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: AggregateOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(name: .long, help: "Server URL.") var server: String
    @Flag(name: .long, help: "Seal even though some applicants are incomplete or complete sheets are not submitted.")
    var allowIncomplete = false

    func execute(_ env: Env) throws {
        try SharedSeal.seal(env, panel: panel, server: server, options: options, allowIncomplete: allowIncomplete)
    }
}

/// Sealing a panel that lives on a server (`server seal`, and `finalize` on a chair's linked copy).
enum SharedSeal {
    static func seal(_ env: Env, panel: String, server: String, options: AggregateOptions, allowIncomplete: Bool) throws {
        let client = try env.client(server, panel: panel)
        let wire = try env.remote(server) { try await client.snapshot(panel: panel) }
        if wire.panel.sealed {
            throw PingshenError("store.sealed", [panel, wire.panel.sealedAt ?? "", wire.panel.sealedBy ?? ""])
        }
        let digest = try env.sealDigest(of: wire, options, allowIncomplete: allowIncomplete)
        let s = try env.remote(server) { try await client.seal(panel: panel, digest: digest) }
        Console.out(env.t("server.seal.done", panel, s.sealedAt ?? "-", s.sealedBy ?? "-"))
        Console.out(digest.text)
        // A linked local copy follows at once: it is sealed with the same digests.
        if let store = try? env.openStore(), let link = try store.syncLink(panel: panel),
           CredentialStore.serverKey(link.server) == CredentialStore.serverKey(server) {
            let sync = env.panelSync(store)
            if let e = runBlockingValue({ await sync.syncOnce(panel) }) ?? nil { throw e }
        }
    }
}

// MARK: - pingshen sync

struct SyncCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send the outbox of local changes to the server, then receive what changed there (offline-first).",
        discussion: """
            The first `sync --server URL PANEL` on a reviewer's device creates the local panel from the server. Later
            runs need no URL. Without PANEL every linked panel of the database is synced, each with its own token
            (pingshen login keeps one per server and panel).
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id (default: every panel linked to a server).") var panel: String?
    @Option(name: .long, help: "Server URL (needed for a reviewer's first sync of a panel).") var server: String?
    @Flag(name: .long, help: "Keep syncing every --interval seconds until interrupted (Ctrl-C).") var watch = false
    @Option(name: .long, help: "Seconds between syncs with --watch (default 30).") var interval: Double = 30
    @Option(name: .long, help: "Changes per push (default 500; the server takes at most 5000).") var batch = 500
    @Option(name: .long, help: "Attempts per request when the server cannot be reached (default 5).") var retries = 5
    @Flag(name: .long, help: "List the changes the server refused, and exit.") var refused = false
    @Flag(name: .long, help: "List the scores of this device that another device's later write replaced, and exit.")
    var conflicts = false

    func execute(_ env: Env) throws {
        guard interval.isFinite, interval >= 1, interval <= 86400 else {
            throw PingshenError("server.sync.bad_interval", [String(interval)])
        }
        if refused { return try listRefused(env) }
        if conflicts { return try listConflicts(env) }
        let store: PanelStore
        if let panel, let server {
            store = try env.openStore(create: true)
            if try store.syncLink(panel: panel) == nil {
                if (try? store.panel(panel)) != nil { throw PingshenError("server.sync.local_unlinked", [panel]) }
                let sync = env.panelSync(store, batch: batch, retries: retries)
                try runBlocking { try await sync.firstPull(panel: panel, server: server) }
            }
        } else {
            store = try env.openStore(create: server != nil)
        }
        var links = try store.syncLinks()
        // A reviewer's first `sync --server URL` without a panel: the panel of the token (when there is one).
        if panel == nil, let server, links.isEmpty,
           let own = try CredentialStore().credential(for: server, panel: nil)?.identity, own.role == .reviewer,
           let ownPanel = own.panel {
            if (try? store.panel(ownPanel)) != nil { throw PingshenError("server.sync.local_unlinked", [ownPanel]) }
            let sync = env.panelSync(store, batch: batch, retries: retries)
            try runBlocking { try await sync.firstPull(panel: ownPanel, server: server) }
            links = try store.syncLinks()
        }
        if let panel {
            guard let link = links.first(where: { $0.panel == panel }) else { throw PingshenError("server.sync.not_linked", [panel]) }
            links = [link]
        }
        if let server {
            for l in links where CredentialStore.serverKey(l.server) != CredentialStore.serverKey(server) {
                throw PingshenError("server.sync.other_server", [l.panel, l.server, server])
            }
        }
        if links.isEmpty { throw PingshenError("server.sync.no_links") }
        let sync = env.panelSync(store, batch: batch, retries: retries, quiet: watch)
        let panels = links.map(\.panel)

        guard watch else {
            let failures = runBlockingValue { () async -> [PingshenError] in
                var out: [PingshenError] = []
                for p in panels { if let e = await sync.syncOnce(p) { out.append(e) } }
                return out
            } ?? []
            if !failures.isEmpty { throw PingshenErrors(failures) }
            return
        }
        // --watch: SIGINT ends the loop after the step in progress (an interrupted push is safe anyway).
        let stop = StopFlag()
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { stop.stop() }
            s.resume()
            return s
        }
        Console.err(env.t("server.sync.watching", formatNumber(interval)))
        while !stop.isStopped {
            for p in panels where !stop.isStopped {
                if let e = runBlockingValue({ await sync.syncOnce(p, stop: stop) }) ?? nil { Console.err(e.text(env.lang)) }
            }
            let until = Date().addingTimeInterval(interval)
            while !stop.isStopped && Date() < until { Thread.sleep(forTimeInterval: 0.1) }
        }
        sources.forEach { $0.cancel() }
        Console.err(env.t("server.sync.stopped"))
    }

    func linkedPanels(_ store: PanelStore) throws -> [String] {
        try panel.map { [$0] } ?? store.syncLinks().map(\.panel)
    }

    func listRefused(_ env: Env) throws {
        let store = try env.openStore()
        for p in try linkedPanels(store) {
            let rows = try store.outbox(panel: p, state: .refused)
            if rows.isEmpty { Console.out(env.t("server.sync.no_refused", p)) }
            for row in rows { Console.out(SyncText.refusedLine(env, row, message: row.outcome ?? "")) }
        }
    }

    func listConflicts(_ env: Env) throws {
        let store = try env.openStore()
        for p in try linkedPanels(store) {
            let list = try store.syncConflicts(panel: p)
            if list.isEmpty { Console.out(env.t("server.sync.no_conflicts", p)) }
            for c in list { Console.out(SyncText.conflictLine(env, c)) }
        }
    }
}

/// Runs async work that returns a value and cannot throw.
func runBlockingValue<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T? {
    try? runBlocking { await body() }
}

/// How the terminal shows what a sync did: what was done on standard output (a user who redirects it keeps a
/// log), warnings and progress on standard error.
enum SyncText {
    static func show(_ event: SyncEvent, _ env: Env, quiet: Bool = false) {
        let lang = env.lang
        switch event {
        case .linked(let server, let panel, let rubric, let applicants, let device):
            Console.out(env.t("server.sync.linked", server, panel, rubric, String(applicants), device))
        case .progress(let panel, let received, let count):
            let what = received ? (lang == .en ? "received" : "已接收") : (lang == .en ? "sent" : "已发送")
            Console.err(env.t("server.sync.progress", panel, what, String(count)))
        case .retry(let server, let reason, let delay, let attempt, let of):
            Console.err(env.t("server.sync.retry", server, reason, formatNumber(delay), String(attempt), String(of)))
        case .refused(let row, let message):
            Console.err(refusedLine(env, row, message: message))
        case .pushed(let panel, let sent, let applied, let replayed, let refused):
            Console.out(env.t("server.sync.pushed", panel, String(sent), String(applied), String(replayed), String(refused)))
            if refused > 0 { Console.err(env.t("server.sync.refused_note", panel)) }
        case .pending(let panel, let count):
            Console.err(env.t("server.sync.pending", panel, String(count)))
        case .refreshed(let panel, let version, let written):
            Console.out(env.t("server.sync.refreshed", panel, String(version), String(written)))
        case .pulled(let panel, let received, let s, let cursor):
            if quiet && received == 0 && s.written == 0 { return }
            Console.out(env.t("server.sync.pulled", panel, String(received), String(s.written), String(s.unchanged),
                              String(s.keptLocal), String(s.unknown), String(cursor)))
        case .conflict(let c):
            Console.err(conflictLine(env, c))
        case .sealed(let panel):
            Console.out(env.t("server.sync.sealed", panel))
        }
    }

    static func refusedLine(_ env: Env, _ row: OutboxRow, message: String) -> String {
        let c = row.change
        return env.t("server.sync.refused", row.panel, c.kind.rawValue, c.reviewer, c.applicant, c.leaf ?? "", c.shownValue, message)
    }

    static func conflictLine(_ env: Env, _ c: SyncConflict) -> String {
        env.t("server.sync.conflict", c.panel, "\(c.reviewer)/\(c.applicant)", c.cell, c.mine ?? "—", c.winner ?? "—", c.winnerBy,
              displayTime(c.winnerAt))
    }
}

/// A stored UTC timestamp as the user reads it (Beijing time).
func displayTime(_ utc: String) -> String { UTCTime.display(utc) }
