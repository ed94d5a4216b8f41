import Foundation

// The panel server's wire types: every request and response body of the HTTP API (docs/openapi.yaml).
// JSON keys are snake_case through explicit CodingKeys (a key strategy would also rewrite dictionary keys such
// as indicator ids); Swift names are camelCase. Foundation only, so that both the
// server and the URLSession client can share them.

/// The JSON coders of the protocol (sorted keys, so that equal values encode equally).
public enum WireCoding {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func decoder() -> JSONDecoder {
        JSONDecoder()
    }

    /// Timestamps on the wire: ISO 8601, UTC, milliseconds (e.g. 2025-05-01T08:30:00.123Z). Formatted by
    /// hand: a formatter object per call is slow on Linux, and the server stamps every change.
    public static func timestamp(_ date: Date) -> String {
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

    /// Parses a wire timestamp (with or without milliseconds, UTC "Z").
    public static func parseTimestamp(_ text: String) -> Date? {
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

/// Who a token speaks for. `admin`: the server's first chair (from `pingshen server init`): creates panels
/// and is chair of every panel. `chair`: chair of one panel. `reviewer`: one reviewer of one panel.
public enum WireRole: String, Codable, Sendable, CaseIterable {
    case admin
    case chair
    case reviewer
}

// MARK: - Errors

/// The body of every 4xx/5xx response.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// A catalog key (Sources/PingshenCore/Catalog/Server.swift), e.g. `server.auth.missing`.
    public var error: String
    /// The key's arguments, so that a client renders the message in its own language.
    public var args: [String]
    /// The message rendered in the request's language (Accept-Language: en → English, else Chinese).
    public var message: String
    /// For a refused change batch (403): which changes were refused and why.
    public var refused: [ChangeResult]?

    public init(error: String, args: [String] = [], message: String, refused: [ChangeResult]? = nil) {
        self.error = error
        self.args = args
        self.message = message
        self.refused = refused
    }
}

// MARK: - Health and authentication

public struct HealthResponse: Codable, Sendable, Equatable {
    public var status: String
    public var protocolVersion: Int
    public var backend: String
    public init(status: String, protocolVersion: Int, backend: String) {
        self.status = status
        self.protocolVersion = protocolVersion
        self.backend = backend
    }

    enum CodingKeys: String, CodingKey {
        case status
        case protocolVersion = "protocol_version"
        case backend
    }
}

/// POST /v1/auth/exchange: a one-time enrolment code for a token.
public struct ExchangeRequest: Codable, Sendable, Equatable {
    public var code: String
    /// A name for this device (laptop), recorded with every change it sends.
    public var device: String?
    public init(code: String, device: String? = nil) {
        self.code = code
        self.device = device
    }
}

/// Who the caller is: returned by the exchange (with the token, shown once) and by GET /v1/me.
public struct Identity: Codable, Sendable, Equatable {
    public var role: WireRole
    /// The panel of a chair or reviewer (nil for the admin).
    public var panel: String?
    /// The reviewer id of a reviewer; the chair's name for a chair or the admin.
    public var reviewer: String?
    public var device: String
    public var expiresAt: String
    public init(role: WireRole, panel: String?, reviewer: String?, device: String, expiresAt: String) {
        self.role = role
        self.panel = panel
        self.reviewer = reviewer
        self.device = device
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case role
        case panel
        case reviewer
        case device
        case expiresAt = "expires_at"
    }
}

public struct ExchangeResponse: Codable, Sendable, Equatable {
    /// The bearer token (`Authorization: Bearer …`). The server keeps only its SHA-256.
    public var token: String
    public var identity: Identity
    public init(token: String, identity: Identity) {
        self.token = token
        self.identity = identity
    }
}

// MARK: - Panels

public struct WireReviewer: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// An applicant with its verified data (核定数据): value-leaf and gate values by key.
public struct WireApplicant: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var industry: String?
    public var data: [String: Double]
    /// In a reviewer's list: true when this reviewer is recused from the applicant.
    public var recused: Bool?
    public init(id: String, name: String, industry: String? = nil, data: [String: Double] = [:], recused: Bool? = nil) {
        self.id = id
        self.name = name
        self.industry = industry
        self.data = data
        self.recused = recused
    }
}

public struct WireRecusal: Codable, Sendable, Equatable {
    public var reviewer: String
    public var applicant: String
    public var reason: String
    public init(reviewer: String, applicant: String, reason: String) {
        self.reviewer = reviewer
        self.applicant = applicant
        self.reason = reason
    }
}

/// PUT /v1/panels/{panel}: create or replace a panel (the chair's `pingshen push`).
public struct PanelUpload: Codable, Sendable, Equatable {
    public var title: String
    public var round: String
    public var rubricId: String
    /// The rubric file's YAML text; the server checks it and reviewers read it.
    public var rubricYaml: String
    public var variant: String?
    public var method: String?
    public var quorum: Int?
    public var view: String?
    public var reviewers: [WireReviewer]
    public var applicants: [WireApplicant]
    public var recusals: [WireRecusal]

    public init(title: String, round: String, rubricId: String, rubricYaml: String, variant: String? = nil,
                method: String? = nil, quorum: Int? = nil, view: String? = nil, reviewers: [WireReviewer],
                applicants: [WireApplicant], recusals: [WireRecusal] = []) {
        self.title = title
        self.round = round
        self.rubricId = rubricId
        self.rubricYaml = rubricYaml
        self.variant = variant
        self.method = method
        self.quorum = quorum
        self.view = view
        self.reviewers = reviewers
        self.applicants = applicants
        self.recusals = recusals
    }

    enum CodingKeys: String, CodingKey {
        case title
        case round
        case rubricId = "rubric_id"
        case rubricYaml = "rubric_yaml"
        case variant
        case method
        case quorum
        case view
        case reviewers
        case applicants
        case recusals
    }
}

/// A panel's header and state.
public struct PanelSummary: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    public var round: String
    public var rubricId: String
    public var variant: String?
    public var method: String?
    public var quorum: Int?
    public var view: String?
    /// True once the chair released the reviewers' view of each other's scores.
    public var released: Bool
    public var sealed: Bool
    public var sealedAt: String?
    public var sealedBy: String?
    /// The change sequence of the panel's last upload: a client refetches rubric and applicants when it moves.
    public var version: Int64
    public var reviewers: Int
    public var applicants: Int

    public init(id: String, title: String, round: String, rubricId: String, variant: String?, method: String?,
                quorum: Int?, view: String?, released: Bool, sealed: Bool, sealedAt: String?, sealedBy: String?,
                version: Int64, reviewers: Int, applicants: Int) {
        self.id = id
        self.title = title
        self.round = round
        self.rubricId = rubricId
        self.variant = variant
        self.method = method
        self.quorum = quorum
        self.view = view
        self.released = released
        self.sealed = sealed
        self.sealedAt = sealedAt
        self.sealedBy = sealedBy
        self.version = version
        self.reviewers = reviewers
        self.applicants = applicants
    }

    enum CodingKeys: String, CodingKey {
        case id
        case title
        case round
        case rubricId = "rubric_id"
        case variant
        case method
        case quorum
        case view
        case released
        case sealed
        case sealedAt = "sealed_at"
        case sealedBy = "sealed_by"
        case version
        case reviewers
        case applicants
    }
}

public struct PanelList: Codable, Sendable, Equatable {
    public var panels: [PanelSummary]
    public init(panels: [PanelSummary]) { self.panels = panels }
}

/// GET /v1/panels/{panel}/rubric.
public struct RubricResponse: Codable, Sendable, Equatable {
    public var panel: String
    public var rubricId: String
    public var rubricYaml: String
    public var round: String
    public var variant: String?
    public init(panel: String, rubricId: String, rubricYaml: String, round: String, variant: String?) {
        self.panel = panel
        self.rubricId = rubricId
        self.rubricYaml = rubricYaml
        self.round = round
        self.variant = variant
    }

    enum CodingKeys: String, CodingKey {
        case panel
        case rubricId = "rubric_id"
        case rubricYaml = "rubric_yaml"
        case round
        case variant
    }
}

/// GET /v1/panels/{panel}/applicants.
public struct ApplicantList: Codable, Sendable, Equatable {
    public var panel: String
    public var applicants: [WireApplicant]
    public init(panel: String, applicants: [WireApplicant]) {
        self.panel = panel
        self.applicants = applicants
    }
}

/// POST /v1/panels/{panel}/enrol: a one-time code for a reviewer of the panel (or, by the admin, a chair).
public struct EnrolRequest: Codable, Sendable, Equatable {
    public var role: WireRole
    /// The reviewer id (must be a reviewer of the panel); for a chair, the chair's name.
    public var reviewer: String
    /// Hours until the code expires (default: the server's, 72).
    public var ttlHours: Double?
    public init(role: WireRole = .reviewer, reviewer: String, ttlHours: Double? = nil) {
        self.role = role
        self.reviewer = reviewer
        self.ttlHours = ttlHours
    }

    enum CodingKeys: String, CodingKey {
        case role
        case reviewer
        case ttlHours = "ttl_hours"
    }
}

public struct EnrolResponse: Codable, Sendable, Equatable {
    public var code: String
    public var role: WireRole
    public var panel: String
    public var reviewer: String
    public var expiresAt: String
    public init(code: String, role: WireRole, panel: String, reviewer: String, expiresAt: String) {
        self.code = code
        self.role = role
        self.panel = panel
        self.reviewer = reviewer
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case code
        case role
        case panel
        case reviewer
        case expiresAt = "expires_at"
    }
}

// MARK: - Sheets and the snapshot

public struct WireSheet: Codable, Sendable, Equatable {
    public var reviewer: String
    public var applicant: String
    public var round: String
    public var points: [String: Double]
    public var notes: [String: String]
    public var submitted: Bool
    public init(reviewer: String, applicant: String, round: String, points: [String: Double] = [:],
                notes: [String: String] = [:], submitted: Bool = false) {
        self.reviewer = reviewer
        self.applicant = applicant
        self.round = round
        self.points = points
        self.notes = notes
        self.submitted = submitted
    }
}

/// GET /v1/panels/{panel}/snapshot: everything the chair's aggregation reads (PingshenCore's PanelSnapshot).
public struct WirePanelSnapshot: Codable, Sendable, Equatable {
    public var panel: PanelSummary
    public var rubricYaml: String
    public var reviewers: [WireReviewer]
    public var applicants: [WireApplicant]
    public var sheets: [WireSheet]
    public var recusals: [WireRecusal]
    /// The change cursor this snapshot is consistent with: pull from here to follow it.
    public var cursor: Int64
    public init(panel: PanelSummary, rubricYaml: String, reviewers: [WireReviewer], applicants: [WireApplicant],
                sheets: [WireSheet], recusals: [WireRecusal], cursor: Int64) {
        self.panel = panel
        self.rubricYaml = rubricYaml
        self.reviewers = reviewers
        self.applicants = applicants
        self.sheets = sheets
        self.recusals = recusals
        self.cursor = cursor
    }

    enum CodingKeys: String, CodingKey {
        case panel
        case rubricYaml = "rubric_yaml"
        case reviewers
        case applicants
        case sheets
        case recusals
        case cursor
    }
}

// MARK: - Sync: changes

/// What a change does. The first five come from clients; the last three are written by the server into
/// the change feed when the chair acts, so that every client learns of them on its next pull.
public enum ChangeKind: String, Codable, Sendable, CaseIterable {
    case setPoints = "set_points"
    case clearPoints = "clear_points"
    case setNote = "set_note"
    case submit
    case reopen
    case panelUpdated = "panel_updated"
    case released
    case sealed

    public static let clientKinds: [ChangeKind] = [.setPoints, .clearPoints, .setNote, .submit, .reopen]
}

/// One change from a client's outbox. `changeId` (a UUID the client generates once, when the change is
/// made) makes a retried push apply it exactly once.
public struct Change: Codable, Sendable, Equatable {
    public var changeId: String
    public var device: String
    public var kind: ChangeKind
    public var reviewer: String
    public var applicant: String
    public var round: String
    /// The indicator (leaf) of set_points, clear_points and set_note.
    public var leaf: String?
    /// The points of set_points.
    public var value: Double?
    /// The text of set_note (nil or empty clears the note).
    public var note: String?
    /// Why: required for reopen, optional otherwise; kept in the audit log.
    public var reason: String?
    /// When the reviewer made the change on the device (ISO 8601). Informational: order is the server's.
    public var clientTime: String

    public init(changeId: String = UUID().uuidString.lowercased(), device: String, kind: ChangeKind,
                reviewer: String, applicant: String, round: String, leaf: String? = nil, value: Double? = nil,
                note: String? = nil, reason: String? = nil, clientTime: String = WireCoding.timestamp(Date())) {
        self.changeId = changeId
        self.device = device
        self.kind = kind
        self.reviewer = reviewer
        self.applicant = applicant
        self.round = round
        self.leaf = leaf
        self.value = value
        self.note = note
        self.reason = reason
        self.clientTime = clientTime
    }

    enum CodingKeys: String, CodingKey {
        case changeId = "change_id"
        case device
        case kind
        case reviewer
        case applicant
        case round
        case leaf
        case value
        case note
        case reason
        case clientTime = "client_time"
    }
}

/// POST /v1/panels/{panel}/changes.
public struct PushRequest: Codable, Sendable, Equatable {
    public var changes: [Change]
    public init(changes: [Change]) { self.changes = changes }
}

public enum ChangeStatus: String, Codable, Sendable {
    /// Applied (now or, for a replay, the first time it arrived).
    case applied
    /// Refused: nothing changed; `reason` says why. The client must report it to the user.
    case refused
}

/// The outcome of one change. A retried change gets the very outcome of its first arrival, with `replayed`.
public struct ChangeResult: Codable, Sendable, Equatable {
    public var changeId: String
    public var status: ChangeStatus
    /// Catalog key of the refusal (e.g. `server.change.sealed`), nil when applied.
    public var reason: String?
    public var args: [String]?
    /// The refusal rendered in the request's language.
    public var message: String?
    /// The change's position in the server's change sequence.
    public var seq: Int64?
    /// The server's receive time (what last-writer-wins orders by).
    public var receivedAt: String?
    /// True when this change id had already been received: nothing was applied again.
    public var replayed: Bool

    public init(changeId: String, status: ChangeStatus, reason: String? = nil, args: [String]? = nil,
                message: String? = nil, seq: Int64? = nil, receivedAt: String? = nil, replayed: Bool = false) {
        self.changeId = changeId
        self.status = status
        self.reason = reason
        self.args = args
        self.message = message
        self.seq = seq
        self.receivedAt = receivedAt
        self.replayed = replayed
    }

    enum CodingKeys: String, CodingKey {
        case changeId = "change_id"
        case status
        case reason
        case args
        case message
        case seq
        case receivedAt = "received_at"
        case replayed
    }
}

public struct PushResponse: Codable, Sendable, Equatable {
    /// One result per change, in the request's order.
    public var results: [ChangeResult]
    public init(results: [ChangeResult]) { self.results = results }
}

/// A change as the feed returns it: what a client applies locally, in `seq` order.
public struct ServerChange: Codable, Sendable, Equatable {
    public var seq: Int64
    public var changeId: String
    public var kind: ChangeKind
    public var device: String?
    public var reviewer: String?
    public var applicant: String?
    public var round: String?
    public var leaf: String?
    public var value: Double?
    public var note: String?
    public var reason: String?
    public var clientTime: String?
    public var receivedAt: String

    public init(seq: Int64, changeId: String, kind: ChangeKind, device: String?, reviewer: String?,
                applicant: String?, round: String?, leaf: String?, value: Double?, note: String?,
                reason: String?, clientTime: String?, receivedAt: String) {
        self.seq = seq
        self.changeId = changeId
        self.kind = kind
        self.device = device
        self.reviewer = reviewer
        self.applicant = applicant
        self.round = round
        self.leaf = leaf
        self.value = value
        self.note = note
        self.reason = reason
        self.clientTime = clientTime
        self.receivedAt = receivedAt
    }

    enum CodingKeys: String, CodingKey {
        case seq
        case changeId = "change_id"
        case kind
        case device
        case reviewer
        case applicant
        case round
        case leaf
        case value
        case note
        case reason
        case clientTime = "client_time"
        case receivedAt = "received_at"
    }
}

/// GET /v1/panels/{panel}/changes?since=CURSOR&limit=N.
public struct PullResponse: Codable, Sendable, Equatable {
    public var changes: [ServerChange]
    /// Pass as `since` next time. Never decreases; may move past changes the caller may not see.
    public var nextCursor: Int64
    /// True when more changes wait: pull again at once.
    public var hasMore: Bool
    public var panel: PanelSummary
    public init(changes: [ServerChange], nextCursor: Int64, hasMore: Bool, panel: PanelSummary) {
        self.changes = changes
        self.nextCursor = nextCursor
        self.hasMore = hasMore
        self.panel = panel
    }

    enum CodingKeys: String, CodingKey {
        case changes
        case nextCursor = "next_cursor"
        case hasMore = "has_more"
        case panel
    }
}

/// GET /v1/audit/verify (admin): recomputes the audit log's hash chain.
public struct AuditVerification: Codable, Sendable, Equatable {
    public var ok: Bool
    public var rows: Int64
    /// The first row whose hash does not match (nil when the chain holds).
    public var firstBadId: Int64?
    public var lastHash: String
    public init(ok: Bool, rows: Int64, firstBadId: Int64?, lastHash: String) {
        self.ok = ok
        self.rows = rows
        self.firstBadId = firstBadId
        self.lastHash = lastHash
    }

    enum CodingKeys: String, CodingKey {
        case ok
        case rows
        case firstBadId = "first_bad_id"
        case lastHash = "last_hash"
    }
}

/// The protocol's version, sent by GET /v1/health.
public let wireProtocolVersion = 1
