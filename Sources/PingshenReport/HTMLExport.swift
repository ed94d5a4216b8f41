import Foundation
import PingshenCore

/// Escapes text for HTML element content and attribute values.
func htmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            if ch.value < 0x20 && ch != "\n" && ch != "\t" { continue }
            out.unicodeScalars.append(ch)
        }
    }
    return out
}

/// A number for SVG coordinates (fixed, short, locale-independent).
private func sv(_ v: Double) -> String { String(format: "%.1f", v.isFinite ? v : 0) }

extension ReportExporter {
    /// A self-contained printable HTML report: no script, no network, inline CSS and SVG.
    public static func html(_ results: PanelResults, rubric: Rubric, lang: Lang, date: String,
                            opinions: [PanelOpinion] = []) -> String {
        HTMLReport(w: Words(lang: lang, results: results, rubric: rubric), date: date, opinions: opinions).render()
    }
}

struct HTMLReport {
    let w: Words
    let date: String
    var opinions: [PanelOpinion] = []
    var results: PanelResults { w.results }
    var lang: Lang { w.lang }

    func e(_ s: String) -> String { htmlEscape(s) }
    func n(_ v: Double?) -> String { v.map { fixedNumber($0, decimals: results.settings.decimals) } ?? "—" }
    var provMark: String { "<span class=\"prov\" title=\"\(e(w.t("provisional.tag")))\">※</span>" }

    func render() -> String {
        let p = results.panel
        var h = "<!DOCTYPE html>\n<html lang=\"\(lang == .en ? "en" : "zh-CN")\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>\(e(w.t("report.html.title", p.title)))</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n"
        h += "<header>\n<h1>\(e(w.t("report.html.title", p.title)))</h1>\n<p class=\"meta\">"
        h += [
            "\(e(w.t("report.html.panel")))\(w.colon)\(e(p.title))\(e(w.paren(p.id)))",
            "\(e(w.t("report.html.rubric")))\(w.colon)\(e(w.rubric.displayName(lang)))",
            "\(e(w.t("report.html.round")))\(w.colon)<strong>\(e(results.round))</strong>",
            "\(e(w.t("report.html.date")))\(w.colon)\(e(date))",
        ].joined(separator: " · ")
        h += "</p>\n<p class=\"meta\">"
        h += [
            "\(e(w.t("report.html.method")))\(w.colon)\(e(w.methodLong(results.settings.method)))",
            "\(e(w.t("report.html.view")))\(w.colon)\(e(w.view(results.settings.view)))",
            "\(e(w.t("report.html.quorum")))\(w.colon)\(results.settings.quorum)",
        ].joined(separator: " · ")
        h += "</p>\n"
        if let at = p.sealedAt {
            h += "<p class=\"meta\">\(e(w.t("report.html.sealed", UTCTime.display(at), p.sealedBy ?? "")))</p>\n"
        }
        h += "</header>\n"
        h += noticeBox()
        h += resultsSection()
        h += agreementSection()
        h += flagsSection()
        h += reviewersSection()
        h += applicantsSection()
        h += opinionsSection()
        h += "<p class=\"sign\">\(e(w.t("report.html.sign")))</p>\n"
        h += "<footer>\(e(w.t("report.html.footer")))</footer>\n</body>\n</html>\n"
        return h
    }

    static let css = """
    :root { --ink: #1a1a1a; --muted: #5b5b5b; --line: #c8c8c8; --warn: #9a4a00; --flag: #b42318; --accent: #1d4ed8; }
    body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
           color: var(--ink); margin: 24px auto; max-width: 1120px; padding: 0 16px; font-size: 14px; line-height: 1.5; }
    h1 { font-size: 22px; margin: 0 0 4px; }
    h2 { font-size: 18px; margin: 24px 0 8px; border-bottom: 2px solid var(--ink); padding-bottom: 2px; }
    h3 { font-size: 15px; margin: 8px 0 4px; }
    .meta { color: var(--muted); margin: 2px 0; }
    table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; }
    th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
    th { background: #f2f2f2; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    tr.lvl2 td:first-child { padding-left: 22px; }
    tr.lvl1 td { font-weight: bold; }
    .notice { border: 2px solid var(--warn); background: #fff7ed; padding: 8px 12px; margin: 12px 0; }
    .notice p { margin: 2px 0; }
    .prov { color: var(--warn); font-weight: bold; }
    .flagged, .flag-kind { color: var(--flag); }
    .flag-kind { font-weight: bold; }
    .muted, tr.status-incomplete td, tr.status-ineligible td { color: var(--muted); }
    ul.flags li { margin: 3px 0; }
    section.applicant { border-top: 1px solid var(--line); margin-top: 14px; padding-top: 6px; break-inside: avoid; page-break-inside: avoid; }
    .cols { display: flex; gap: 16px; flex-wrap: wrap; }
    .cols > div { flex: 1 1 420px; }
    svg { max-width: 100%; height: auto; }
    svg text { font-size: 11px; font-family: inherit; fill: var(--ink); }
    .sign { margin-top: 32px; }
    footer { color: var(--muted); font-size: 12px; margin-top: 16px; }
    @page { size: A4; margin: 14mm; }
    @media print {
      body { margin: 0; max-width: none; font-size: 11px; }
      h2 { break-after: avoid; page-break-after: avoid; }
      .notice { background: none; }
      th { background: none; }
      svg { break-inside: avoid; page-break-inside: avoid; }
      thead { display: table-header-group; }
      tr { break-inside: avoid; page-break-inside: avoid; }
    }

    """

    func noticeBox() -> String {
        let lines = w.noticeLines()
        guard !lines.isEmpty else { return "" }
        var h = "<div class=\"notice\" id=\"provisional-notice\" role=\"note\">\n"
        for (i, l) in lines.enumerated() {
            h += i == 0 ? "<p><strong>\(provMark) \(e(l))</strong></p>\n" : "<p>\(e(l))</p>\n"
        }
        return h + "</div>\n"
    }

    func resultsSection() -> String {
        var h = "<section id=\"results\">\n<h2>\(e(w.t("report.html.results")))</h2>\n"
        h += "<p>\(e(w.t("report.html.counts", String(results.counts.graded), String(results.counts.incomplete), String(results.counts.ineligible))))</p>\n"
        guard !results.applicants.isEmpty else {
            return h + "<p>\(e(w.t("report.html.no_applicants")))</p>\n</section>\n"
        }
        h += "<table class=\"results\">\n<thead><tr>"
        // Under the calibrated method the official total is the adjusted score and the views are raw: side by side.
        let calibrated = results.settings.method == .calibrated
        let heads: [(String, Bool)] = [("report.h.rank", true), ("report.h.applicant_id", false), ("report.h.applicant", false),
                                       (calibrated ? "report.h.total_adjusted" : "report.h.total", true), ("report.h.grade", false),
                                       ("report.h.status", false), ("report.h.counted", true), ("report.h.method", false),
                                       (calibrated ? "report.h.totals_view_raw" : "report.h.totals_view", true),
                                       ("report.h.indicators_view", true), ("report.h.flags", false)]
        for (k, num) in heads { h += "<th\(num ? " class=\"num\"" : "")>\(e(w.t(k)))</th>" }
        h += "</tr></thead>\n<tbody>\n"
        for a in results.ranked {
            let mark = a.provisional ? provMark : ""
            h += "<tr class=\"status-\(a.status.rawValue)\">"
            h += "<td class=\"num\">\(e(w.rank(a)))</td>"
            h += "<td>\(e(a.id))</td><td><a href=\"#a-\(anchor(a.id))\">\(e(a.name))</a></td>"
            h += "<td class=\"num\">\(a.total.map { n($0) + mark } ?? "—")</td>"
            h += "<td>\(a.status == .graded ? e(w.grade(a)) + (a.gradeProvisional ? provMark : "") : "—")</td>"
            h += "<td>\(e(w.status(a)))</td>"
            h += "<td class=\"num\">\(a.counted.count)</td><td>\(e(w.methodShort(a.method)))</td>"
            h += "<td class=\"num\">\(n(a.totalsView))</td><td class=\"num\">\(n(a.indicatorsView))</td>"
            h += "<td class=\"flagged\">\(e(w.flagSummary(a)))</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n</section>\n"
    }

    /// The panel's opinions and the reservations (only when some were recorded).
    func opinionsSection() -> String {
        guard !opinions.isEmpty else { return "" }
        var h = "<section id=\"opinions\">\n<h2>\(e(w.t("doc.opinions.title")))</h2>\n<table class=\"opinions\">\n<thead><tr>"
        h += "<th>\(e(w.t("report.h.applicant")))</th><th>\(e(w.t("doc.reviewer")))</th><th>\(e(w.t("doc.opinions.title")))</th><th>\(e(w.t("doc.date")))</th></tr></thead>\n<tbody>\n"
        for o in opinions {
            let who = o.reviewer.map { w.t("doc.opinions.reservations") + w.colon + w.reviewerName($0) } ?? w.t("doc.opinions.panel")
            h += "<tr><td>\(e(w.applicantName(o.applicant)))</td><td>\(e(who))</td><td>\(e(o.text))</td><td>\(e(UTCTime.display(o.at)))</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n</section>\n"
    }

    func agreementSection() -> String {
        var h = "<section id=\"agreement\">\n<h2>\(e(w.t("report.html.agreement")))</h2>\n"
        for l in w.agreementLines() { h += "<p>\(e(l))</p>\n" }
        return h + "<p class=\"muted\">\(e(w.t("report.agreement.explain")))</p>\n</section>\n"
    }

    func flagsSection() -> String {
        var h = "<section id=\"flags\">\n<h2>\(e(w.t("report.html.flags")))</h2>\n"
        guard !results.flags.isEmpty else { return h + "<p>\(e(w.t("report.html.no_flags")))</p>\n</section>\n" }
        h += "<ul class=\"flags\">\n"
        for f in results.flags {
            h += "<li><span class=\"flag-kind\">\(e(w.kind(f.kind)))</span>\(w.colon)\(e(f.explanation(lang)))</li>\n"
        }
        return h + "</ul>\n</section>\n"
    }

    func reviewersSection() -> String {
        var h = "<section id=\"reviewers\">\n<h2>\(e(w.t("report.html.reviewers")))</h2>\n"
        h += reviewerChart()
        h += "<p class=\"muted\">\(e(w.t("report.html.reviewer_chart", formatNumber(results.settings.outliers.biasPoints))))</p>\n"
        h += "<table class=\"reviewers\">\n<thead><tr>"
        let heads: [(String, Bool)] = [("report.h.reviewer_id", false), ("report.h.reviewer", false), ("report.h.sheets", true),
                                       ("report.h.recused", true), ("report.h.compared", true), ("report.h.mean_dev", true),
                                       ("report.h.se", true), ("report.h.t", true), ("report.h.rho", true), ("report.h.flags", false)]
        for (k, num) in heads { h += "<th\(num ? " class=\"num\"" : "")>\(e(w.t(k)))</th>" }
        h += "</tr></thead>\n<tbody>\n"
        for r in results.reviewers {
            h += "<tr><td>\(e(r.id))</td><td>\(e(r.name))</td><td class=\"num\">\(r.sheetsCounted)</td>"
            h += "<td class=\"num\">\(r.recusedFrom.count)</td><td class=\"num\">\(r.compared)</td>"
            h += "<td class=\"num\">\(n(r.meanDeviation))</td><td class=\"num\">\(n(r.standardError))</td>"
            h += "<td class=\"num\">\(n(r.t))</td><td class=\"num\">\(n(r.rankCorrelation))</td>"
            h += "<td class=\"flagged\">\(e(r.flags.map(w.kind).joined(separator: w.listSep)))</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n</section>\n"
    }

    /// Each reviewer's mean deviation from the panel with ±2 SE bars, zero line and the flag thresholds.
    func reviewerChart() -> String {
        let reviewers = results.reviewers
        let bias = results.settings.outliers.biasPoints
        var extent = max(bias * 1.5, 1)
        for r in reviewers {
            if let m = r.meanDeviation { extent = max(extent, abs(m) + 2 * (r.standardError ?? 0)) }
        }
        extent = niceCeil(extent)
        let left = 180.0, right = 70.0, top = 26.0, rowH = 24.0, width = 760.0
        let plotW = width - left - right
        let height = top + rowH * Double(max(reviewers.count, 1)) + 10
        func x(_ v: Double) -> Double { left + (max(-extent, min(extent, v)) + extent) / (2 * extent) * plotW }
        var s = "<svg class=\"reviewer-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(sv(width))\" height=\"\(sv(height))\" viewBox=\"0 0 \(sv(width)) \(sv(height))\" role=\"img\" aria-label=\"\(e(w.t("report.html.reviewers")))\">\n"
        for k in -2...2 {
            let v = extent * Double(k) / 2
            s += "<line x1=\"\(sv(x(v)))\" y1=\"\(sv(top - 4))\" x2=\"\(sv(x(v)))\" y2=\"\(sv(height - 8))\" stroke=\"#e2e2e2\"/>"
            s += "<text x=\"\(sv(x(v)))\" y=\"\(sv(top - 10))\" text-anchor=\"middle\">\(e(formatNumber(v, decimals: 1)))</text>\n"
        }
        s += "<line x1=\"\(sv(x(0)))\" y1=\"\(sv(top - 4))\" x2=\"\(sv(x(0)))\" y2=\"\(sv(height - 8))\" stroke=\"#1a1a1a\"/>\n"
        for v in [-bias, bias] {
            s += "<line x1=\"\(sv(x(v)))\" y1=\"\(sv(top - 4))\" x2=\"\(sv(x(v)))\" y2=\"\(sv(height - 8))\" stroke=\"#9a4a00\" stroke-dasharray=\"4 3\"/>\n"
        }
        for (i, r) in reviewers.enumerated() {
            let y = top + rowH * Double(i) + rowH / 2
            let flagged = r.flags.contains(.severe) || r.flags.contains(.lenient)
            let color = flagged ? "#b42318" : "#1d4ed8"
            s += "<text x=\"\(sv(left - 8))\" y=\"\(sv(y + 4))\" text-anchor=\"end\">\(e(truncate(r.name, 14)))</text>"
            guard let m = r.meanDeviation else {
                s += "<text x=\"\(sv(x(0) + 6))\" y=\"\(sv(y + 4))\">—</text>\n"
                continue
            }
            if let se = r.standardError {
                s += "<line x1=\"\(sv(x(m - 2 * se)))\" y1=\"\(sv(y))\" x2=\"\(sv(x(m + 2 * se)))\" y2=\"\(sv(y))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
                for end in [m - 2 * se, m + 2 * se] {
                    s += "<line x1=\"\(sv(x(end)))\" y1=\"\(sv(y - 5))\" x2=\"\(sv(x(end)))\" y2=\"\(sv(y + 5))\" stroke=\"\(color)\" stroke-width=\"1.5\"/>"
                }
            }
            s += "<circle cx=\"\(sv(x(m)))\" cy=\"\(sv(y))\" r=\"4.5\" fill=\"\(color)\"><title>\(e(r.name)): \(e(n(m))) ± \(e(n((r.standardError ?? 0) * 2)))</title></circle>"
            s += "<text x=\"\(sv(width - right + 8))\" y=\"\(sv(y + 4))\">\(e((m > 0 ? "+" : "") + n(m)))</text>\n"
        }
        return s + "</svg>\n"
    }

    func applicantsSection() -> String {
        var h = "<section id=\"applicants\">\n<h2>\(e(w.t("report.html.applicants")))</h2>\n"
        let top = results.indicators.filter { $0.level <= 2 }
        for a in results.ranked {
            h += "<section class=\"applicant\" id=\"a-\(anchor(a.id))\">\n"
            h += "<h3>\(e(a.name))\(e(w.paren(a.id)))</h3>\n<p>"
            var facts = ["\(e(w.t("report.h.status")))\(w.colon)\(e(w.status(a)))"]
            if a.status == .graded {
                facts.append("\(e(w.t("report.h.total")))\(w.colon)<strong>\(n(a.total))</strong>\(a.provisional ? provMark : "")")
                facts.append("\(e(w.t("report.h.grade")))\(w.colon)<strong>\(e(w.grade(a)))</strong>\(a.gradeProvisional ? provMark : "")")
                facts.append("\(e(w.t("report.h.rank")))\(w.colon)\(e(w.rank(a)))")
            }
            facts.append("\(e(w.t("report.h.counted")))\(w.colon)\(a.counted.count)")
            facts.append("\(e(w.t("report.h.method")))\(w.colon)\(e(w.methodShort(a.method)))")
            h += facts.joined(separator: " · ") + "</p>\n"
            h += "<p class=\"muted\">\(e(w.t("report.html.views", n(a.totalsView), n(a.indicatorsView))))</p>\n"
            if a.provisional { h += "<p class=\"prov\">\(e(w.provisionalNote(a, brief: true)))</p>\n" }
            let remarks = w.remarks(a)
            if !a.failedGates.isEmpty {
                h += "<p><strong>\(e(w.t("report.html.failed_gates")))</strong></p>\n"
            }
            if !remarks.isEmpty {
                h += "<ul>" + remarks.map { "<li>\(e($0))</li>" }.joined() + "</ul>\n"
            }
            if !a.recused.isEmpty {
                h += "<p class=\"muted\">\(e(w.t("report.html.recused", a.recused.map(w.reviewerName).joined(separator: w.listSep))))</p>\n"
            }
            if !a.unsubmitted.isEmpty {
                h += "<p class=\"muted\">\(e(w.t("report.html.unsubmitted", a.unsubmitted.map(w.reviewerName).joined(separator: w.listSep))))</p>\n"
            }
            h += "<div class=\"cols\"><div>\n"
            h += "<table class=\"breakdown\"><caption class=\"muted\">\(e(w.t("report.html.breakdown")))</caption>\n<thead><tr>"
            h += "<th>\(e(w.t("report.h.indicator")))</th><th class=\"num\">\(e(w.t("report.h.weight")))</th><th class=\"num\">\(e(w.t("report.h.points")))</th></tr></thead>\n<tbody>\n"
            for ind in top {
                let pts = a.node(ind.id)?.points
                h += "<tr class=\"lvl\(ind.level)\"><td>\(e(ind.displayName(lang)))\(ind.provisional ? " " + provMark : "")</td>"
                h += "<td class=\"num\">\(e(formatNumber(ind.weight)))</td><td class=\"num\">\(n(pts))</td></tr>\n"
            }
            h += "<tr class=\"lvl1\"><td>\(e(w.t("report.h.indicators_view")))</td><td class=\"num\">\(e(formatNumber(results.rubric.total)))</td><td class=\"num\">\(n(a.indicatorsView))</td></tr>\n"
            h += "</tbody></table>\n</div><div>\n"
            h += distributionChart(a)
            h += "<p class=\"muted\">\(e(w.t("report.html.distribution")))</p>\n"
            let flags = results.flags(for: a.id)
            if !flags.isEmpty {
                h += "<ul class=\"flags\">" + flags.map {
                    "<li><span class=\"flag-kind\">\(e(w.kind($0.kind)))</span>\(w.colon)\(e($0.explanation(lang)))</li>"
                }.joined(separator: "\n") + "</ul>\n"
            }
            h += "</div></div>\n</section>\n"
        }
        return h + "</section>\n"
    }

    /// Each reviewer's total as a dot (hollow when the trimmed mean dropped it) and the combined score as
    /// a bar, on an axis around the scores.
    func distributionChart(_ a: ApplicantResult) -> String {
        let width = 480.0, height = 74.0, left = 16.0, right = 16.0, baseY = 40.0
        let plotW = width - left - right
        var s = "<svg class=\"distribution\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(sv(width))\" height=\"\(sv(height))\" viewBox=\"0 0 \(sv(width)) \(sv(height))\" role=\"img\" aria-label=\"\(e(a.name))\">\n"
        let combined = a.total ?? a.totalsView
        let values = a.reviewerTotals.map(\.total) + (combined.map { [$0] } ?? [])
        guard let lo0 = values.min(), let hi0 = values.max() else {
            return s + "<text x=\"\(sv(left))\" y=\"\(sv(baseY))\">—</text>\n</svg>\n"
        }
        let total = results.rubric.total
        var lo = max(0, ((lo0 - 5) / 5).rounded(.down) * 5)
        var hi = min(total, ((hi0 + 5) / 5).rounded(.up) * 5)
        if hi - lo < 10 {
            lo = max(0, (hi + lo) / 2 - 5)
            hi = lo + 10
            if hi > total {
                hi = total
                lo = max(0, total - 10)
            }
        }
        if hi <= lo { hi = lo + 1 }
        func x(_ v: Double) -> Double { left + (v - lo) / (hi - lo) * plotW }
        s += "<line x1=\"\(sv(left))\" y1=\"\(sv(baseY))\" x2=\"\(sv(width - right))\" y2=\"\(sv(baseY))\" stroke=\"#8a8a8a\"/>\n"
        let step = niceStep((hi - lo) / 4)
        var v = (lo / step).rounded(.up) * step
        while v <= hi + 1e-9 {
            defer { v += step }
            s += "<line x1=\"\(sv(x(v)))\" y1=\"\(sv(baseY))\" x2=\"\(sv(x(v)))\" y2=\"\(sv(baseY + 4))\" stroke=\"#8a8a8a\"/>"
            s += "<text x=\"\(sv(x(v)))\" y=\"\(sv(baseY + 16))\" text-anchor=\"middle\">\(e(formatNumber(v, decimals: 1)))</text>\n"
        }
        // Dots at (nearly) the same place stack upwards.
        var stack: [Int: Int] = [:]
        for r in a.reviewerTotals {
            let cx = x(r.total)
            let key = Int((cx / 6).rounded())
            let level = stack[key, default: 0]
            stack[key] = level + 1
            let cy = baseY - 7 - Double(level) * 8
            let fill = r.trimmed ? "#ffffff" : "#1d4ed8"
            s += "<circle cx=\"\(sv(cx))\" cy=\"\(sv(cy))\" r=\"3.8\" fill=\"\(fill)\" stroke=\"#1d4ed8\" stroke-width=\"1.5\"><title>\(e(w.reviewerName(r.reviewer))): \(e(n(r.total)))</title></circle>\n"
        }
        if let c = combined {
            s += "<rect x=\"\(sv(x(c) - 1.5))\" y=\"\(sv(4))\" width=\"3\" height=\"\(sv(baseY - 4))\" fill=\"#b42318\"><title>\(e(w.t("report.html.aggregate"))): \(e(n(c)))</title></rect>"
            let anchorSide = x(c) > width / 2 ? "end" : "start"
            let dx = anchorSide == "end" ? -5.0 : 5.0
            s += "<text x=\"\(sv(x(c) + dx))\" y=\"\(sv(12))\" text-anchor=\"\(anchorSide)\" fill=\"#b42318\">\(e(w.t("report.html.aggregate"))) \(e(n(c)))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// An id safe in an HTML id/href (hex of the UTF-8 bytes for anything outside [A-Za-z0-9_-]).
    func anchor(_ id: String) -> String {
        var out = ""
        for b in id.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                out.unicodeScalars.append(UnicodeScalar(b))
            default:
                out += String(format: ".%02X", b)
            }
        }
        return out
    }

    func truncate(_ s: String, _ n: Int) -> String { s.count > n ? String(s.prefix(n - 1)) + "…" : s }

    /// A tick step of 1, 2, 2.5 or 5 × 10^k near `v`.
    func niceStep(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        let p = pow(10, (log10(v)).rounded(.down))
        for m in [1.0, 2.0, 2.5, 5.0, 10.0] where m * p >= v * 0.75 { return m * p }
        return 10 * p
    }

    /// 1, 2, 5 × 10^k at or above v.
    func niceCeil(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        let p = pow(10, (log10(v)).rounded(.down))
        for m in [1.0, 2.0, 5.0, 10.0] where m * p >= v { return m * p }
        return 10 * p
    }
}
