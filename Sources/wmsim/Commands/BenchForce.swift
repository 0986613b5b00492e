import ArgumentParser
import Foundation
import WMCore
import WMExperiments

extension BenchCommand {
    /// One FORCE workload: wmsim's figure and the peers' measured right after it.
    struct ForceRow: Codable {
        var wmsim: ForceThroughputResult
        var bandwidthShare: Double
        /// network-steps/s of each peer that ran (per network trained alone for NumPy; the
        /// batch vmapped for JAX).
        var peers: [String: Double]
        var bestPeer: String?
        var ratio: Double?
    }

    func runForce(batches: [Int], backend: any Backend, bandwidth bw: Double, peerScript: String?) throws -> [ForceRow] {
        var rows: [ForceRow] = []
        let trials = ForceThroughput.trials(quick: quick)
        for m in batches {
            Console.note("running F-b\(m) (FORCE training, \(m) network(s) of N = 1000, \(trials) trials per repeat)…")
            let r: ForceThroughputResult
            do { r = try ForceThroughput.run(networks: m, trials: trials, repeats: repeats, backend: backend) } catch let e as WMError {
                throw CLIError(e.description)
            }
            var row = ForceRow(wmsim: r, bandwidthShare: r.effectiveGBPerSecond / bw, peers: [:])
            if let script = peerScript {
                let forcePeer = URL(fileURLWithPath: script).deletingLastPathComponent().appendingPathComponent("force_peer.py").path
                for impl in ["numpy", "jax"] {
                    Console.note("  \(impl) FORCE peer on F-b\(m)…")
                    if let v = try ForcePeer.run(forcePeer, python: python, impl: impl, networks: impl == "numpy" ? 1 : m, trials: trials) {
                        row.peers["\(impl)-force"] = v
                    }
                }
                if let best = row.peers.max(by: { $0.value < $1.value }) {
                    row.bestPeer = best.key
                    row.ratio = r.networkStepsPerSecond / best.value
                }
            }
            print(r.summary + (row.ratio.map { String(format: " | best peer %@ %.0f network-steps/s → %.2f×", row.bestPeer!, row.peers[row.bestPeer!]!, $0) } ?? ""))
            fflush(nil)
            rows.append(row)
        }
        return rows
    }

    func forceTable(_ rows: [ForceRow]) -> String {
        Format.table(["workload", "networks", "network-steps/s", "GB/s", "% of copy BW", "best peer", "peer network-steps/s", "ratio"], rows.map { r in
            let w = r.wmsim
            return ["F-b\(w.networks)", String(w.networks), Format.si(w.networkStepsPerSecond), String(format: "%.2f", w.effectiveGBPerSecond),
                    String(format: "%.0f%%", r.bandwidthShare * 100), r.bestPeer ?? "", r.bestPeer.flatMap { r.peers[$0] }.map { Format.si($0) } ?? "",
                    r.ratio.map { String(format: "%.2f×", $0) } ?? ""]
        })
    }
}

/// Benchmarks/peers/force_peer.py.
enum ForcePeer {
    /// The peer's network-steps/s, or nil when its implementation is not installed (exit 3).
    static func run(_ script: String, python: String, impl: String, networks: Int, trials: Int) throws -> Double? {
        let (status, data, errText) = try ChildProcess.run([python, script, "--impl", impl, "--networks", "\(networks)", "--trials", "\(trials)"])
        if status == 3 {
            Console.note("  \(impl) peer skipped: \(errText.trimmingCharacters(in: .whitespacesAndNewlines))")
            return nil
        }
        guard status == 0 else { throw CLIError("FORCE peer (\(impl)) failed (exit \(status)):\n\(errText)") }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let v = obj["network_steps_per_s"] as? Double else {
            throw CLIError("FORCE peer (\(impl)) printed no figure: \(String(decoding: data, as: UTF8.self))")
        }
        return v
    }
}
