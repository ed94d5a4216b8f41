import Foundation
import PingshenCore

// The panel server's wire types: every request and response body of the HTTP API (docs/openapi.yaml).
// JSON keys are snake_case through explicit CodingKeys (a key strategy would also rewrite dictionary keys such
// as indicator ids); Swift names are camelCase. The panel's members, sheets and changes are the core's own
// Codable types (ReviewerInfo, Recusal, SheetRecord, Change, FeedChange, AuditVerification, SealDigest).

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

    /// Timestamps on the wire: the store's and the audit log's form (`UTCTime`).
    public static func timestamp(_ date: Date) -> String { UTCTime.format(date) }

    /// Parses a wire timestamp (with or without milliseconds, UTC "Z").
    public static func parseTimestamp(_ text: String) -> Date? { UTCTime.parse(text) }
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
    public var role: PanelRole
    /// The panel of a chair or reviewer (nil for the admin).
    public var panel: String?
    /// The reviewer id of a reviewer; the chair's name for a chair or the admin.
    public var reviewer: String?
    public var device: String
    public var expiresAt: String
    public init(role: PanelRole, panel: String?, reviewer: String?, device: String, expiresAt: String) {
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

/// PUT /v1/panels/{panel}: create or replace a panel (the chair's `pingshen push`).
public struct PanelUpload: Codable, Sendable, Equatable {
    public var title: String
    public var round: String
    public var rubricId: String
    /// The rubric file's YAML text; the server checks it and reviewers read it.
    public var rubricYaml: String
    public var variant: String?
    public var method: AggregationMethod?
    public var quorum: Int?
    public var view: AggregationView?
    public var reviewers: [ReviewerInfo]
    public var applicants: [WireApplicant]
    public var recusals: [Recusal]

    public init(title: String, round: String, rubricId: String, rubricYaml: String, variant: String? = nil,
                method: AggregationMethod? = nil, quorum: Int? = nil, view: AggregationView? = nil, reviewers: [ReviewerInfo],
                applicants: [WireApplicant], recusals: [Recusal] = []) {
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
    public var method: AggregationMethod?
    public var quorum: Int?
    public var view: AggregationView?
    /// True once the chair released the reviewers' view of each other's scores.
    public var released: Bool
    public var sealed: Bool
    public var sealedAt: String?
    public var sealedBy: String?
    /// The seal's digests (`inputs:<sha256> results:<sha256>`, as a local seal records them), when the chair
    /// sent them with the seal.
    public var sealDigest: String?
    /// The change sequence of the panel's last upload: a client refetches rubric and applicants when it moves.
    public var version: Int64
    public var reviewers: Int
    public var applicants: Int

    public init(id: String, title: String, round: String, rubricId: String, variant: String?, method: AggregationMethod?,
                quorum: Int?, view: AggregationView?, released: Bool, sealed: Bool, sealedAt: String?, sealedBy: String?,
                sealDigest: String? = nil, version: Int64, reviewers: Int, applicants: Int) {
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
        self.sealDigest = sealDigest
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
        case sealDigest = "seal_digest"
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
    /// The panel's reviewers with their names, so that every copy shows who is who.
    public var reviewers: [ReviewerInfo]?
    /// Every recusal of the panel (回避 is not secret within the panel: a reviewer's copy shows who is recused).
    public var recusals: [Recusal]?
    public init(panel: String, applicants: [WireApplicant], reviewers: [ReviewerInfo]? = nil, recusals: [Recusal]? = nil) {
        self.panel = panel
        self.applicants = applicants
        self.reviewers = reviewers
        self.recusals = recusals
    }
}

/// POST /v1/panels/{panel}/enrol: a one-time code for a reviewer of the panel (or, by the admin, a chair).
public struct EnrolRequest: Codable, Sendable, Equatable {
    public var role: PanelRole
    /// The reviewer id (must be a reviewer of the panel); for a chair, the chair's name.
    public var reviewer: String
    /// Hours until the code expires (default: the server's, 72).
    public var ttlHours: Double?
    public init(role: PanelRole = .reviewer, reviewer: String, ttlHours: Double? = nil) {
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
    public var role: PanelRole
    public var panel: String
    public var reviewer: String
    public var expiresAt: String
    public init(code: String, role: PanelRole, panel: String, reviewer: String, expiresAt: String) {
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

/// GET /v1/panels/{panel}/snapshot: everything the chair's aggregation reads (PingshenCore's PanelSnapshot).
public struct WirePanelSnapshot: Codable, Sendable, Equatable {
    public var panel: PanelSummary
    public var rubricYaml: String
    public var reviewers: [ReviewerInfo]
    public var applicants: [WireApplicant]
    public var sheets: [SheetRecord]
    public var recusals: [Recusal]
    /// The change cursor this snapshot is consistent with: pull from here to follow it.
    public var cursor: Int64
    public init(panel: PanelSummary, rubricYaml: String, reviewers: [ReviewerInfo], applicants: [WireApplicant],
                sheets: [SheetRecord], recusals: [Recusal], cursor: Int64) {
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

/// GET /v1/panels/{panel}/changes?since=CURSOR&limit=N.
public struct PullResponse: Codable, Sendable, Equatable {
    public var changes: [FeedChange]
    /// Pass as `since` next time. Never decreases; may move past changes the caller may not see.
    public var nextCursor: Int64
    /// True when more changes wait: pull again at once.
    public var hasMore: Bool
    public var panel: PanelSummary
    public init(changes: [FeedChange], nextCursor: Int64, hasMore: Bool, panel: PanelSummary) {
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

extension WirePanelSnapshot {
    /// The snapshot as the core's model: what the aggregation reads and the seal's input digest covers.
    public var model: PanelSnapshot {
        let p = panel
        let info = PanelInfo(id: p.id, rubricId: p.rubricId, title: p.title, round: p.round, variant: p.variant,
                             method: p.method, quorum: p.quorum, view: p.view, sealedAt: p.sealedAt, sealedBy: p.sealedBy)
        var data: [String: ApplicantData] = [:]
        for a in applicants { data[a.id] = ApplicantData(values: a.data, industry: a.industry) }
        return PanelSnapshot(panel: info, reviewers: reviewers,
                             applicants: applicants.map { ApplicantInfo(id: $0.id, name: $0.name, industry: $0.industry) },
                             data: data, sheets: sheets, recusals: recusals)
    }
}

// POST /v1/panels/{panel}/seal takes an optional body: the core's SealDigest (`{"inputs": …, "results": …}`),
// the digests the chair computed from the panel as the server holds it. The server recomputes the inputs digest
// from its own rows, refuses (409) a seal whose inputs differ, and records `inputs:… results:…` as a local seal does.

/// GET /v1/panels/{panel}/verify (chair): the server checks its own copy of a panel.
public struct PanelVerification: Codable, Sendable, Equatable {
    public var panel: String
    /// The server's whole audit chain (every panel's rows are one chain on the server).
    public var audit: AuditVerification
    public var sealed: Bool
    /// What the seal recorded (`inputs:… results:…`), if sealed with digests.
    public var sealDigest: String?
    /// The SHA-256 of the panel's canonical inputs as the server's rows hold them now.
    public var inputsDigest: String

    public init(panel: String, audit: AuditVerification, sealed: Bool, sealDigest: String?, inputsDigest: String) {
        self.panel = panel
        self.audit = audit
        self.sealed = sealed
        self.sealDigest = sealDigest
        self.inputsDigest = inputsDigest
    }

    enum CodingKeys: String, CodingKey {
        case panel
        case audit
        case sealed
        case sealDigest = "seal_digest"
        case inputsDigest = "inputs_digest"
    }
}

/// The protocol's version, sent by GET /v1/health.
public let wireProtocolVersion = 1
