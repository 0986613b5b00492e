import Foundation
import WMCore
import WMExperiments

/// Output helpers: results on stdout, notes and progress on stderr.
enum Console {
    static func note(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    /// Whether stderr is an interactive terminal (progress is drawn only then).
    static var stderrIsTTY: Bool {
        isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }
}

/// Draws "label: 45% 450/1000 steps, 12.3k steps/s, ETA 3 s" on stderr, at most every 100 ms,
/// only when stderr is a terminal.
final class Progress {
    let label: String
    let total: Int
    let unit: String
    let start = Date()
    var last = Date.distantPast
    let enabled: Bool
    /// Work already done before this run (resumed); rates and the ETA count only new work.
    let startCount: Int

    init(_ label: String, total: Int, unit: String = "steps", start startCount: Int = 0, enabled: Bool = Console.stderrIsTTY) {
        self.label = label
        self.total = total
        self.unit = unit
        self.startCount = startCount
        self.enabled = enabled
    }

    /// Without a terminal, a plain progress line at most this often (nil: none).
    var lineEvery: TimeInterval? = nil
    private var lastLine = -1

    func update(_ done: Int) {
        let now = Date()
        if !enabled, let every = lineEvery {
            guard now.timeIntervalSince(last) >= every || done >= total, done > startCount, done != lastLine else { return }
            last = now
            lastLine = done
            let el = now.timeIntervalSince(start)
            let rate = el > 0 ? Double(done - startCount) / el : 0
            let eta = rate > 0 ? Double(total - done) / rate : 0
            Console.note("\(label): \(done)/\(total) \(unit), \(Format.si(rate)) \(unit)/s, ETA \(Format.duration(eta))")
            return
        }
        guard enabled else { return }
        guard now.timeIntervalSince(last) >= 0.1 || done >= total else { return }
        last = now
        let el = now.timeIntervalSince(start)
        let rate = el > 0 ? Double(done - startCount) / el : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let pct = total > 0 ? 100 * done / total : 100
        let line = "\r\(label): \(pct)% \(done)/\(total) \(unit), \(Format.si(rate)) \(unit)/s, ETA \(Format.duration(eta))   "
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Number formatting for tables.
enum Format {
    static func si(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e12 { return String(format: "%.2fT", v / 1e12) }
        if a >= 1e9 { return String(format: "%.2fG", v / 1e9) }
        if a >= 1e6 { return String(format: "%.2fM", v / 1e6) }
        if a >= 1e3 { return String(format: "%.1fk", v / 1e3) }
        return String(format: "%.3g", v)
    }

    /// A parameter value: integers without a decimal point, others with up to 4 significant digits.
    static func num(_ v: Double) -> String {
        if v.isFinite && v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: "%.4g", v)
    }

    static func duration(_ s: Double) -> String {
        if !s.isFinite { return "?" }
        if s < 60 { return String(format: "%.0f s", s) }
        if s < 3600 { return String(format: "%.0f min %.0f s", (s / 60).rounded(.down), s.truncatingRemainder(dividingBy: 60)) }
        return String(format: "%.1f h", s / 3600)
    }

    /// A plain aligned table.
    static func table(_ header: [String], _ rows: [[String]]) -> String { SweepTable.table(header, rows) }

}
