import Foundation

/// The one-figure Python peers of workloads F and P (Benchmarks/peers/force_peer.py,
/// fixedpoint_peer.py): each run with `--impl numpy` and `--impl jax`, each printing one JSON
/// object with its figure under `key`.
struct ScriptPeers {
    /// The peer script next to peers.py.
    var script: String
    var python: String
    /// The JSON key of the figure.
    var key: String
    /// The figure's name in messages and the label suffix ("force" → "numpy-force").
    var label: String

    init(beside peersScript: String, file: String, python: String, key: String, label: String) {
        script = URL(fileURLWithPath: peersScript).deletingLastPathComponent().appendingPathComponent(file).path
        self.python = python
        self.key = key
        self.label = label
    }

    /// Figures of each implementation that ran, keyed "numpy-LABEL"/"jax-LABEL", and the best.
    /// `arguments(impl)` gives the script's arguments; exit 3 means not installed (noted, skipped).
    func run(on workload: String, arguments: (String) -> [String]) throws -> (figures: [String: Double], best: (name: String, value: Double)?) {
        var figures: [String: Double] = [:]
        for impl in ["numpy", "jax"] {
            Console.note("  \(impl) \(label) peer on \(workload)…")
            let (status, data, errText) = try ChildProcess.run([python, script, "--impl", impl] + arguments(impl))
            if status == 3 {
                Console.note("  \(impl) peer skipped: \(errText.trimmingCharacters(in: .whitespacesAndNewlines))")
                continue
            }
            guard status == 0, let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let v = obj[key] as? Double else {
                throw CLIError("\(label) peer (\(impl)) failed (exit \(status)):\n\(errText)\(String(decoding: data, as: UTF8.self))")
            }
            figures["\(impl)-\(label)"] = v
        }
        return (figures, figures.max { $0.value < $1.value }.map { ($0.key, $0.value) })
    }
}
