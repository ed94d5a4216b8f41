import Foundation

// The audit log's canonical form, shared by the local store and the panel server (one format, one genesis,
// one timestamp form). Hashing lives in PingshenAudit (it needs SHA-256); what a row's hash covers is
// defined here, as a pure function, and documented in docs/audit.md so that an auditor can recompute a
// chain with a few lines of Python (scripts/audit_chain.py does exactly that).

/// Which canonical form a stored audit row was hashed with. Rows are never re-hashed: a row keeps the form
/// it was written with, and verification uses that form.
public enum AuditCanon: Int, Sendable, Codable, CaseIterable {
    /// The panel server's rows before the shared form: fields separated by U+001F, U+0000 for a missing
    /// value, `hash = sha256(prev_hash ‖ content)` (no separator).
    case serverV0 = 0
    /// A local panel's rows before the shared form: `pseq, panel, at, actor, entity, field, old, new, reason`.
    case panelV1 = 1
    /// The shared form (local store and server): `position, panel, at, actor, entity, field, old, new,
    /// reason, change_id`.
    case shared = 2
}

/// One audit row as both stores hash it: who changed what, when, from what to what, why, and (for a
/// change that came through sync) the change id.
///
/// For the forms 1 and 2 the content is the fields escaped by `canonicalField` (a missing value is `\N`;
/// backslash, tab, CR and LF are written `\\`, `\t`, `\r`, `\n`) and joined by tabs, and
/// `hash = sha256_hex(prev_hash + "\n" + content)` over UTF-8. The chain starts at `auditGenesisHash`.
public struct AuditRecord: Sendable, Equatable {
    /// Position in its chain, from 1: a panel's `pseq` locally, the row id on the server.
    public var position: Int64
    public var panel: String?
    /// UTC, ISO 8601 with milliseconds (`UTCTime.format`); displays convert to local time.
    public var at: String
    public var actor: String
    /// What changed (local: `panel`, `sheet:R/A/ROUND`…; server: the target, e.g. `r1/a1/初评/goals`).
    public var entity: String?
    /// Which part (local: a field or indicator id; server: the action, e.g. `set_points`).
    public var field: String?
    public var old: String?
    public var new: String?
    public var reason: String?
    public var changeId: String?
    public var canon: AuditCanon

    public init(position: Int64, panel: String?, at: String, actor: String, entity: String?, field: String?,
                old: String?, new: String?, reason: String?, changeId: String? = nil, canon: AuditCanon = .shared) {
        self.position = position
        self.panel = panel
        self.at = at
        self.actor = actor
        self.entity = entity
        self.field = field
        self.old = old
        self.new = new
        self.reason = reason
        self.changeId = changeId
        self.canon = canon
    }

    /// The text the row's hash covers, in the row's own canonical form.
    public var canonicalContent: String {
        switch canon {
        case .serverV0:
            // Server v0 order: id, at, actor, panel, action (field), target (entity), old, new, reason, change_id.
            let fields: [String?] = [String(position), at, actor, panel, field, entity, old, new, reason, changeId]
            return fields.map { $0 ?? "\u{0}" }.joined(separator: "\u{1F}")
        case .panelV1, .shared:
            var s = String(position)
            s.reserveCapacity(160)
            for f in [panel, at, actor, entity, field, old, new, reason] {
                s += "\t"
                s += canonicalField(f)
            }
            if canon == .shared {
                s += "\t"
                s += canonicalField(changeId)
            }
            return s
        }
    }

    /// The bytes whose SHA-256 is the row's hash, given the previous row's hash.
    public func hashedText(prev: String) -> String {
        canon == .serverV0 ? prev + canonicalContent : prev + "\n" + canonicalContent
    }
}

/// The hash before a chain's first row.
public let auditGenesisHash = String(repeating: "0", count: 64)

/// The outcome of checking an audit chain (a local panel's, or the server's).
public struct AuditVerification: Sendable, Equatable, Codable {
    public var ok: Bool
    /// Rows checked.
    public var rows: Int64
    /// The position of the first row that does not verify (nil when the chain holds, or when what is wrong
    /// is not one row, e.g. a missing seal head).
    public var firstBadId: Int64?
    /// The last verified hash.
    public var lastHash: String
    /// What is wrong, ready to show (local only; not sent over the wire).
    public var problem: PingshenError?

    public init(ok: Bool, rows: Int64, firstBadId: Int64?, lastHash: String, problem: PingshenError? = nil) {
        self.ok = ok
        self.rows = rows
        self.firstBadId = firstBadId
        self.lastHash = lastHash
        self.problem = problem
    }

    public var isIntact: Bool { ok }
    /// The first bad position as a local panel's `pseq`.
    public var firstBroken: Int? { firstBadId.map { Int($0) } }

    enum CodingKeys: String, CodingKey {
        case ok
        case rows
        case firstBadId = "first_bad_id"
        case lastHash = "last_hash"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ok = try c.decode(Bool.self, forKey: .ok)
        rows = try c.decode(Int64.self, forKey: .rows)
        firstBadId = try c.decodeIfPresent(Int64.self, forKey: .firstBadId)
        lastHash = try c.decode(String.self, forKey: .lastHash)
        problem = nil
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ok, forKey: .ok)
        try c.encode(rows, forKey: .rows)
        try c.encode(firstBadId, forKey: .firstBadId)
        try c.encode(lastHash, forKey: .lastHash)
    }
}

/// What a seal records: the SHA-256 of the panel's canonical inputs (`canonicalInputText`) and of its
/// canonical results, as `inputs:<hex> results:<hex>`. The same text on a local seal and a server seal.
public struct SealDigest: Sendable, Equatable, Codable {
    public var inputs: String
    public var results: String
    public var text: String { "inputs:\(inputs) results:\(results)" }

    public init(inputs: String, results: String) {
        self.inputs = inputs
        self.results = results
    }

    public init?(_ text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[0].hasPrefix("inputs:"), parts[1].hasPrefix("results:") else { return nil }
        inputs = String(parts[0].dropFirst("inputs:".count))
        results = String(parts[1].dropFirst("results:".count))
        guard Self.isHex(inputs), Self.isHex(results) else { return nil }
    }

    static func isHex(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Timestamps that are stored, hashed and sent: UTC, ISO 8601, milliseconds (2025-05-01T08:30:00.123Z).
/// Formatted by hand: a formatter object per call is slow on Linux, and every change is stamped.
public enum UTCTime {
    public static func format(_ date: Date) -> String {
        let totalMs = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var days = totalMs >= 0 ? totalMs / 86_400_000 : (totalMs - 86_399_999) / 86_400_000
        let msOfDay = totalMs - days * 86_400_000
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(msOfDay / 3_600_000, 2)):"
            + "\(pad(msOfDay / 60000 % 60, 2)):\(pad(msOfDay / 1000 % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }

    public static func now() -> String { format(Date()) }

    /// A stored timestamp as a person in Beijing reads it (`2026-12-01 16:09:37 +08:00`); text that is not a
    /// stored timestamp is returned as it is.
    public static func display(_ text: String, offsetHours: Int = 8) -> String {
        guard let date = parse(text) else { return text }
        let local = format(date.addingTimeInterval(Double(offsetHours) * 3600))
        let sign = offsetHours >= 0 ? "+" : "-"
        let h = abs(offsetHours)
        return String(local.prefix(10)) + " " + String(local.dropFirst(11).prefix(8)) + " \(sign)\(h < 10 ? "0" : "")\(h):00"
    }

    /// Parses a timestamp of this form (with or without milliseconds, UTC "Z").
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for k in from..<from + count {
                guard b[k] >= 48 && b[k] <= 57 else { return nil }
                v = v * 10 + Int64(b[k] - 48)
            }
            return v
        }
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b.last == 90,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
              let sec = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
        var ms: Int64 = 0
        if b.count == 24 {
            guard b[19] == 46, let f = num(20, 3) else { return nil }
            ms = f
        } else if b.count != 20 {
            return nil
        }
        // Days from civil (inverse of the above).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86400 + h * 3600 + mi * 60 + sec
        return Date(timeIntervalSince1970: Double(seconds) + Double(ms) / 1000)
    }
}
