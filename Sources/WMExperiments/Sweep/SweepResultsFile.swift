import Foundation
import WMCore

/// A sweep results file (JSON Lines: a header, then one row per measured network), read
/// tolerantly: a broken line is skipped with a warning and everything else is kept.
public struct SweepResults: Sendable {
    public var header: SweepHeader
    public var rows: [SweepRow]
    /// What was skipped and why ("line 14: truncated …").
    public var warnings: [String]
    /// Byte length of the file up to the end of its last complete, valid line.
    public var validLength: Int
    /// Whether the file ends in a broken (typically truncated) line.
    public var brokenTail: Bool

    /// Units present (first occurrence wins).
    public var units: Set<SweepUnit> { Set(rows.map(\.unit)) }

    /// Reads `url`. Throws when the file is missing, empty or its first line is not a sweep header.
    public static func read(_ url: URL) throws -> SweepResults {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw WMError.file(path: url.path, reason: "cannot read: \(error.localizedDescription)")
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
        let dec = SweepJSON.decoder()
        let header: SweepHeader
        do {
            header = try dec.decode(SweepHeader.self, from: Data(bytes[first.range]))
            guard header.type == "header" else { throw WMError.file(path: url.path, reason: "first line is not a header") }
        } catch {
            throw WMError.file(path: url.path, reason: "the first line is not a wmsim sweep header (\(error is WMError ? "\(error)" : "not valid JSON")); is this a sweep results file?")
        }
        var rows: [SweepRow] = []
        var warnings: [String] = []
        var seen = Set<SweepUnit>()
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
                let row = try dec.decode(SweepRow.self, from: Data(text))
                guard row.fingerprint == header.fingerprint else {
                    warnings.append("line \(li + 1): a row of another sweep (fingerprint \(row.fingerprint), file \(header.fingerprint)); skipped")
                    validLength = line.range.upperBound + 1
                    continue
                }
                if seen.insert(row.unit).inserted { rows.append(row) } else {
                    warnings.append("line \(li + 1): point \(row.point) replicate \(row.replicate) appears twice; the first is kept")
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
        return SweepResults(header: header, rows: rows, warnings: warnings, validLength: validLength, brokenTail: brokenTail)
    }

    /// Why a file of sweep `other` cannot hold results of `spec`: the top-level keys whose values
    /// differ (nil when the fingerprints agree).
    public static func mismatch(_ spec: SweepSpec, _ other: SweepSpec) -> String? {
        guard spec.fingerprint != other.fingerprint else { return nil }
        func object(_ s: SweepSpec) -> [String: Any] {
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
        return diffs.isEmpty ? "a different sweep specification" : "they differ in " + diffs.joined(separator: ", ")
    }

    private static func same(_ a: Any?, _ b: Any?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        let da = try? JSONSerialization.data(withJSONObject: ["v": a], options: .sortedKeys)
        let db = try? JSONSerialization.data(withJSONObject: ["v": b], options: .sortedKeys)
        return da == db
    }
}

/// Appends rows to a results file, flushing every batch to disk so an interruption loses at most
/// the batch in flight.
public final class SweepResultsWriter {
    let handle: FileHandle
    public let url: URL

    /// Opens `url` for appending after `validLength` bytes (dropping a broken tail), or creates it
    /// with `header` when it does not exist.
    public init(url: URL, header: SweepHeader, existing: SweepResults?) throws {
        self.url = url
        let fm = FileManager.default
        do {
            if let ex = existing {
                let h = try FileHandle(forUpdating: url)
                try h.truncate(atOffset: UInt64(ex.validLength))
                if ex.validLength > 0 {
                    try h.seek(toOffset: UInt64(ex.validLength - 1))
                    if h.readData(ofLength: 1) != Data([0x0A]) { try h.seekToEnd(); try h.write(contentsOf: Data([0x0A])) }
                }
                try h.seekToEnd()
                handle = h
            } else {
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard fm.createFile(atPath: url.path, contents: try SweepJSON.line(header)) else {
                    throw WMError.file(path: url.path, reason: "cannot create the results file")
                }
                let h = try FileHandle(forWritingTo: url)
                try h.seekToEnd()
                handle = h
            }
        } catch let e as WMError { throw e } catch {
            throw WMError.file(path: url.path, reason: "cannot open for appending: \(error.localizedDescription)")
        }
    }

    /// Writes rows and syncs them to disk.
    public func append(_ rows: [SweepRow]) throws {
        var data = Data()
        for r in rows { data.append(try SweepJSON.line(r)) }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            throw WMError.file(path: url.path, reason: "cannot append results: \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }
}
