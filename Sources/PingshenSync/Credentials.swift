import Foundation
import PingshenCore
import PingshenWire

/// A token saved by `pingshen login`: for one server and, for a chair or reviewer, one panel of it.
public struct StoredCredential: Codable, Sendable, Equatable {
    public var server: String
    public var token: String
    public var identity: Identity
    public var savedAt: String

    public init(server: String, token: String, identity: Identity, savedAt: String = UTCTime.now()) {
        self.server = server
        self.token = token
        self.identity = identity
        self.savedAt = savedAt
    }

    enum CodingKeys: String, CodingKey {
        case server, token, identity
        case savedAt = "saved_at"
    }

    /// The key it is kept under: the server and the token's panel (`*` for the admin, who has every panel).
    public var key: String { CredentialStore.key(server, panel: identity.panel) }
}

/// Tokens by server and panel, in `$XDG_CONFIG_HOME/pingshen/credentials.json` (else `~/.config/pingshen/…`),
/// readable by the user only (0600, in a 0700 directory). A reviewer or chair on several panels of one server,
/// or on several servers, keeps every token: logging in for one panel never replaces another panel's token.
public struct CredentialStore: Sendable {
    public var directory: String
    public var file: String { directory + "/credentials.json" }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            directory = xdg + "/pingshen"
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            directory = home + "/.config/pingshen"
        }
    }

    public init(directory: String) { self.directory = directory }

    /// The server URL as a key: scheme, host and port, no trailing slash.
    public static func serverKey(_ server: String) -> String {
        var s = server.trimmingCharacters(in: .whitespaces)
        while s.hasSuffix("/") { s.removeLast() }
        return s.lowercased()
    }

    /// The key of a server's token for a panel (`*`: the admin's token, valid for every panel).
    public static func key(_ server: String, panel: String?) -> String {
        serverKey(server) + " " + (panel ?? "*")
    }

    /// Every stored token, by key. A file written before tokens were kept per panel (keyed by server only)
    /// reads the same: each entry is filed under its own server and panel.
    public func all() throws -> [String: StoredCredential] {
        guard let data = FileManager.default.contents(atPath: file) else { return [:] }
        let stored = try JSONDecoder().decode([String: StoredCredential].self, from: data)
        var out: [String: StoredCredential] = [:]
        for c in stored.values.sorted(by: { $0.savedAt < $1.savedAt }) { out[c.key] = c }
        return out
    }

    /// The tokens of one server, sorted by panel.
    public func credentials(for server: String) throws -> [StoredCredential] {
        let prefix = Self.serverKey(server) + " "
        return try all().filter { $0.key.hasPrefix(prefix) }.map(\.value)
            .sorted { ($0.identity.panel ?? "") < ($1.identity.panel ?? "") }
    }

    /// The token to use for a panel of a server: that panel's own, else the server's admin token. Without a
    /// panel: the server's only token, else its admin token (nil when the choice is not clear).
    public func credential(for server: String, panel: String?) throws -> StoredCredential? {
        let list = try all()
        if let panel {
            return list[Self.key(server, panel: panel)] ?? list[Self.key(server, panel: nil)]
        }
        let mine = try credentials(for: server)
        if mine.count == 1 { return mine[0] }
        return list[Self.key(server, panel: nil)]
    }

    /// Saves a token under its server and panel (replacing only that panel's token); the file is written
    /// whole, atomically, with mode 0600.
    public func save(_ c: StoredCredential) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var list = try all()
        list[c.key] = c
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try enc.encode(list)
        let tmp = file + ".tmp-\(getpid())"
        fm.createFile(atPath: tmp, contents: nil, attributes: [.posixPermissions: 0o600])
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tmp)
        guard let h = FileHandle(forWritingAtPath: tmp) else {
            throw CocoaError(.fileWriteNoPermission)
        }
        try h.write(contentsOf: data)
        try h.synchronize()
        try h.close()
        if rename(tmp, file) != 0 { throw CocoaError(.fileWriteUnknown) }
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }
}
