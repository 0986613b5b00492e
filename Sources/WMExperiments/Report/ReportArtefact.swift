import Foundation
import WMCore

/// A result a report can show, found by its content (not its name alone).
public enum ReportArtefact: Sendable, Equatable {
    /// `wmsim capacity`: capacity.json (memory_curve.svg/.csv beside it).
    case capacity(URL)
    /// `wmsim capacity --readout-neurons n1,n2,…`: readout_curve.json (its figures and CSVs beside it).
    case readoutCurve(URL)
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
    /// `wmsim analyze`: a network-analysis results file (its plots folder beside it).
    case analysis(URL)
    /// A file named like a result that cannot be read (truncated, foreign): shown as such.
    case unreadable(URL, String)

    /// Where a kind sits on the page: inputs before what was made from them.
    var order: Int {
        switch self {
        case .capacity: return 0
        case .readoutCurve: return 0
        case .sweep: return 1
        case .stats: return 2
        case .optimize: return 3
        case .trainingPopulation: return 4
        case .trainedNetwork: return 5
        case .analysis: return 6
        case .unreadable: return 7
        }
    }

    public var url: URL {
        switch self {
        case .capacity(let u), .readoutCurve(let u), .sweep(let u), .stats(let u), .optimize(let u), .trainingPopulation(let u), .trainedNetwork(let u),
             .analysis(let u), .unreadable(let u, _): return u
        }
    }

    /// What a search found, and what it passed over (said on the page).
    public struct Search: Sendable {
        public var artefacts: [ReportArtefact] = []
        public var notes: [String] = []
    }

    /// JSON outputs known by name: a file with one of these names that does not read is reported.
    static let knownJSON: Set<String> = ["capacity.json", "readout_curve.json", "stats.json", "optimize.json", "trained.json"]

    /// Shards of a sweep or population (results/shard-i.jsonl, …-shard-i-of-n.jsonl): their
    /// merge is the result; alone they are partial.
    static func isShard(_ name: String) -> Bool {
        name.hasSuffix(".jsonl") && (name.hasPrefix("shard-") || name.contains("-shard-"))
    }

    /// What `path` holds: the artefact itself, or every artefact in the folder (and its
    /// subfolders, 3 levels deep), inputs first. Per-network archives of a population and an
    /// analysis' per-network point files are not results of their own and are passed over.
    public static func find(in path: URL) throws -> Search {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDir) else {
            throw WMError.file(path: path.path, reason: "does not exist")
        }
        var search = Search()
        if !isDir.boolValue {
            guard let a = identify(path) ?? unreadableResults(path) else {
                throw WMError.file(path: path.path, reason: "is not a wmsim result (capacity.json, readout_curve.json, stats.json, optimize.json, trained.json or a results .jsonl)")
            }
            search.artefacts = [a]
            // A sweep brings its stats when they are where `wmsim stats` puts them by default.
            let stats = URL(fileURLWithPath: path.deletingPathExtension().path + "-stats").appendingPathComponent("stats.json")
            if case .sweep = a, let s = identify(stats) { search.artefacts.append(s) }
            return search
        }
        var shards = 0
        func walk(_ dir: URL, depth: Int) {
            guard depth <= 3, let items = try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles]) else { return }
            let names = Set(items.map(\.lastPathComponent))
            for item in items.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
                let name = item.lastPathComponent
                if (try? item.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                    // A population's archives (networks/ beside population.json) and an analysis'
                    // fixed points (<stem>-points/) belong to the results next to them.
                    if name == "networks" && names.contains("population.json") { continue }
                    if name.hasSuffix("-points") { continue }
                    walk(item, depth: depth + 1)
                } else if isShard(name) {
                    if identify(item) != nil { shards += 1 }
                } else if let a = identify(item) ?? unreadableResults(item) {
                    search.artefacts.append(a)
                }
            }
        }
        walk(path, depth: 0)
        if shards > 0 { search.notes.append("\(shards) shard file(s) in \(path.path) are not shown: the merged results are (wmsim merge)") }
        if search.artefacts.isEmpty { search.notes.append("no wmsim results in \(path.path)") }
        search.artefacts = search.artefacts.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }.map(\.element)
        return search
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
            if doc["result"]["kind"].string == ReadoutCurveResult.resultKind && doc["provenance"].exists { return .readoutCurve(file) }
            if doc["result"]["spec"]["maxLag"].exists && doc["provenance"].exists { return .capacity(file) }
            return nil
        }
        // A results file starts with its JSON header; anything else (a binary, a log) is not read.
        guard name.hasSuffix(".jsonl") || !name.contains("."), startsWithBrace(file), let kind = try? resultsFileKind(file) else { return nil }
        switch kind {
        case SweepSpec.resultsKind: return .sweep(file)
        case TrainingPopulationSpec.resultsKind: return .trainingPopulation(file)
        case AnalysisSpec.resultsKind: return .analysis(file)
        default: return nil
        }
    }

    static func startsWithBrace(_ file: URL) -> Bool {
        guard let h = FileHandle(forReadingAtPath: file.path) else { return false }
        defer { try? h.close() }
        return (try? h.read(upToCount: 1)) == Data("{".utf8)
    }

    /// A file with the name of a wmsim output that does not read as one.
    static func unreadableResults(_ file: URL) -> ReportArtefact? {
        let name = file.lastPathComponent
        if knownJSON.contains(name) {
            if (try? JSONNode.read(file, source: name)) == nil { return .unreadable(file, "not valid JSON (a truncated or unfinished file?)") }
            return .unreadable(file, "does not hold the fields of a wmsim \(name)")
        }
        if name == "results.jsonl" || name == "analysis.jsonl" {
            let why = (try? resultsFileKind(file)).map { "holds results of kind \($0), which a report does not show" }
            return .unreadable(file, why ?? "its first line is not a wmsim results header (a truncated or foreign file?)")
        }
        return nil
    }
}
