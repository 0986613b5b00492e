import Foundation
import WMCore

/// Merges the results files of one sweep's shards (or of interrupted reruns) into one file.
public enum SweepMerge {
    /// What a merge found.
    public struct Report: Sendable {
        public var rows: Int
        /// Units of the plan found in no input.
        public var missing: [SweepUnit]
        public var warnings: [String]
    }

    /// Reads `inputs`, refuses files of different sweeps, keeps the first row of every unit and
    /// writes the union (sorted by point and replicate) to `output` with a whole-sweep header.
    public static func merge(_ inputs: [URL], into output: URL) throws -> Report {
        guard !inputs.isEmpty else { throw WMError.invalidParameter(name: "inputs", value: "none", expected: "at least one results file") }
        var files: [(URL, SweepResults)] = []
        for u in inputs { files.append((u, try SweepResults.read(u))) }
        let spec = files[0].1.header.spec
        var warnings: [String] = []
        for (u, f) in files.dropFirst() {
            if let why = SweepResults.mismatch(spec, f.header.spec) {
                throw WMError.file(path: u.path, reason: "is a different sweep from \(files[0].0.path) (\(why)); refusing to mix their results")
            }
        }
        var byUnit: [SweepUnit: SweepRow] = [:]
        for (u, f) in files {
            warnings += f.warnings.map { "\(u.lastPathComponent): \($0)" }
            for r in f.rows {
                if let prev = byUnit[r.unit] {
                    if DecoderKind.allCases.contains(where: { prev.mc($0) != r.mc($0) }) {
                        warnings.append("\(u.lastPathComponent): point \(r.point) replicate \(r.replicate) differs from an earlier file; the first is kept")
                    }
                } else { byUnit[r.unit] = r }
            }
        }
        let plan = try spec.plan()
        var missing: [SweepUnit] = []
        for p in plan.points { for r in 0..<plan.replicates where byUnit[SweepUnit(point: p.index, replicate: r)] == nil { missing.append(SweepUnit(point: p.index, replicate: r)) } }
        if FileManager.default.fileExists(atPath: output.path), inputs.contains(where: { $0.standardizedFileURL == output.standardizedFileURL }) {
            throw WMError.file(path: output.path, reason: "the output is also an input; write the merge to a new file")
        }
        var data = try SweepJSON.line(SweepHeader(spec: spec, shard: nil))
        for k in byUnit.keys.sorted() { data.append(try SweepJSON.line(byUnit[k]!)) }
        do {
            try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch { throw WMError.file(path: output.path, reason: "cannot create its folder: \(error.localizedDescription)") }
        try ResultWriter.bytes(data, to: output)
        return Report(rows: byUnit.count, missing: missing, warnings: warnings)
    }
}
