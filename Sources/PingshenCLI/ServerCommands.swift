import ArgumentParser
import Foundation
import PingshenCore
import PingshenServer
import PingshenSync
import PingshenWire

// The shared panel server on the command line: `serve`, `server init`, `server enrol`, `login`.

/// Runs async work from a synchronous command (the root command is synchronous): the main thread waits
/// while the work runs on the concurrency pool.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    guard let result = box.result else { throw PingshenError("server.internal") }
    return try result.get()
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// Options choosing the server's store.
struct ServerStoreOptions: ParsableArguments {
    @Option(name: .long, help: "PostgreSQL URL (postgres://user@host:port/db) instead of the SQLite file given with --db.")
    var postgres: String?

    /// The store: PostgreSQL, or the SQLite file from --db, PINGSHEN_SERVER_DB, else pingshen-server.sqlite.
    func open(_ global: GlobalOptions) throws -> (storage: SQLServerStorage, name: String) {
        if let postgres {
            if global.db != nil { throw PingshenError("server.cli.store_conflict") }
            return (try SQLServerStorage.postgres(url: postgres), PingshenServerCommands.redacted(postgres))
        }
        let path = global.db ?? ProcessInfo.processInfo.environment["PINGSHEN_SERVER_DB"] ?? "pingshen-server.sqlite"
        do {
            return (try SQLServerStorage.sqlite(path: path), path)
        } catch {
            throw PingshenError("server.storage_failed", ["\(path): \(error)"])
        }
    }
}

enum PingshenServerCommands {
    /// A PostgreSQL URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? url
    }
}

/// `pingshen serve`
struct ServeCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the shared panel server (HTTP; HTTPS with --tls-cert/--tls-key).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var store: ServerStoreOptions
    @Option(name: .long, help: "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(name: .long, help: "Port (default 8080; 0 picks a free one and prints it).") var port = 8080
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of the certificate.") var tlsKey: String?
    @Option(name: .customLong("code-ttl-hours"), help: "Lifetime of enrolment codes in hours (default 72).") var codeTTL: Double = 72
    @Option(name: .customLong("token-ttl-days"), help: "Lifetime of tokens in days (default 90).") var tokenTTL: Double = 90
    @Option(name: .customLong("max-body-mib"), help: "Largest request body in MiB (default 8).") var maxBody: Double = 8
    @Option(name: .customLong("exchanges-per-minute"), help: "Code exchanges allowed per address per minute (default 10).")
    var exchanges = 10

    func execute(_ env: Env) throws {
        guard (0...65535).contains(port) else { throw PingshenError("server.cli.bad_port", [String(port)]) }
        if (tlsCert == nil) != (tlsKey == nil) { throw PingshenError("server.cli.tls_pair") }
        let (storage, name) = try store.open(global)
        var config = ServerConfiguration()
        config.host = host
        config.port = port
        config.tlsCertificatePath = tlsCert
        config.tlsKeyPath = tlsKey
        config.codeTTL = max(codeTTL, 0.01) * 3600
        config.tokenTTL = max(tokenTTL, 0.001) * 24 * 3600
        config.maxBodyBytes = Int(max(maxBody, 0.001) * 1024 * 1024)
        config.exchangesPerMinute = max(exchanges, 1)
        let server = PanelServer(storage: storage, configuration: config)
        let scheme = tlsCert == nil ? "http" : "https"
        let host = self.host
        let port = self.port
        let lang = env.lang
        try runBlocking {
            do {
                try await server.run(handleSignals: true) { bound in
                    Console.out(Catalog.text("server.cli.listening", ["\(scheme)://\(host):\(bound)", name], lang))
                }
            } catch let e as PingshenError {
                throw e
            } catch {
                let text = "\(error)"
                if text.contains("Address already in use") || text.contains("EADDRINUSE") || text.contains("errno: 98") {
                    throw PingshenError("server.cli.port_busy", ["\(host):\(port)"])
                }
                throw PingshenError("server.storage_failed", [text])
            }
            try? await storage.close()
        }
        Console.err(env.t("server.cli.stopped"))
    }
}

/// `pingshen server …`
struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Set up the shared panel server and enrol its users.",
        subcommands: [ServerInit.self, ServerEnrol.self, ServerRelease.self, ServerSeal.self])
    @OptionGroup var global: GlobalOptions
}

/// `pingshen server init --db F | --postgres URL`: creates the store; the chair's one-time code is the last line.
struct ServerInit: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the server's store and print a one-time chair (admin) code as the last line.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var store: ServerStoreOptions
    @Option(name: .customLong("code-ttl-hours"), help: "Hours the code stays valid (default 72).") var codeTTL: Double = 72
    @Option(name: .long, help: "The admin chair's name (for the audit log).") var name = "chair"
    @Flag(name: .customLong("new-admin-code"), help: "On a store that is already set up, issue another admin code (logged).")
    var newAdminCode = false

    func execute(_ env: Env) throws {
        let (storage, storeName) = try store.open(global)
        let ttl = max(codeTTL, 0.01) * 3600
        let adminName = name
        let again = newAdminCode
        let result = try runBlocking { () async throws -> (code: String, expiresAt: Date) in
            do {
                try await storage.migrate()
                if try await storage.adminCodesIssued() > 0, !again {
                    try? await storage.close()
                    throw PingshenError("server.cli.already_initialized", [storeName])
                }
                let r = try await PanelServer.initialize(storage: storage, adminName: adminName, codeTTL: ttl)
                try? await storage.close()
                return r
            } catch let e as PingshenError {
                try? await storage.close()
                throw e
            } catch {
                try? await storage.close()
                throw PingshenError("server.storage_failed", ["\(error)"])
            }
        }
        Console.out(env.t("server.cli.init_done", storeName))
        Console.out(env.t("server.cli.code_expires", UTCTime.display(WireCoding.timestamp(result.expiresAt))))
        Console.out(result.code)
    }
}

/// `pingshen server enrol PANEL REVIEWER --server URL`: the chair gets a reviewer's one-time code (last line).
struct ServerEnrol: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrol", abstract: "Create a reviewer's one-time code (printed as the last line).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Reviewer id (or, with --chair, the chair's name).") var reviewer: String
    @Option(name: .long, help: "Server URL, e.g. http://127.0.0.1:8080.") var server: String
    @Flag(name: .long, help: "Enrol a chair of the panel (admin only).") var chair = false
    @Option(name: .customLong("ttl-hours"), help: "Hours the code stays valid (default: the server's, 72).") var ttl: Double?

    func execute(_ env: Env) throws {
        let client = try env.client(server, panel: panel)
        let (panel, reviewer, role, ttl) = (self.panel, self.reviewer, chair ? PanelRole.chair : .reviewer, self.ttl)
        let r = try env.remote(server) { try await client.enrol(panel: panel, reviewer: reviewer, role: role, ttlHours: ttl) }
        Console.out(env.t("server.cli.enrol_done", r.panel, r.reviewer, r.role.rawValue, r.expiresAt))
        Console.out(r.code)
    }
}

/// `pingshen login --server URL --code C`: exchanges a code for a token and keeps it (0600), beside the tokens
/// of other panels and servers. `pingshen login` alone lists the stored tokens.
struct LoginCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Exchange a one-time code for a token, kept in ~/.config/pingshen (0600); without options, list the tokens kept.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Server URL, e.g. http://127.0.0.1:8080.") var server: String?
    @Option(name: .long, help: "The one-time enrolment code.") var code: String?
    @Option(name: .long, help: "A name for this device (default: the host name).") var device: String?

    func execute(_ env: Env) throws {
        let store = CredentialStore()
        guard let code else {
            let list: [StoredCredential]
            do {
                list = try server.map { try store.credentials(for: $0) } ?? store.all().values.sorted { $0.key < $1.key }
            } catch {
                throw PingshenError("server.cli.credentials_failed", [store.file, "\(error)"])
            }
            if list.isEmpty { Console.out(env.t("server.cli.no_tokens", store.file)) }
            for c in list {
                Console.out(env.t("server.cli.token_line", c.server, c.identity.panel ?? "*", c.identity.role.rawValue,
                                  c.identity.reviewer ?? "-", displayTime(c.identity.expiresAt)))
            }
            return
        }
        guard let server else { throw PingshenError("server.cli.login_needs_server") }
        let url = try PanelSync.serverURL(server)
        let client = PingshenSyncClient(baseURL: url, language: env.lang.rawValue)
        let device = self.device ?? ProcessInfo.processInfo.hostName
        let r = try env.remote(server) { try await client.exchange(code: code, device: device) }
        do {
            try store.save(StoredCredential(server: server, token: r.token, identity: r.identity))
        } catch {
            throw PingshenError("server.cli.credentials_failed", [store.file, "\(error)"])
        }
        Console.out(env.t("server.cli.login_done", server, r.identity.role.rawValue, r.identity.panel ?? "-",
                          r.identity.reviewer ?? "-", store.file))
    }
}
