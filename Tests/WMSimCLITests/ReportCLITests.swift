import Foundation
import XCTest

/// `wmsim report` end to end: a page for every kind of output, its numbers checked against the
/// files, and the page loaded in real headless Chromium (no console errors, every figure drawn).
final class ReportCLITests: XCTestCase {
    /// One output of every kind, made once for the tests below.
    struct Outputs {
        var root: URL
        var report: URL
    }

    static let outputs: Result<Outputs, Error> = Result { try makeOutputs() }

    static func makeOutputs() throws -> Outputs {
        let root = CLI.tempDir("report")
        let seg = ["--washout", "100", "--train", "800", "--validation", "300", "--test", "600", "--max-lag", "12"]
        func run(_ args: [String]) throws {
            let r = try CLI.run(args, cwd: root)
            guard r.status == 0 else { throw NSError(domain: "wmsim \(args.joined(separator: " "))", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        }
        try run(["capacity", "--n", "60", "--networks", "3", "--mlp-epochs", "5", "--out", "cap"] + seg)
        try run(["capacity", "--n", "60", "--networks", "3", "--mlp-epochs", "5", "--readout-neurons", "15,30,60", "--out", "curve"] + seg)
        try run(["sweep", "--n", "50", "--vary", "g=0.8,1.0", "--vary", "gIn=1,10", "--replicates", "3", "--decoders", "ridge", "--out", "sweep.jsonl"] + seg)
        try run(["stats", "sweep.jsonl", "--resamples", "1000"])
        try run(["optimize", "--n", "40", "--param", "g=0.5:1.2", "--budget", "6", "--eval-seeds", "2", "--final-seeds", "3", "--decoders", "ridge", "--out", "opt"] + seg)
        try run(["train", "--n", "40", "--trials", "12", "--test-trials", "4", "--evaluation-seeds", "1", "--timeline", "6,3,6,3,4", "--vary", "g=0.9,1.5", "--out", "pop"])
        try run(["analyze", "pop", "--steps", "600", "--window", "100", "--fp-iterations", "300", "--fp-samples", "20", "--noise-repeats", "1", "--max-extension", "5"])
        try run(["report", "cap", "curve", "sweep.jsonl", "opt", "pop", "--output", "report.html", "--title", "All outputs"])
        return Outputs(root: root, report: root.appendingPathComponent("report.html"))
    }

    func testReportCoversEveryKindAndIsSelfContained() throws {
        let o = try Self.outputs.get()
        let html = try String(contentsOf: o.report, encoding: .utf8)
        for title in ["Memory capacity", "Memory capacity vs readout neurons", "Sweep", "Parameter effects", "Optimisation", "Trained population", "Network analysis"] {
            XCTAssertTrue(html.contains("<h2>\(title) — "), "no \(title) section")
        }
        // Self-contained: no scripts, nothing fetched (links within the page and data URIs only).
        XCTAssertFalse(html.contains("<script"))
        for attr in [" src=\"", " href=\""] {
            for part in html.components(separatedBy: attr).dropFirst() {
                XCTAssertTrue(part.hasPrefix("data:") || part.hasPrefix("#"), "external \(attr)\(part.prefix(60))")
            }
        }
        // One figure per SVG the commands wrote (analysis: population figures and 2 networks' 3).
        let svgs = html.components(separatedBy: "<img src=\"data:image/svg+xml;base64,").count - 1
        XCTAssertGreaterThanOrEqual(svgs, 1 + 3 + 1 + 1 + 4 + 6)
        // The exact command to reproduce each result.
        XCTAssertTrue(html.contains("wmsim capacity --n 60 --networks 3"), "no capacity command")
        XCTAssertTrue(html.contains("--readout-neurons 15,30,60"), "no readout-curve command")
        XCTAssertTrue(html.contains("wmsim sweep --n 50 --vary g=0.8,1.0"), "no sweep command")
        // Every addressed number equals the value in its file.
        let numbers = Self.addressedNumbers(html)
        XCTAssertGreaterThan(numbers.count, 50)
        for n in numbers { try Self.check(n, root: o.root) }
        // The headline: the ridge MC of capacity.json is on the page with its address.
        let cap = try CLI.json(o.root.appendingPathComponent("cap/capacity.json"))
        let mc = try XCTUnwrap(((cap["result"] as? [String: Any])?["ridge"] as? [String: Any])?["memoryCapacity"] as? Double)
        XCTAssertTrue(numbers.contains { $0.ptr == "/result/ridge/memoryCapacity" && $0.src == "cap/capacity.json" && Double($0.text).map { abs($0 - mc) <= 5e-4 * abs(mc) } == true })
        // The readout curve's MC at every size, with its address.
        for k in 0..<3 {
            XCTAssertTrue(numbers.contains { $0.ptr == "/result/points/\(k)/ridge/memoryCapacity" && $0.src == "curve/readout_curve.json" }, "size \(k)")
        }
    }

    func testReportRefusesToOverwriteAndExplainsBadInput() throws {
        let o = try Self.outputs.get()
        let again = try CLI.run(["report", "cap", "--output", "report.html"], cwd: o.root)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("exists"), again.stderr)
        let empty = CLI.tempDir("report-empty")
        let none = try CLI.run(["report", empty.path])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("holds no wmsim results"), none.stderr)
        // `wmsim stats` given an output folder instead of its results file says so.
        let folder = try CLI.run(["stats", empty.path])
        XCTAssertEqual(folder.status, 1)
        XCTAssertTrue(folder.stderr.contains("is a folder, not a results file"), folder.stderr)
        let missing = try CLI.run(["report", empty.appendingPathComponent("nope").path])
        XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)
        // A result is never overwritten by the page, --force or not.
        let clobber = try CLI.run(["report", "cap", "--output", "cap/capacity.json", "--force"], cwd: o.root)
        XCTAssertNotEqual(clobber.status, 0)
        XCTAssertTrue(clobber.stderr.contains("must name an .html file"), clobber.stderr)
        XCTAssertNoThrow(try CLI.json(o.root.appendingPathComponent("cap/capacity.json")))
        // A broken result among good ones is named on the page; the others are still shown:
        // a foreign sweep header and a truncated optimize.json.
        let mixed = CLI.tempDir("report-mixed")
        try FileManager.default.copyItem(at: o.root.appendingPathComponent("cap"), to: mixed.appendingPathComponent("cap"))
        try #"{"type":"header","kind":"capacity-sweep","spec":{"nonsense":1}}"#.write(to: mixed.appendingPathComponent("bad.jsonl"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: mixed.appendingPathComponent("opt"), withIntermediateDirectories: true)
        let optimize = try Data(contentsOf: o.root.appendingPathComponent("opt/optimize.json"))
        try optimize.prefix(optimize.count / 2).write(to: mixed.appendingPathComponent("opt/optimize.json"))
        let r = try CLI.run(["report", mixed.path, "--output", mixed.appendingPathComponent("new/folder/page.html").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let page = try String(contentsOf: mixed.appendingPathComponent("new/folder/page.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("Not shown — ") && page.contains("bad.jsonl"), "the foreign file is not named")
        XCTAssertTrue(page.contains("opt/optimize.json could not be shown: not valid JSON"), "the truncated file is not named")
        XCTAssertTrue(page.contains("<h2>Memory capacity — "))
        // Given alone, the truncated file is an error that says why.
        let alone = try CLI.run(["report", mixed.appendingPathComponent("opt/optimize.json").path])
        XCTAssertEqual(alone.status, 1)
        XCTAssertTrue(alone.stderr.contains("not valid JSON"), alone.stderr)
    }

    /// Statistics made from a results file that has changed since are shown with a warning, and
    /// a retried network is counted once, as the results readers count it.
    func testReportSaysWhenStatsAreStaleAndCountsRetriesOnce() throws {
        let o = try Self.outputs.get()
        let dir = CLI.tempDir("report-stale")
        let lines = try String(contentsOf: o.root.appendingPathComponent("sweep.jsonl"), encoding: .utf8).split(separator: "\n")
        try (lines.prefix(7).joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("s.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLI.run(["stats", "s.jsonl", "--resamples", "1000"], cwd: dir).status, 0)
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("s.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLI.run(["report", "s.jsonl"], cwd: dir).status, 0)
        let page = try String(contentsOf: dir.appendingPathComponent("s.report.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("made when the results file had 6 row(s); it has 12 now"), "no stale-stats warning")
        // The reproduce line names the folder the sweep ran in.
        XCTAssertTrue(page.contains("cd \(dir.standardizedFileURL.path)"), "no working folder in the reproduce line")

        // A training population whose first network failed and was retried.
        let pop = dir.appendingPathComponent("pop")
        try FileManager.default.copyItem(at: o.root.appendingPathComponent("pop"), to: pop)
        let results = pop.appendingPathComponent("results.jsonl")
        var rows = try String(contentsOf: results, encoding: .utf8).split(separator: "\n").map(String.init)
        var failed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(rows[1].utf8)) as? [String: Any])
        failed["error"] = "simulated failure"
        rows.insert(String(decoding: try JSONSerialization.data(withJSONObject: failed), as: UTF8.self), at: 1)
        try (rows.joined(separator: "\n") + "\n").write(to: results, atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLI.run(["report", pop.path]).status, 0)
        let popPage = try String(contentsOf: pop.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(popPage.contains("2 network(s) in the file: ") && popPage.contains("0 failed to run"), "a retried network was counted twice")
        XCTAssertFalse(popPage.contains("simulated failure"))
    }

    /// The page in a real browser: it loads without console messages, every figure is decoded
    /// and drawn with ink in it, and the numbers the browser shows equal the files'.
    func testReportRendersInHeadlessChromium() throws {
        guard let chromium = Self.chromium() else {
            if ProcessInfo.processInfo.environment["WMSIM_REQUIRE_BROWSER"] == "1" {
                XCTFail("WMSIM_REQUIRE_BROWSER=1 but no headless Chromium (apt install chromium-headless-shell)")
            }
            throw XCTSkip("no headless Chromium (apt install chromium-headless-shell); CI sets WMSIM_REQUIRE_BROWSER=1")
        }
        let o = try Self.outputs.get()
        let probe = o.root.appendingPathComponent("probe.html")
        try Self.probePage(report: o.report.lastPathComponent).write(to: probe, atomically: true, encoding: .utf8)
        let r = try CLI.run(["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--enable-logging=stderr", "--v=0",
                             "--user-data-dir=\(o.root.appendingPathComponent("chromium-profile").path)",
                             "--virtual-time-budget=20000", "--dump-dom", probe.absoluteString], executable: chromium)
        XCTAssertEqual(r.status, 0, r.stderr)
        let console = r.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        XCTAssertTrue(console.isEmpty, "console messages: \(console.joined(separator: "\n"))")
        guard let start = r.stdout.range(of: "<pre id=\"probe\">"), let end = r.stdout.range(of: "</pre>", range: start.upperBound..<r.stdout.endIndex) else {
            return XCTFail("the probe did not finish: \(r.stdout.prefix(400))")
        }
        let json = String(r.stdout[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], json)
        let figures = try XCTUnwrap(result["figures"] as? [[String: Any]])
        let html = try String(contentsOf: o.report, encoding: .utf8)
        XCTAssertEqual(figures.count, html.components(separatedBy: "<img ").count - 1)
        for (k, f) in figures.enumerated() {
            let alt = f["alt"] as? String ?? "figure \(k)"
            XCTAssertEqual(f["complete"] as? Bool, true, alt)
            XCTAssertGreaterThan(f["naturalWidth"] as? Double ?? 0, 100, alt)
            XCTAssertGreaterThan(f["shownWidth"] as? Double ?? 0, 100, "\(alt) is laid out too small")
            // A drawn plot has axes, text and data: well above 1 % of its pixels are not white.
            XCTAssertGreaterThan(f["ink"] as? Double ?? 0, 0.01, "\(alt) is blank: \(f)")
        }
        let shown = try XCTUnwrap(result["numbers"] as? [[String: Any]])
        XCTAssertEqual(shown.count, Self.addressedNumbers(html).count)
        for n in shown {
            try Self.check(.init(src: n["src"] as? String ?? "", line: (n["line"] as? String).flatMap { Int($0) }, ptr: n["ptr"] as? String ?? "",
                                 text: n["text"] as? String ?? ""), root: o.root)
        }
    }

    // MARK: - helpers

    static func chromium() -> URL? {
        var names = ["chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"]
        if let e = ProcessInfo.processInfo.environment["WMSIM_CHROMIUM"] { names.insert(e, at: 0) }
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init) + ["/usr/lib/chromium"]
        for n in names {
            if n.hasPrefix("/") { if FileManager.default.isExecutableFile(atPath: n) { return URL(fileURLWithPath: n) } else { continue } }
            for d in dirs where FileManager.default.isExecutableFile(atPath: d + "/" + n) { return URL(fileURLWithPath: d + "/" + n) }
        }
        return nil
    }

    /// A page that loads the report in a frame, then reports each figure's decoding, layout and
    /// ink (drawn into a canvas at its shown size) and every addressed number as rendered.
    static func probePage(report: String) -> String {
        """
        <!DOCTYPE html><html><body><pre id="probe">pending</pre>
        <iframe id="f" src="\(report)" width="1200" height="30000"></iframe>
        <script>
        document.getElementById('f').onload = () => {
          const d = document.getElementById('f').contentDocument;
          const figures = [];
          for (const img of d.images) {
            const rect = img.getBoundingClientRect();
            const w = Math.max(1, Math.round(rect.width)), h = Math.max(1, Math.round(rect.height));
            const c = document.createElement('canvas'); c.width = w; c.height = h;
            const g = c.getContext('2d'); let ink = -1;
            try {
              g.drawImage(img, 0, 0, w, h);
              const px = g.getImageData(0, 0, w, h).data; let n = 0;
              for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && (px[i] < 240 || px[i + 1] < 240 || px[i + 2] < 240)) n++;
              ink = n / (w * h);
            } catch (e) { ink = -1; }
            figures.push({alt: img.alt, complete: img.complete, naturalWidth: img.naturalWidth, shownWidth: rect.width, ink});
          }
          const numbers = [...d.querySelectorAll('span.num')].map(s => ({src: s.dataset.src, line: s.dataset.line, ptr: s.dataset.ptr, text: s.textContent}));
          document.getElementById('probe').textContent = JSON.stringify({figures, numbers});
        };
        </script></body></html>
        """
    }

    struct Addressed: Equatable {
        var src: String
        var line: Int?
        var ptr: String
        var text: String
    }

    /// The numbers with an address in the HTML source.
    static func addressedNumbers(_ html: String) -> [Addressed] {
        var out: [Addressed] = []
        for part in html.components(separatedBy: "<span class=\"num\" ").dropFirst() {
            func attr(_ name: String) -> String? {
                guard let r = part.range(of: "\(name)=\"") else { return nil }
                let rest = part[r.upperBound...]
                return rest.range(of: "\"").map { String(rest[..<$0.lowerBound]) }
            }
            guard let close = part.range(of: ">"), let endSpan = part.range(of: "</span>") else { continue }
            let text = String(part[close.upperBound..<endSpan.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
            out.append(Addressed(src: attr("data-src") ?? "", line: attr("data-line").flatMap { Int($0) }, ptr: (attr("data-ptr") ?? "").replacingOccurrences(of: "&amp;", with: "&"), text: text))
        }
        return out
    }

    /// Resolves the number's address in its file (JSONSerialization, independent of the report's
    /// own reader) and compares it with what the page shows (4 significant digits).
    static func check(_ n: Addressed, root: URL) throws {
        let url = n.src.hasPrefix("/") ? URL(fileURLWithPath: n.src) : root.appendingPathComponent(n.src)
        var doc: Any
        if let line = n.line {
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            doc = try JSONSerialization.jsonObject(with: Data(lines[line].utf8))
        } else {
            doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        }
        for token in n.ptr.split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let a = doc as? [Any], let i = Int(key), a.indices.contains(i) { doc = a[i] }
            else if let o = doc as? [String: Any], let v = o[key] { doc = v }
            else { return XCTFail("\(n.src)\(n.line.map { ":\($0)" } ?? "")\(n.ptr) does not exist") }
        }
        let place = "\(n.src)\(n.line.map { ":\($0)" } ?? "")\(n.ptr)"
        if let s = doc as? String {
            if s == "NaN" { XCTAssertEqual(n.text, "—", place) } else { XCTAssertEqual(n.text, s, place) }
        } else if n.text == "true" || n.text == "false" {
            XCTAssertEqual(doc as? Bool, n.text == "true", place)
        } else if let v = (doc as? NSNumber)?.doubleValue {
            guard let shown = Double(n.text) else { return XCTFail("\(place): shows \(n.text) for \(v)") }
            XCTAssertLessThanOrEqual(abs(shown - v), 5e-4 * abs(v) + 1e-12, place)
        } else {
            XCTFail("\(place): not a number or string: \(doc)")
        }
    }
}
