import Foundation

// The expert pool (专家库): the secretariat's list of experts from which panels are drawn (issue 11).
// This file holds the model, the tie rules and the CSV reader; the YAML form is read by PingshenRubricFormat's
// PoolLoader, and both end in `checkPoolRows`, so that the two forms are refused for the same reasons.

/// A declared tie (回避关系) of an expert: an organization or an applicant id, with why.
public struct ExpertTie: Sendable, Equatable, Codable {
    public var target: String
    public var reason: String?
    public init(target: String, reason: String? = nil) {
        self.target = target
        self.reason = reason
    }
}

/// One expert of the pool.
public struct Expert: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// 工作单位.
    public var organization: String
    /// 类别: 技术, 管理, 财务, or a rubric's own kinds.
    public var kind: String
    /// 专业领域.
    public var fields: [String]
    /// 职称.
    public var title: String?
    /// 地区.
    public var region: String?
    /// 可用: false when the expert cannot serve at the time of the draw.
    public var available: Bool
    /// 回避单位: organizations or applicant ids the expert must not review.
    public var ties: [ExpertTie]

    public init(id: String, name: String, organization: String, kind: String, fields: [String] = [], title: String? = nil,
                region: String? = nil, available: Bool = true, ties: [ExpertTie] = []) {
        self.id = id
        self.name = name
        self.organization = organization
        self.kind = kind
        self.fields = fields
        self.title = title
        self.region = region
        self.available = available
        self.ties = ties
    }
}

/// What the tie rules know about an applicant: its organization (its name when none is given), related
/// organizations (parent group, subsidiaries) and its field.
public struct ApplicantProfile: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var organization: String?
    public var related: [String]
    public var field: String?
    public init(id: String, name: String, organization: String? = nil, related: [String] = [], field: String? = nil) {
        self.id = id
        self.name = name
        self.organization = organization
        self.related = related
        self.field = field
    }

    /// The organizations an expert must not belong to or be tied with: its own and the related ones.
    public var organizations: [String] { [organization ?? name] + related }
}

/// Why an expert may not review an applicant, or nil when nothing ties them.
/// Tied: the expert works at the applicant's organization or a related one; or declares a tie naming the
/// applicant's id, its name, its organization or a related organization. Names compare after trimming and
/// folding full-width characters.
public func tieReason(_ e: Expert, _ a: ApplicantProfile) -> String? {
    TieIndex([a]).ties(of: e).first?.reason
}

/// The applicants' tie keys, computed once for checking many experts: each organization key (own, related,
/// name) and each id key maps to the applicants it belongs to, so an expert costs a few lookups.
public struct TieIndex: Sendable {
    let ids: [String]
    let byOrganization: [String: [Int]]
    let byId: [String: [Int]]

    public init(_ applicants: [ApplicantProfile]) {
        ids = applicants.map(\.id)
        var orgs: [String: [Int]] = [:], idKeys: [String: [Int]] = [:]
        for (i, a) in applicants.enumerated() {
            for k in Set(a.organizations.map(poolKey) + [poolKey(a.name)]) { orgs[k, default: []].append(i) }
            idKeys[poolKey(a.id), default: []].append(i)
        }
        byOrganization = orgs
        byId = idKeys
    }

    /// The applicants the expert is tied to, in applicant order, with why (see `tieReason`).
    public func ties(of e: Expert) -> [(applicant: String, reason: String)] {
        var reasons: [Int: String] = [:]
        for i in byOrganization[poolKey(e.organization)] ?? [] { reasons[i] = "工作单位 \(e.organization)" }
        for t in e.ties {
            let k = poolKey(t.target)
            let why = t.reason.map { "\(t.target)：\($0)" } ?? t.target
            for i in (byId[k] ?? []) + (byOrganization[k] ?? []) where reasons[i] == nil { reasons[i] = why }
        }
        return reasons.keys.sorted().compactMap { i in reasons[i].map { (ids[i], $0) } }
    }
}

/// The key names are compared by: trimmed, full-width folded.
public func poolKey(_ s: String) -> String {
    foldFullWidth(s).trimmingCharacters(in: .whitespaces)
}

// MARK: - Rows as read from a file, and their checks

/// One expert as read from a file, with where it was and where each field was (for messages).
public struct PoolRow: Sendable {
    public var line: Int
    public var id: String?
    public var name: String?
    public var organization: String?
    public var kind: String?
    public var fields: [String]
    public var title: String?
    public var region: String?
    /// The availability text as written (nil: not given, available).
    public var available: String?
    public var ties: [String]
    /// Line of each field, when it differs from `line` (YAML).
    public var fieldLines: [String: Int]

    public init(line: Int, id: String? = nil, name: String? = nil, organization: String? = nil, kind: String? = nil,
                fields: [String] = [], title: String? = nil, region: String? = nil, available: String? = nil,
                ties: [String] = [], fieldLines: [String: Int] = [:]) {
        self.line = line
        self.id = id
        self.name = name
        self.organization = organization
        self.kind = kind
        self.fields = fields
        self.title = title
        self.region = region
        self.available = available
        self.ties = ties
        self.fieldLines = fieldLines
    }
}

/// Checks rows and turns them into experts, or returns every problem (FILE:LINE with the field).
/// Ids: ASCII letters, digits, `-`, `_`, `.` (they become reviewer ids); name, organization and kind are
/// required; availability is 是/否, yes/no, 1/0, true/false; ids are unique.
public func checkPoolRows(_ rows: [PoolRow], file: String, kinds: [String]? = nil) -> Result<[Expert], PingshenErrors> {
    var problems: [PingshenError] = []
    var experts: [Expert] = []
    var seen: [String: Int] = [:]
    for r in rows {
        func fail(_ field: String, _ key: String, _ args: [String]) {
            problems.append(PingshenError(key, args, at: SourceLocation(file: file, line: r.fieldLines[field] ?? r.line, field: field)))
        }
        func text(_ v: String?, _ field: String, max: Int = 200) -> String? {
            let t = v.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if t.isEmpty {
                fail(field, "pool.missing", [field])
                return nil
            }
            if t.count > max || t.contains(where: { $0.isNewline }) || t.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                fail(field, "pool.bad_text", [field, String(max)])
                return nil
            }
            return t
        }
        var ok = true
        let id = text(r.id, "id", max: 64)
        if let id, !isPoolId(id) {
            fail("id", "pool.bad_id", [id])
            ok = false
        }
        if let id, let first = seen[id] {
            fail("id", "pool.duplicate", [id, String(first)])
            ok = false
        }
        if let id { seen[id] = seen[id] ?? r.line }
        let name = text(r.name, "name")
        let org = text(r.organization, "organization")
        let kind = text(r.kind, "kind", max: 40)
        if let kind, let kinds, !kinds.contains(kind) {
            fail("kind", "pool.bad_kind", [kind, kinds.joined(separator: "、")])
            ok = false
        }
        var available = true
        if let a = r.available?.trimmingCharacters(in: .whitespaces), !a.isEmpty {
            if let b = parsePoolBool(a) { available = b } else {
                fail("available", "pool.bad_bool", [a])
                ok = false
            }
        }
        var fields: [String] = []
        for f in r.fields {
            let t = f.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            if t.count > 40 { fail("fields", "pool.bad_text", ["fields", "40"]); ok = false }
            if !fields.contains(t) { fields.append(t) }
        }
        var ties: [ExpertTie] = []
        for raw in r.ties {
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            if t.count > 200 { fail("ties", "pool.bad_text", ["ties", "200"]); ok = false; continue }
            // "ORG:reason" or "ORG：reason" (the reason is optional).
            if let i = t.firstIndex(where: { $0 == ":" || $0 == "：" }) {
                let target = t[..<i].trimmingCharacters(in: .whitespaces)
                let reason = t[t.index(after: i)...].trimmingCharacters(in: .whitespaces)
                if target.isEmpty { fail("ties", "pool.missing", ["ties"]); ok = false; continue }
                ties.append(ExpertTie(target: target, reason: reason.isEmpty ? nil : reason))
            } else {
                ties.append(ExpertTie(target: t))
            }
        }
        let title = r.title.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        let region = r.region.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        guard ok, let id, let name, let org, let kind else { continue }
        experts.append(Expert(id: id, name: name, organization: org, kind: kind, fields: fields, title: title,
                              region: region, available: available, ties: ties))
    }
    if rows.isEmpty { problems.append(PingshenError("pool.empty", [], at: SourceLocation(file: file, line: 1))) }
    return problems.isEmpty ? .success(experts) : .failure(PingshenErrors(problems))
}

/// Pool ids become reviewer ids: ASCII letters, digits, `-`, `_`, `.`.
public func isPoolId(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.count <= 64 && s.unicodeScalars.allSatisfy {
        switch $0.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x5F, 0x2E: return true
        default: return false
        }
    }
}

/// 是/否, yes/no, 1/0, true/false, Y/N.
public func parsePoolBool(_ s: String) -> Bool? {
    switch foldFullWidth(s).trimmingCharacters(in: .whitespaces).lowercased() {
    case "是", "yes", "y", "1", "true", "可用": return true
    case "否", "no", "n", "0", "false", "不可用": return false
    default: return nil
    }
}

/// Splits a list cell: `;` or `；` (also `、`).
public func splitPoolList(_ s: String) -> [String] {
    s.split(whereSeparator: { $0 == ";" || $0 == "；" || $0 == "、" }).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
}

// MARK: - CSV

/// Reads a pool kept as CSV (UTF-8, with or without BOM; RFC 4180 quoting; CRLF or LF). The first record
/// is the header; headers are English or Chinese (`id/编号, name/姓名, organization/工作单位, kind/类别,
/// fields/专业领域, title/职称, region/地区, available/可用, ties/回避单位`), in any order; an unknown or
/// repeated header is refused. Every problem is reported with its line.
public enum PoolCSV {
    public static let headers: [String: String] = [
        "id": "id", "编号": "id", "name": "name", "姓名": "name", "organization": "organization", "工作单位": "organization",
        "kind": "kind", "类别": "kind", "fields": "fields", "专业领域": "fields", "title": "title", "职称": "title",
        "region": "region", "地区": "region", "available": "available", "可用": "available", "ties": "ties",
        "回避单位": "ties",
    ]
    static let required = ["id", "name", "organization", "kind"]

    public static func parse(_ bytes: [UInt8], file: String, kinds: [String]? = nil) -> Result<[Expert], PingshenErrors> {
        var b = bytes[...]
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { b = b.dropFirst(3) }
        guard let text = String(validating: Array(b), as: UTF8.self) else {
            return .failure(PingshenErrors([PingshenError("line.invalid_utf8", [], at: SourceLocation(file: file, line: firstBadLine(Array(b))))]))
        }
        if text.unicodeScalars.contains(where: { $0.value == 0 }) {
            return .failure(PingshenErrors([PingshenError("pool.nul", [], at: SourceLocation(file: file))]))
        }
        let records: [(line: Int, cells: [String])]
        switch Self.records(text, file: file) {
        case .success(let r): records = r
        case .failure(let e): return .failure(PingshenErrors([e]))
        }
        guard let header = records.first else {
            return .failure(PingshenErrors([PingshenError("pool.empty", [], at: SourceLocation(file: file, line: 1))]))
        }
        var problems: [PingshenError] = []
        var columns: [String?] = []
        var seen = Set<String>()
        for h in header.cells {
            let name = h.trimmingCharacters(in: .whitespaces)
            guard let key = headers[name] ?? headers[name.lowercased()] else {
                problems.append(PingshenError("pool.unknown_header", [name, "id/编号, name/姓名, organization/工作单位, kind/类别, fields/专业领域, title/职称, region/地区, available/可用, ties/回避单位"],
                                              at: SourceLocation(file: file, line: header.line, field: name)))
                columns.append(nil)
                continue
            }
            if !seen.insert(key).inserted {
                problems.append(PingshenError("pool.repeated_header", [name], at: SourceLocation(file: file, line: header.line, field: key)))
            }
            columns.append(key)
        }
        for k in required where !seen.contains(k) {
            problems.append(PingshenError("pool.missing_header", [k], at: SourceLocation(file: file, line: header.line, field: k)))
        }
        if !problems.isEmpty { return .failure(PingshenErrors(problems)) }
        var rows: [PoolRow] = []
        for rec in records.dropFirst() {
            if rec.cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            if rec.cells.count > columns.count {
                problems.append(PingshenError("pool.extra_cells", [String(rec.cells.count), String(columns.count)],
                                              at: SourceLocation(file: file, line: rec.line)))
                continue
            }
            var row = PoolRow(line: rec.line)
            for (i, key) in columns.enumerated() {
                guard let key, i < rec.cells.count else { continue }
                let v = rec.cells[i]
                switch key {
                case "id": row.id = v
                case "name": row.name = v
                case "organization": row.organization = v
                case "kind": row.kind = v
                case "fields": row.fields = splitPoolList(v)
                case "title": row.title = v
                case "region": row.region = v
                case "available": row.available = v
                case "ties": row.ties = splitPoolList(v)
                default: break
                }
            }
            rows.append(row)
        }
        if rows.isEmpty && problems.isEmpty {
            problems.append(PingshenError("pool.empty", [], at: SourceLocation(file: file, line: header.line)))
        }
        switch checkPoolRows(rows, file: file, kinds: kinds) {
        case .success(let experts):
            return problems.isEmpty ? .success(experts) : .failure(PingshenErrors(problems))
        case .failure(let e):
            return .failure(PingshenErrors(problems + e.errors))
        }
    }

    /// Records with the line each starts on. A quoted cell may span lines; a quote left open is refused.
    static func records(_ text: String, file: String) -> Result<[(line: Int, cells: [String])], PingshenError> {
        var out: [(line: Int, cells: [String])] = []
        var cells: [String] = []
        var cell = ""
        var inQuotes = false
        var line = 1
        var start = 1
        var quoteLine = 1
        var chars = Array(text.unicodeScalars)[...]
        var any = false
        while let c = chars.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if chars.first == "\"" {
                        chars = chars.dropFirst()
                        cell.unicodeScalars.append("\"")
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    cell.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                inQuotes = true
                quoteLine = line
                any = true
            case ",":
                cells.append(cell)
                cell = ""
                any = true
            case "\r":
                continue
            case "\n":
                cells.append(cell)
                out.append((start, cells))
                cells = []
                cell = ""
                any = false
                line += 1
                start = line
            default:
                cell.unicodeScalars.append(c)
                any = true
            }
        }
        if inQuotes { return .failure(PingshenError("pool.open_quote", [], at: SourceLocation(file: file, line: quoteLine))) }
        if any || !cell.isEmpty || !cells.isEmpty {
            cells.append(cell)
            out.append((start, cells))
        }
        return .success(out)
    }

    static func firstBadLine(_ bytes: [UInt8]) -> Int {
        var line = 1
        var lineStart = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if String(validating: bytes[lineStart..<i], as: UTF8.self) == nil { return line }
            line += 1
            lineStart = i + 1
        }
        return line
    }

    /// Writes experts as CSV with English headers (what `pool list --csv` and the sample use).
    public static func write(_ experts: [Expert], chineseHeaders: Bool = false) -> String {
        let h = chineseHeaders ? ["编号", "姓名", "工作单位", "类别", "专业领域", "职称", "地区", "可用", "回避单位"]
            : ["id", "name", "organization", "kind", "fields", "title", "region", "available", "ties"]
        var lines = [h.joined(separator: ",")]
        for e in experts {
            let ties = e.ties.map { t in t.reason.map { "\(t.target)：\($0)" } ?? t.target }.joined(separator: "；")
            let cells = [e.id, e.name, e.organization, e.kind, e.fields.joined(separator: "；"), e.title ?? "", e.region ?? "",
                         e.available ? "是" : "否", ties]
            lines.append(cells.map(quote).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quote(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
