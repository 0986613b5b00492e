import Foundation
import WMCore

/// A specification whose results are rows of a JSON Lines file, one per (point, replicate) unit.
public protocol ResultsSpec: Codable, Sendable {
    /// The `kind` of its files' headers ("capacity-sweep", "training-population").
    static var resultsKind: String { get }
    /// What one file holds, in messages ("sweep", "population").
    static var resultsNoun: String { get }
    /// A short stable identity; a file holds the results of one fingerprint only.
    var fingerprint: String { get }
    /// Sorted-key JSON of the spec (the fingerprint's input; compared to explain a mismatch).
    var canonicalJSON: String { get }
    /// Every unit of the plan, in plan order.
    func units() throws -> [SweepUnit]
}

/// The first line of a results file: which run wrote it. `kind` tells the kinds of files apart.
public struct ResultsHeader<Spec: ResultsSpec>: Codable, Sendable {
    public var type = "header"
    public var kind: String = Spec.resultsKind
    public var fingerprint: String
    public var spec: Spec
    /// The shard this file holds (nil: all units, or a merge of all shards).
    public var shard: SweepShard?
    public var tool = "wmsim"
    public var version = WMSimVersion.string
    public var created: String
    /// The command line and the host of the process that created the file (nil in older files;
    /// each row records the backend it ran on, as shards may run on different nodes).
    public var command: [String]?
    public var host: String?
    /// The git commit of the wmsim that created the file (nil outside a checkout and in older files).
    public var commit: String?

    /// The header kind of `Spec`'s files.
    public static var kind: String { Spec.resultsKind }

    public init(spec: Spec, shard: SweepShard?) {
        fingerprint = spec.fingerprint
        self.spec = spec
        self.shard = shard
        created = ISO8601DateFormatter().string(from: Date())
        command = CommandLine.arguments
        host = ProcessInfo.processInfo.hostName
        commit = SourceRevision.current
    }

    enum CodingKeys: String, CodingKey { case type, kind, fingerprint, spec, shard, tool, version, created, command, host, commit }

    /// Files written before headers named their kind hold capacity sweeps; the kind is checked
    /// before the header is decoded (`resultsFileKind`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? Spec.resultsKind
        fingerprint = try c.decode(String.self, forKey: .fingerprint)
        spec = try c.decode(Spec.self, forKey: .spec)
        shard = try c.decodeIfPresent(SweepShard.self, forKey: .shard)
        tool = try c.decodeIfPresent(String.self, forKey: .tool) ?? "wmsim"
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
        created = try c.decodeIfPresent(String.self, forKey: .created) ?? ""
        command = try c.decodeIfPresent([String].self, forKey: .command)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        commit = try c.decodeIfPresent(String.self, forKey: .commit)
    }
}

/// One line after the header: the result of one unit.
public protocol ResultsRow: Codable, Sendable {
    var fingerprint: String { get }
    var unit: SweepUnit { get }
    /// Whether two rows of the same unit carry the same result (a merge warns when not).
    func sameResult(as other: Self) -> Bool
    /// The unit could not be computed (the row holds an error, e.g. out of memory, not a result).
    /// A rerun with `retryErrors` computes it again, and the later row replaces this one.
    var isError: Bool { get }
    /// Where the row was computed (`BackendInfo.label`); nil in files written before rows said so.
    var backend: String? { get }
}

/// The kind of results file at `url`, read from its header ("capacity-sweep" when a header has none:
/// files written before kinds existed are sweeps).
public func resultsFileKind(_ url: URL) throws -> String {
    struct Probe: Decodable { var type: String; var kind: String? }
    guard let p = try? JSONDecoder().decode(Probe.self, from: try resultsFirstLine(url)), p.type == "header" else {
        throw notAResultsHeader(url)
    }
    return p.kind ?? SweepSpec.resultsKind
}

/// The header of the results file at `url` alone, without reading its rows; refuses a file of
/// another kind than `Spec`'s.
public func resultsHeader<Spec: ResultsSpec>(_ url: URL, as: Spec.Type) throws -> ResultsHeader<Spec> {
    let kind = try resultsFileKind(url)
    guard kind == Spec.resultsKind else {
        throw WMError.file(path: url.path, reason: "holds \(kind) results, not \(Spec.resultsKind)")
    }
    do { return try ResultsJSON.decoder().decode(ResultsHeader<Spec>.self, from: try resultsFirstLine(url)) } catch let e as WMError { throw e } catch {
        throw notAResultsHeader(url)
    }
}

private func notAResultsHeader(_ url: URL) -> WMError {
    WMError.file(path: url.path, reason: "the first line is not a wmsim results header; is this a results file (.jsonl of wmsim sweep or train)?")
}

/// The first line of a file (at most 64 MiB of it).
private func resultsFirstLine(_ url: URL) throws -> Data {
    guard let h = FileHandle(forReadingAtPath: url.path) else { throw WMError.file(path: url.path, reason: "cannot read") }
    defer { try? h.close() }
    var data = Data()
    while let chunk = try? h.read(upToCount: 1 << 16), !chunk.isEmpty {
        if let nl = chunk.firstIndex(of: 0x0A) { data.append(chunk[chunk.startIndex..<nl]); break }
        data.append(chunk)
        if data.count > 64 << 20 { break }
    }
    return data
}

/// A results file (JSON Lines: a header, then one row per unit), read tolerantly: a broken line is
/// skipped with a warning and everything else is kept.
public struct ResultsFile<Spec: ResultsSpec, Row: ResultsRow>: Sendable {
    public var header: ResultsHeader<Spec>
    public var rows: [Row]
    /// What was skipped and why ("line 14: truncated …").
    public var warnings: [String]
    /// Byte length of the file up to the end of its last complete, valid line.
    public var validLength: Int
    /// Whether the file ends in a broken (typically truncated) line.
    public var brokenTail: Bool

    /// Units present (first occurrence wins, except that a result replaces an earlier error row).
    public var units: Set<SweepUnit> { Set(rows.map(\.unit)) }

    /// The units a resumed run skips: every unit with a row, or with `retryErrors` only those
    /// whose row is a result.
    public func completedUnits(retryErrors: Bool) -> Set<SweepUnit> {
        Set(rows.filter { !retryErrors || !$0.isError }.map(\.unit))
    }

    /// Reads `url`. Throws when the file is missing, empty or its first line is not a sweep header.
    public static func read(_ url: URL) throws -> ResultsFile {
        let data: Data
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            let inside = url.appendingPathComponent("results.jsonl")
            throw WMError.file(path: url.path, reason: "is a folder, not a results file"
                               + (FileManager.default.fileExists(atPath: inside.path) ? "; did you mean \(inside.path)?" : ""))
        }
        do { data = try Data(contentsOf: url) } catch {
            throw WMError.file(path: url.path, reason: FileManager.default.fileExists(atPath: url.path) ? "cannot read it" : "does not exist")
        }
        let bytes = [UInt8](data)
        var lines: [(range: Range<Int>, terminated: Bool)] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            lines.append((start..<i, true))
            start = i + 1
        }
        if start < bytes.count { lines.append((start..<bytes.count, false)) }
        guard let first = lines.first else { throw WMError.file(path: url.path, reason: "empty file; not a sweep results file") }
        let dec = ResultsJSON.decoder()
        let kind = try resultsFileKind(url)
        guard kind == Spec.resultsKind else {
            throw WMError.file(path: url.path, reason: "holds \(kind) results, not \(Spec.resultsKind) results")
        }
        let header: ResultsHeader<Spec>
        do {
            header = try dec.decode(ResultsHeader<Spec>.self, from: Data(bytes[first.range]))
        } catch {
            throw WMError.file(path: url.path, reason: "the first line is not a wmsim \(Spec.resultsKind) header (\(error is WMError ? "\(error)" : "not valid JSON")); is this a results file?")
        }
        var rows: [Row] = []
        var warnings: [String] = []
        var seen = Set<SweepUnit>()
        // The units the header's spec plans: a row of any other (point, replicate) was not written
        // by this run and would index past the plan in merge, stats and resume. A spec this
        // version cannot plan is not checked here; whoever plans it reports why.
        let planned = try? Set(header.spec.units())
        var validLength = first.range.upperBound + (first.terminated ? 1 : 0)
        var brokenTail = !first.terminated
        for (li, line) in lines.enumerated().dropFirst() {
            let isLast = li == lines.count - 1
            let text = bytes[line.range]
            if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                if line.terminated { validLength = line.range.upperBound + 1 }
                continue
            }
            do {
                guard line.terminated else { throw WMError.file(path: url.path, reason: "no line end") }
                let row = try dec.decode(Row.self, from: Data(text))
                // The stored fingerprint, or the spec's as this version computes it (rows appended
                // on resume carry that one when an older wmsim wrote the header).
                guard row.fingerprint == header.fingerprint || row.fingerprint == header.spec.fingerprint else {
                    warnings.append("line \(li + 1): a row of another run (fingerprint \(row.fingerprint), file \(header.fingerprint)); skipped")
                    validLength = line.range.upperBound + 1
                    continue
                }
                if let planned, !planned.contains(row.unit) {
                    warnings.append("line \(li + 1): point \(row.unit.point) replicate \(row.unit.replicate) is not in this \(Spec.resultsNoun)'s plan (\(planned.count) networks); skipped")
                    validLength = line.range.upperBound + 1
                    continue
                }
                if seen.insert(row.unit).inserted { rows.append(row) } else if let k = rows.firstIndex(where: { $0.unit == row.unit }), rows[k].isError {
                    rows[k] = row   // a retry (--retry-errors) of a unit that had failed
                } else if !row.isError {
                    warnings.append("line \(li + 1): point \(row.unit.point) replicate \(row.unit.replicate) appears twice; the first is kept")
                }
                validLength = line.range.upperBound + 1
                brokenTail = false
            } catch {
                if isLast {
                    warnings.append("line \(li + 1): truncated or corrupt last line (\(text.count) bytes) skipped; the run that wrote it was probably interrupted")
                    brokenTail = true
                } else {
                    warnings.append("line \(li + 1): corrupt line skipped")
                    validLength = line.range.upperBound + 1
                }
            }
        }
        return ResultsFile(header: header, rows: rows, warnings: warnings, validLength: validLength, brokenTail: brokenTail)
    }

    /// A note for a run about to resume this file on `current` when rows were computed on another
    /// backend (nil when all known backends match). Rows of different backends agree within the
    /// parity tolerances, not bit for bit, so this is said, never refused.
    public func otherBackendNote(current: BackendInfo, path: String) -> String? {
        var others: [String: Int] = [:]
        for r in rows { if let b = r.backend, b != current.label { others[b, default: 0] += 1 } }
        guard !others.isEmpty else { return nil }
        let list = others.sorted { $0.key < $1.key }.map { "\($0.value) on \($0.key)" }.joined(separator: ", ")
        return "note: \(path) holds rows computed on another backend (\(list)); this run uses \(current.label). "
            + "The rows are kept: backends agree within their parity tolerances, not bit for bit, and every row records where it ran (\"backend\")"
    }

    /// Why a file of spec `other` cannot hold results of `spec`: the top-level keys whose values
    /// differ (nil when the fingerprints agree).
    public static func mismatch(_ spec: Spec, _ other: Spec) -> String? {
        guard spec.fingerprint != other.fingerprint else { return nil }
        func object(_ s: Spec) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(s.canonicalJSON.utf8))) as? [String: Any] ?? [:]
        }
        let a = object(spec), b = object(other)
        var diffs: [String] = []
        for key in Set(a.keys).union(b.keys).sorted() {
            let va = a[key], vb = b[key]
            if let oa = va as? [String: Any], let ob = vb as? [String: Any] {
                for k in Set(oa.keys).union(ob.keys).sorted() where !same(oa[k], ob[k]) { diffs.append("\(key).\(k)") }
            } else if !same(va, vb) { diffs.append(key) }
        }
        return diffs.isEmpty ? "a different specification" : "they differ in " + diffs.joined(separator: ", ")
    }

    private static func same(_ a: Any?, _ b: Any?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        let da = try? JSONSerialization.data(withJSONObject: ["v": a], options: .sortedKeys)
        let db = try? JSONSerialization.data(withJSONObject: ["v": b], options: .sortedKeys)
        return da == db
    }
}

/// Appends rows to a results file, flushing every batch to disk so an interruption loses at most
/// the batch in flight. The writer holds an exclusive `flock` on the file while it lives, so a
/// second process (a requeued SLURM task, the same shard started twice) is refused instead of
/// interleaving lines.
public final class ResultsFileWriter<Spec: ResultsSpec, Row: ResultsRow> {
    let handle: FileHandle
    public let url: URL

    /// Creates `url` with `header` (refusing an existing file) and locks it.
    init(creating url: URL, header: ResultsHeader<Spec>) throws {
        self.url = url
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch { throw WMError.file(path: url.path, reason: "cannot create its folder: \(error.localizedDescription)") }
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw WMError.file(path: url.path, reason: errno == EEXIST ? "appeared while this run started (another process is writing it?)" : "cannot create the results file (errno \(errno))")
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try Self.lock(handle, url)
        do {
            try handle.write(contentsOf: try ResultsJSON.line(header))
            try handle.synchronize()
        } catch { throw WMError.file(path: url.path, reason: "cannot write the header: \(error.localizedDescription)") }
    }

    /// Continues the locked file `handle` after the valid part of `existing` (dropping a broken tail).
    init(continuing handle: FileHandle, url: URL, existing ex: ResultsFile<Spec, Row>) throws {
        self.url = url
        self.handle = handle
        do {
            try handle.truncate(atOffset: UInt64(ex.validLength))
            if ex.validLength > 0 {
                try handle.seek(toOffset: UInt64(ex.validLength - 1))
                if handle.readData(ofLength: 1) != Data([0x0A]) { try handle.seekToEnd(); try handle.write(contentsOf: Data([0x0A])) }
            }
            try handle.seekToEnd()
        } catch { throw WMError.file(path: url.path, reason: "cannot open for appending: \(error.localizedDescription)") }
    }

    /// Takes the exclusive lock or refuses.
    static func lock(_ handle: FileHandle, _ url: URL) throws {
        guard flock(handle.fileDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw WMError.file(path: url.path, reason: "is being written by another process (it holds the file's lock); wait for it or choose another --out")
        }
    }

    /// Writes rows and syncs them to disk.
    public func append(_ rows: [Row]) throws {
        var data = Data()
        for r in rows { data.append(try ResultsJSON.line(r)) }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            throw WMError.file(path: url.path, reason: "cannot append results: \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }
}

extension ResultsFile {
    /// Opens `output` for the results of `spec` (shard `shard`): the rows it already holds when it
    /// exists and belongs to this spec and shard, and a writer that appends after them.
    public static func resume(_ output: URL, spec: Spec, shard: SweepShard?) throws -> (existing: ResultsFile?, writer: ResultsFileWriter<Spec, Row>) {
        guard FileManager.default.fileExists(atPath: output.path) else {
            return (nil, try ResultsFileWriter<Spec, Row>(creating: output, header: ResultsHeader(spec: spec, shard: shard)))
        }
        // Lock first, then read: what is read is what this writer continues.
        let handle: FileHandle
        do { handle = try FileHandle(forUpdating: output) } catch {
            throw WMError.file(path: output.path, reason: "cannot open for appending: \(error.localizedDescription)")
        }
        try ResultsFileWriter<Spec, Row>.lock(handle, output)
        let ex = try read(output)
        if let why = mismatch(spec, ex.header.spec) {
            throw WMError.file(path: output.path, reason: "holds results of a different \(Spec.resultsNoun) (fingerprint \(ex.header.fingerprint), this \(Spec.resultsNoun) \(spec.fingerprint)): \(why). Results of different \(Spec.resultsNoun)s are never mixed; choose another --out or remove the file")
        }
        guard ex.header.shard == shard else {
            throw WMError.file(path: output.path, reason: "holds shard \(ex.header.shard?.description ?? "all") of this \(Spec.resultsNoun), not \(shard?.description ?? "all"); choose another --out")
        }
        return (ex, try ResultsFileWriter<Spec, Row>(continuing: handle, url: output, existing: ex))
    }
}

/// JSON Lines coding shared by the results files (NaN and ±∞ as strings).
enum ResultsJSON {
    static func encoder() -> JSONEncoder { ResultWriter.encoder(pretty: false) }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }

    static func line<T: Encodable>(_ v: T) throws -> Data {
        var d = try encoder().encode(v)
        d.append(0x0A)
        return d
    }
}
