import Foundation
import WMCore

/// A result a report can show, found by its content (not its name alone).
public enum ReportArtefact: Sendable, Equatable {
    /// `wmsim capacity`: capacity.json (memory_curve.svg/.csv beside it).
    case capacity(URL)
    /// `wmsim sweep` or `wmsim merge`: a capacity-sweep results file.
    case sweep(URL)
    /// `wmsim stats`: stats.json with its figures.
    case stats(URL)
    /// `wmsim optimize`: optimize.json (trace.svg beside it).
    case optimize(URL)
    /// `wmsim train` over a grid: a training-population results file.
    case trainingPopulation(URL)
    /// `wmsim train` of one network: trained.json.
    case trainedNetwork(URL)
    /// `wmsim analyze`: a network-analysis results file (analysis-plots/ beside it).
    case analysis(URL)

    /// Where a kind sits on the page.
    var order: Int {
        switch self {
        case .capacity: return 0
        case .sweep: return 1
        case .stats: return 2
        case .optimize: return 3
        case .trainingPopulation: return 4
        case .trainedNetwork: return 5
        case .analysis: return 6
        }
    }

    public var url: URL {
        switch self {
        case .capacity(let u), .sweep(let u), .stats(let u), .optimize(let u), .trainingPopulation(let u), .trainedNetwork(let u), .analysis(let u): return u
        }
    }

    /// Folders inside an output folder that hold per-network data or shards, not results to report.
    static let skippedFolders: Set<String> = ["networks", "analysis-points", "logs", "results"]

    /// What `path` holds: the artefact itself, or every artefact in the folder (and its
    /// subfolders, 3 levels deep), in path order.
    public static func find(in path: URL) throws -> [ReportArtefact] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDir) else {
            throw WMError.file(path: path.path, reason: "does not exist")
        }
        if !isDir.boolValue {
            guard let a = identify(path) else {
                throw WMError.file(path: path.path, reason: "is not a wmsim result (capacity.json, stats.json, optimize.json, trained.json or a results .jsonl)")
            }
            // A sweep brings its stats when they are where `wmsim stats` puts them by default.
            let stats = URL(fileURLWithPath: path.deletingPathExtension().path + "-stats").appendingPathComponent("stats.json")
            if case .sweep = a, let s = identify(stats) { return [a, s] }
            return [a]
        }
        var found: [ReportArtefact] = []
        func walk(_ dir: URL, depth: Int) {
            guard depth <= 3, let items = try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles]) else { return }
            for item in items.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
                if (try? item.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                    if !skippedFolders.contains(item.lastPathComponent) { walk(item, depth: depth + 1) }
                } else if let a = identify(item) {
                    found.append(a)
                }
            }
        }
        walk(path, depth: 0)
        // Inputs before what was made from them: a population before its analysis.
        return found.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }.map(\.element)
    }

    /// The artefact a file is, if any: JSON files by their fields, JSON Lines by their header's kind.
    public static func identify(_ file: URL) -> ReportArtefact? {
        let name = file.lastPathComponent
        if name.hasSuffix(".json") {
            guard let size = try? file.resourceValues(forKeys: [.fileSizeKey]).fileSize, size < 256 << 20,
                  let doc = try? JSONNode.read(file, source: name) else { return nil }
            if doc["format"].string == "wmsim-trained-network" { return .trainedNetwork(file) }
            if doc["analysis"]["effects"].exists { return .stats(file) }
            if doc["result"]["trace"].exists && doc["result"]["bestFresh"].exists { return .optimize(file) }
            if doc["result"]["spec"]["maxLag"].exists && doc["provenance"].exists { return .capacity(file) }
            return nil
        }
        guard !name.hasSuffix(".svg"), !name.hasSuffix(".csv"), !name.hasSuffix(".npy"), !name.hasSuffix(".html"),
              !name.hasSuffix(".sh"), !name.hasSuffix(".sbatch"), !name.hasSuffix(".toml"),
              let kind = try? resultsFileKind(file) else { return nil }
        switch kind {
        case SweepSpec.resultsKind: return .sweep(file)
        case TrainingPopulationSpec.resultsKind: return .trainingPopulation(file)
        case AnalysisSpec.resultsKind: return .analysis(file)
        default: return nil
        }
    }
}
