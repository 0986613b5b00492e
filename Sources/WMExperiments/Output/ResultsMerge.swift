import Foundation
import WMCore

/// Merges the results files of one run's shards (or of interrupted reruns) into one file.
public enum ResultsMerge {
    /// What a merge found.
    public struct Report: Sendable {
        public var rows: Int
        /// Units of the plan found in no input.
        public var missing: [SweepUnit]
        public var warnings: [String]
    }

    /// Reads `inputs`, refuses files of different specs, keeps the first row of every unit and
    /// writes the union (sorted by point and replicate) to `output` with a whole-run header.
    public static func merge<Spec: ResultsSpec, Row: ResultsRow>(_ inputs: [URL], into output: URL,
                                                                 as _: ResultsFile<Spec, Row>.Type) throws -> (Report, ResultsFile<Spec, Row>) {
        guard !inputs.isEmpty else { throw WMError.invalidParameter(name: "inputs", value: "none", expected: "at least one results file") }
        var files: [(URL, ResultsFile<Spec, Row>)] = []
        for u in inputs { files.append((u, try ResultsFile<Spec, Row>.read(u))) }
        let spec = files[0].1.header.spec
        var warnings: [String] = []
        for (u, f) in files.dropFirst() {
            if let why = ResultsFile<Spec, Row>.mismatch(spec, f.header.spec) {
                throw WMError.file(path: u.path, reason: "is a different \(Spec.resultsNoun) from \(files[0].0.path) (\(why)); refusing to mix their results")
            }
        }
        var byUnit: [SweepUnit: Row] = [:]
        for (u, f) in files {
            warnings += f.warnings.map { "\(u.lastPathComponent): \($0)" }
            for r in f.rows {
                if let prev = byUnit[r.unit] {
                    if prev.isError && !r.isError { byUnit[r.unit] = r } else if !r.isError && !prev.sameResult(as: r) {
                        warnings.append("\(u.lastPathComponent): point \(r.unit.point) replicate \(r.unit.replicate) differs from an earlier file; the first is kept")
                    }
                } else { byUnit[r.unit] = r }
            }
        }
        let missing = try spec.units().filter { byUnit[$0] == nil }
        if FileManager.default.fileExists(atPath: output.path), inputs.contains(where: { $0.standardizedFileURL == output.standardizedFileURL }) {
            throw WMError.file(path: output.path, reason: "the output is also an input; write the merge to a new file")
        }
        let header = ResultsHeader(spec: spec, shard: nil)
        let rows = byUnit.keys.sorted().map { byUnit[$0]! }
        var data = try ResultsJSON.line(header)
        for r in rows { data.append(try ResultsJSON.line(r)) }
        do {
            try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch { throw WMError.file(path: output.path, reason: "cannot create its folder: \(error.localizedDescription)") }
        try ResultWriter.bytes(data, to: output)
        return (Report(rows: byUnit.count, missing: missing, warnings: warnings),
                ResultsFile(header: header, rows: rows, warnings: [], validLength: data.count, brokenTail: false))
    }
}

/// Merges the results files of one capacity sweep's shards.
public enum SweepMerge {
    public typealias Report = ResultsMerge.Report

    /// See `ResultsMerge.merge`.
    public static func merge(_ inputs: [URL], into output: URL) throws -> Report {
        try ResultsMerge.merge(inputs, into: output, as: SweepResults.self).0
    }
}
