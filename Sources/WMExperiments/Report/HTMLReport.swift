import Foundation
import WMCore

/// One self-contained HTML page: styles inline, figures embedded as data URIs, no scripts and
/// no network access, so it opens anywhere and can be mailed or archived as one file.
///
/// Every number copied from a results file is wrapped in
/// `<span class="num" data-src="FILE" data-line="L" data-ptr="/json/pointer">`, the address of
/// the value it shows (`data-line`: the 0-based line of a JSON Lines file). Numbers the report
/// derives (means over rows, chance levels) carry no address and say how they were derived.
public struct HTMLReport: Sendable {
    /// One part of the page: a heading, an anchor and its HTML.
    public struct Section: Sendable {
        public var title: String
        public var anchor: String
        public var html: String
        public init(title: String, anchor: String, html: String) {
            self.title = title
            self.anchor = anchor
            self.html = html
        }
    }

    public var title: String
    public var sections: [Section] = []
    /// Lines under the title (inputs, generation time).
    public var preamble: [String] = []

    public init(title: String) { self.title = title }

    /// Figures and attachments larger than this are linked by name instead of embedded.
    public static let embedLimit = 8 << 20

    public static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// `digits` significant digits (4 in tables; 17, the shortest exact form, for settings);
    /// integers in full; "—" for NaN.
    public static func format(_ v: Double, digits: Int = 4) -> String {
        if v.isNaN { return "—" }
        if v.isInfinite { return v > 0 ? "∞" : "−∞" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        if digits >= 17 { return "\(v)" }
        return String(format: "%.\(digits)g", v)
    }

    /// A number from a file, with its address (4 significant digits; `full`: exact). A value
    /// that is missing (a failed network's null) is shown as "—" without an address.
    public static func num(_ node: JSONNode, full: Bool = false) -> String {
        guard node.exists else { return "—" }
        switch node.value {
        case .array?, .object?: return esc(node.text)
        default: break
        }
        let line = node.line.map { " data-line=\"\($0)\"" } ?? ""
        var shown = esc(node.text)
        if case .number(let d)? = node.value { shown = format(d, digits: full ? 17 : 4) }
        if case .string(let s)? = node.value, let d = node.double, ["NaN", "Infinity", "-Infinity"].contains(s) { shown = format(d) }
        return "<span class=\"num\" data-src=\"\(esc(node.source))\"\(line) data-ptr=\"\(esc(node.pointer))\">\(shown)</span>"
    }

    /// "mean [lo, hi]" from a value and a two-element CI, both with addresses. `clipAtZero`:
    /// for quantities that cannot be negative (MC), a lower bound below 0 is shown as 0 and said
    /// so, as the command line does.
    public static func interval(_ value: JSONNode, _ ci: JSONNode, clipAtZero: Bool = false) -> String {
        guard ci.array.count == 2, let lo = ci[0].double, let hi = ci[1].double, lo.isFinite, hi.isFinite else {
            return num(value) + " <span class=\"note\">(no CI)</span>"
        }
        if clipAtZero && lo < 0 {
            return num(value) + " [0, " + num(ci[1]) + "] <span class=\"note\">(t-interval clipped at 0; it reaches \(num(ci[0])))</span>"
        }
        return num(value) + " [" + num(ci[0]) + ", " + num(ci[1]) + "]"
    }

    /// A derived "mean [lo, hi]" of values (Student t, as everywhere), clipped at 0 when asked.
    public static func derivedInterval(_ values: [Double], clipAtZero: Bool) -> String {
        guard !values.isEmpty else { return "—" }
        let m = MeanInterval(values)
        let lo = m.low, hi = m.high
        guard lo.isFinite, hi.isFinite else { return format(m.mean) + " <span class=\"note\">(no CI: \(values.count) value(s))</span>" }
        if clipAtZero && lo < 0 { return format(m.mean) + " [0, \(format(hi))] <span class=\"note\">(clipped at 0)</span>" }
        return format(m.mean) + " [\(format(lo)), \(format(hi))]"
    }

    /// A table; cells are HTML.
    public static func table(_ header: [String], _ rows: [[String]], caption: String? = nil, numericFrom: Int = 1) -> String {
        var o = "<table>"
        if let c = caption { o += "<caption>\(c)</caption>" }
        if header.contains(where: { !$0.isEmpty }) { o += "<thead><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead>" }
        o += "<tbody>"
        for r in rows {
            o += "<tr>" + r.enumerated().map { $0.offset >= numericFrom ? "<td class=\"r\">\($0.element)</td>" : "<td>\($0.element)</td>" }.joined() + "</tr>"
        }
        return o + "</tbody></table>\n"
    }

    /// Key–value rows for the leaves of a JSON object (nested keys joined with ".").
    public static func settings(_ node: JSONNode, skip: Set<String> = []) -> String {
        var rows: [[String]] = []
        func walk(_ n: JSONNode, _ prefix: String) {
            for k in n.keys where !skip.contains(prefix + k) {
                let child = n[k]
                if case .object? = child.value { walk(child, prefix + k + ".") } else { rows.append([esc(prefix + k), num(child, full: true)]) }
            }
        }
        walk(node, "")
        return table(["setting", "value"], rows, numericFrom: 2)
    }

    /// An SVG figure embedded as a data URI, with a caption and its file name.
    public static func figure(_ url: URL, caption: String) -> String {
        let name = url.lastPathComponent
        guard let data = try? Data(contentsOf: url) else { return "<p class=\"warn\">figure \(esc(name)) could not be read</p>\n" }
        guard data.count <= embedLimit else {
            return "<p class=\"note\">figure \(esc(name)) (\(data.count >> 20) MiB) is not embedded: open it next to the results.</p>\n"
        }
        return "<figure><img src=\"data:image/svg+xml;base64,\(data.base64EncodedString())\" alt=\"\(esc(caption))\">"
            + "<figcaption>\(esc(caption)) <span class=\"file\">(\(esc(name)))</span></figcaption></figure>\n"
    }

    /// A file offered for download from the page itself (data URI), or named when too large.
    public static func attachment(_ url: URL, name: String? = nil, mime: String = "text/plain") -> String {
        let shown = name ?? url.lastPathComponent
        guard let data = try? Data(contentsOf: url) else { return "" }
        return attachment(data, name: shown, mime: mime)
    }

    public static func attachment(_ data: Data, name: String, mime: String = "text/plain") -> String {
        guard data.count <= embedLimit else { return "<span class=\"file\">\(esc(name))</span>" }
        return "<a download=\"\(esc(name))\" href=\"data:\(mime);base64,\(data.base64EncodedString())\">\(esc(name))</a>"
    }

    /// A command line as one shell-quoted string.
    public static func shellLine(_ argv: [String]) -> String {
        argv.map { a in
            if !a.isEmpty && a.allSatisfy({ $0.isLetter || $0.isNumber || "/._-=:,+@%".contains($0) }) { return a }
            return "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    /// Where and how a result was made, and how to make it again. `result` (the file shown) lets
    /// the page name the folder the command ran in: the command's relative output path, ended
    /// where the result is.
    public static func provenance(command: [String], commit: String?, version: String?, created: String?, host: String?, backend: String?,
                                  result: URL? = nil) -> String {
        var rows: [[String]] = []
        if let v = version { rows.append(["wmsim version", esc(v)]) }
        if let c = commit { rows.append(["commit", "<code>\(esc(c))</code>"]) }
        if let d = created { rows.append(["made", esc(d)]) }
        if let h = host { rows.append(["host", esc(h)]) }
        if let b = backend { rows.append(["backend", esc(b)]) }
        var o = table(["", ""], rows, numericFrom: 2)
        guard !command.isEmpty else { return o }
        var args = command
        // The binary's own path is machine-specific; `wmsim` is what a reader types.
        if let first = args.first, first.hasSuffix("/wmsim") || first == "wmsim" { args[0] = "wmsim" }
        o += "<p>Reproduce"
        if let c = commit, !c.isEmpty {
            let clean = c.hasSuffix("-dirty") ? String(c.dropLast(6)) : c
            o += " with the same commit (<code>git checkout \(esc(clean))</code>, then <code>swift build -c release</code>)"
            if c.hasSuffix("-dirty") { o += "; <span class=\"warn\">the run had local changes not in that commit</span>" }
        }
        if let dir = result.flatMap({ workingDirectory(args, result: $0) }) {
            o += ":</p><pre class=\"cmd\">\(esc(shellLine(["cd", dir])))\n\(esc(shellLine(args)))</pre>\n"
        } else {
            o += ", from the folder it ran in (its outputs are now in <code>\(esc(result?.deletingLastPathComponent().path ?? "?"))</code>):</p><pre class=\"cmd\">\(esc(shellLine(args)))</pre>\n"
        }
        return o
    }

    /// The folder a command ran in, when one of its relative path arguments ends where the
    /// result (or the folder holding it) is now: /data/run/cap/capacity.json with `--out cap`
    /// ran in /data/run. Nil when every path was absolute or none matches.
    static func workingDirectory(_ args: [String], result: URL) -> String? {
        let file = result.standardizedFileURL.path
        let folder = result.deletingLastPathComponent().standardizedFileURL.path
        for raw in args.dropFirst(2) {
            let arg = raw.contains("=") && raw.hasPrefix("--") ? String(raw.split(separator: "=", maxSplits: 1)[1]) : raw
            guard !arg.hasPrefix("-"), !arg.hasPrefix("/"), !arg.isEmpty else { continue }
            let clean = URL(fileURLWithPath: arg, relativeTo: URL(fileURLWithPath: "/")).standardizedFileURL.path
            guard clean != "/" else { continue }
            for target in [file, folder] where target.hasSuffix(clean) {
                let dir = String(target.dropLast(clean.count))
                return dir.isEmpty ? "/" : dir
            }
        }
        return nil
    }

    /// A list of warnings (the first 20, then how many more), or nothing.
    public static func warnings(_ items: [String]) -> String {
        guard !items.isEmpty else { return "" }
        var o = "<ul class=\"warn\">" + items.prefix(20).map { "<li>\(esc($0))</li>" }.joined()
        if items.count > 20 { o += "<li>… and \(items.count - 20) more</li>" }
        return o + "</ul>\n"
    }

    static let style = """
    body{font-family:Helvetica,Arial,sans-serif;max-width:1080px;margin:24px auto;padding:0 16px;color:#222;line-height:1.45}
    h1{font-size:1.6em;margin-bottom:4px}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:40px}h3{margin-top:24px}
    table{border-collapse:collapse;margin:8px 0 16px;font-size:0.92em}th,td{border:1px solid #ddd;padding:3px 8px;vertical-align:top}
    th{background:#f4f4f4;text-align:left}td.r{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;color:#555;padding:4px 0}
    figure{margin:12px 0 20px}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#555;font-size:0.9em}
    pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:0.88em}pre.cmd{white-space:pre-wrap;word-break:break-all}
    .note,.file{color:#666;font-size:0.9em}.warn{color:#a33}nav ul{columns:2}details{margin:8px 0}summary{cursor:pointer;color:#135}
    @media print{nav{display:none}h2{page-break-before:auto}}
    """

    /// The whole page.
    public func render() -> String {
        var o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        o += "<title>\(Self.esc(title))</title><style>\(Self.style)</style></head><body>\n"
        o += "<h1>\(Self.esc(title))</h1>\n"
        for p in preamble { o += "<p class=\"note\">\(p)</p>\n" }
        if sections.count > 1 {
            o += "<nav><ul>" + sections.map { "<li><a href=\"#\(Self.esc($0.anchor))\">\(Self.esc($0.title))</a></li>" }.joined() + "</ul></nav>\n"
        }
        for s in sections {
            o += "<section id=\"\(Self.esc(s.anchor))\"><h2>\(Self.esc(s.title))</h2>\n\(s.html)</section>\n"
        }
        o += "<p class=\"note\">Numbers copied from the results carry their address: data-src (file), data-line (line of a JSON Lines file, from 0) and data-ptr (JSON pointer).</p>\n"
        return o + "</body></html>\n"
    }
}
