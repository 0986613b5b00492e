import ArgumentParser
import Foundation
import WMCore
import WMExperiments

extension BenchCommand {
    /// Workload P: wmsim's fixed-point search and the peers measured right after it.
    struct FixedPointRow: Codable {
        var wmsim: FixedPointThroughputResult
        /// start-iterations/s of each peer that ran.
        var peers: [String: Double]
        var bestPeer: String?
        var ratio: Double?
    }

    func runFixedPoints(starts: [Int], backend: any Backend, peerScript: String?) throws -> [FixedPointRow] {
        var rows: [FixedPointRow] = []
        let iterations = FixedPointThroughput.iterations(quick: quick)
        for b in starts {
            Console.note("running P-\(b) (fixed-point search, N = 1000, \(b) starts, \(iterations) Adam iterations per repeat)…")
            let r: FixedPointThroughputResult
            do { r = try FixedPointThroughput.run(starts: b, iterations: iterations, repeats: repeats, backend: backend) } catch let e as WMError {
                throw CLIError(e.description)
            }
            var row = FixedPointRow(wmsim: r, peers: [:])
            if let script = peerScript {
                let peers = ScriptPeers(beside: script, file: "fixedpoint_peer.py", python: python, key: "start_iterations_per_s", label: "fixedpoint")
                let (figures, best) = try peers.run(on: "P-\(b)") { _ in ["--starts", "\(b)", "--iterations", "\(iterations)", "--repeats", "\(repeats)"] }
                row.peers = figures
                row.bestPeer = best?.name
                row.ratio = best.map { r.startIterationsPerSecond / $0.value }
            }
            print(r.summary + (row.ratio.map { String(format: " | best peer %@ %.0f start-iterations/s → %.2f×", row.bestPeer!, row.peers[row.bestPeer!]!, $0) } ?? ""))
            fflush(nil)
            rows.append(row)
        }
        return rows
    }

    func fixedPointTable(_ rows: [FixedPointRow]) -> String {
        Format.table(["workload", "starts", "start-iterations/s", "GFLOP/s", "% of GEMM", "best peer", "peer start-iterations/s", "ratio"], rows.map { r in
            let w = r.wmsim
            return ["P-\(w.starts)", String(w.starts), Format.si(w.startIterationsPerSecond), String(format: "%.1f", w.gflops),
                    String(format: "%.0f%%", 100 * w.gflops / w.gemmGflops), r.bestPeer ?? "", r.bestPeer.flatMap { r.peers[$0] }.map { Format.si($0) } ?? "",
                    r.ratio.map { String(format: "%.2f×", $0) } ?? ""]
        })
    }
}
