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
                let peers = ScriptPeers(beside: script, file: "force_peer.py", python: python, key: "network_steps_per_s", label: "force")
                let (figures, best) = try peers.run(on: "F-b\(m)") { ["--networks", "\($0 == "numpy" ? 1 : m)", "--trials", "\(trials)"] }
                row.peers = figures
                row.bestPeer = best?.name
                row.ratio = best.map { r.networkStepsPerSecond / $0.value }
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
