import Foundation
import PingshenWire

/// A token saved by `pingshen login`, for one server.
public struct StoredCredential: Codable, Sendable, Equatable {
    public var server: String
    public var token: String
    public var identity: Identity
    public var savedAt: String

    public init(server: String, token: String, identity: Identity, savedAt: String = WireCoding.timestamp(Date())) {
        self.server = server
        self.token = token
        self.identity = identity
        self.savedAt = savedAt
    }

    enum CodingKeys: String, CodingKey {
        case server, token, identity
        case savedAt = "saved_at"
    }
}

/// Tokens by server, in `$XDG_CONFIG_HOME/pingshen/credentials.json` (else `~/.config/pingshen/…`),
/// readable by the user only (0600, in a 0700 directory).
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
    public static func key(_ server: String) -> String {
        var s = server.trimmingCharacters(in: .whitespaces)
        while s.hasSuffix("/") { s.removeLast() }
        return s.lowercased()
    }

    public func all() throws -> [String: StoredCredential] {
        guard let data = FileManager.default.contents(atPath: file) else { return [:] }
        return try JSONDecoder().decode([String: StoredCredential].self, from: data)
    }

    public func credential(for server: String) throws -> StoredCredential? {
        try all()[CredentialStore.key(server)]
    }

    /// Saves (replaces) the server's credential; the file is written whole with mode 0600.
    public func save(_ c: StoredCredential) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var list = try all()
        list[CredentialStore.key(c.server)] = c
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
