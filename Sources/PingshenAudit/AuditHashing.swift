import Crypto
import Foundation
import PingshenCore

// Hashing of the audit chain and of seal digests: the one SHA-256 of the project, used by the local store,
// the panel server and the command line alike. The canonical form itself is PingshenCore's AuditRecord.

/// Lower-case hex SHA-256 of a text's UTF-8 bytes.
public func sha256Hex(_ text: String) -> String {
    var text = text
    return text.withUTF8 { sha256Hex(bytes: UnsafeRawBufferPointer($0)) }
}

/// Lower-case hex SHA-256 of bytes.
public func sha256Hex(_ data: Data) -> String {
    data.withUnsafeBytes { sha256Hex(bytes: $0) }
}

func sha256Hex(bytes: UnsafeRawBufferPointer) -> String {
    let digest = SHA256.hash(data: bytes)
    return String(unsafeUninitializedCapacity: 64) { out in
        var i = 0
        for b in digest {
            out[i] = hexDigit(b >> 4)
            out[i + 1] = hexDigit(b & 0x0F)
            i += 2
        }
        return 64
    }
}

@inline(__always) private func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }

extension AuditRecord {
    /// The hash this row must carry after `prev`.
    public func expectedHash(prev: String) -> String { sha256Hex(hashedText(prev: prev)) }
}

/// Appends rows to a chain: keeps the head and the position, and hashes each new row in the shared form.
public struct AuditLinker: Sendable {
    public private(set) var head: String
    public private(set) var position: Int64

    public init(head: String = auditGenesisHash, position: Int64 = 0) {
        self.head = head
        self.position = position
    }

    /// Links the next row (its position is set here) and returns it with its previous hash and its hash.
    public mutating func link(_ record: AuditRecord) -> (record: AuditRecord, prevHash: String, hash: String) {
        var r = record
        position += 1
        r.position = position
        r.canon = .shared
        let prev = head
        let hash = r.expectedHash(prev: prev)
        head = hash
        return (r, prev, hash)
    }
}

/// Checks a chain row by row, in position order: each row must follow the previous one (position + 1),
/// name the previous row's hash, and carry the hash of its own content in its own canonical form.
public struct AuditChainChecker: Sendable {
    public private(set) var prev = auditGenesisHash
    public private(set) var rows: Int64 = 0
    public private(set) var failure: (position: Int64, kind: Failure)?

    public enum Failure: Sendable, Equatable {
        /// A row is missing or out of place.
        case gap(found: Int64)
        /// The row does not name the previous row's hash.
        case link
        /// The row's content does not hash to its hash (it was edited).
        case hash
    }

    public init() {}

    /// Checks the next row; returns false (and records why) at the first row that does not verify.
    public mutating func check(_ r: AuditRecord, prevHash: String, hash: String) -> Bool {
        guard failure == nil else { return false }
        let expectedPosition = rows + 1
        if r.position != expectedPosition {
            failure = (expectedPosition, .gap(found: r.position))
            return false
        }
        if prevHash != prev {
            failure = (r.position, .link)
            return false
        }
        if r.expectedHash(prev: prev) != hash {
            failure = (r.position, .hash)
            return false
        }
        rows += 1
        prev = hash
        return true
    }
}
