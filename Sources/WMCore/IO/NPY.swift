// NumPy `.npy` array files: reading (format versions 1.0, 2.0 and 3.0) and atomic
// writing (version 1.0, or 2.0 when the header does not fit in 64 KiB).
//
// Only little-endian, C-order arrays of the dtypes in `NPYDType` are handled.
// Format reference: numpy/lib/format.py (NEP 1).

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Reading and writing

/// Reading and atomic writing of NumPy `.npy` files.
public enum NPY {
    /// The six magic bytes every NPY file starts with.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    /// Alignment of the data section (NumPy's `ARRAY_ALIGN`).
    static let alignment = 64
    /// Spare header space NumPy reserves for growing the first axis (`GROWTH_AXIS_MAX_DIGITS`).
    static let growthAxisMaxDigits = 21
    /// Largest header accepted when reading (guards against garbage lengths).
    static let maxHeaderLength = 1 << 24

    /// Number of elements of `shape` (1 for `[]`), or nil for a negative dimension or overflow.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { return nil }
            n = p
        }
        return n
    }

    /// Python tuple notation of a shape: `()`, `(3,)`, `(2, 3)`.
    static func shapeString(_ shape: [Int]) -> String {
        switch shape.count {
        case 0: return "()"
        case 1: return "(\(shape[0]),)"
        default: return "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
    }

    /// The complete header (magic, version, length, dictionary, padding, newline) exactly as
    /// `numpy.save` writes it: version 1.0 unless the header needs more than 65535 bytes.
    static func headerBytes(dtype: NPYDType, shape: [Int]) -> [UInt8] {
        var dict = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': \(shapeString(shape)), }"
        if let first = shape.first {
            dict += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(first).utf8.count))
        }
        let body = Array(dict.utf8)
        for (major, lengthBytes) in [(UInt8(1), 2), (UInt8(2), 4)] {
            let prefix = magic.count + 2 + lengthBytes
            let hlen = body.count + 1
            let pad = alignment - (prefix + hlen) % alignment
            let total = hlen + pad
            if lengthBytes == 2 && total > Int(UInt16.max) { continue }
            var out = magic + [major, 0]
            out.reserveCapacity(prefix + total)
            for k in 0..<lengthBytes { out.append(UInt8(truncatingIfNeeded: total >> (8 * k))) }
            out += body
            out += [UInt8](repeating: 0x20, count: pad)
            out.append(0x0A)
            return out
        }
        return []  // unreachable: a version 2.0 length field holds any header we can build
    }

    // MARK: Writing

    /// Writes `values` as a float32 array of the given shape. Atomic: the file appears complete or not at all.
    public static func write(_ values: [Float], shape: [Int], to url: URL) throws {
        try writeElements(values, shape: shape, to: url)
    }

    /// Writes `values` as a float64 array of the given shape. Atomic.
    public static func write(_ values: [Double], shape: [Int], to url: URL) throws {
        try writeElements(values, shape: shape, to: url)
    }

    /// Writes `values` as an int32 array of the given shape. Atomic.
    public static func write(_ values: [Int32], shape: [Int], to url: URL) throws {
        try writeElements(values, shape: shape, to: url)
    }

    /// Writes `values` as an int64 array of the given shape. Atomic.
    public static func write(_ values: [Int64], shape: [Int], to url: URL) throws {
        try writeElements(values, shape: shape, to: url)
    }

    /// Writes `values` as a uint16 array of the given shape. Atomic.
    public static func write(_ values: [UInt16], shape: [Int], to url: URL) throws {
        try writeElements(values, shape: shape, to: url)
    }

    /// Writes `values` as a uint32 array of the given shape. Atomic.
    public static func write(_ values: [UInt32], shape: [Int], to url: URL) throws {
        try writeElements(values, shape: shape, to: url)
    }

    /// Writes `values` as a uint8 array of the given shape. Atomic.
    public static func write(_ values: [UInt8], shape: [Int], to url: URL) throws {
        try writeElements(values, shape: shape, to: url)
    }

    /// Writes an `NPYArray` (its byte count must match shape and dtype). Atomic.
    public static func write(_ array: NPYArray, to url: URL) throws {
        let path = url.path
        guard let n = elementCount(array.shape) else {
            throw ArrayIOError.invalidShape(path: path, shape: array.shape)
        }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: array.dtype.itemSize)
        guard !overflow else { throw ArrayIOError.invalidShape(path: path, shape: array.shape) }
        guard bytes == array.data.count else {
            throw ArrayIOError.shapeMismatch(
                path: path, shape: array.shape, elementCount: array.data.count / array.dtype.itemSize)
        }
        try array.data.withUnsafeBytes { raw in
            try writeRaw(raw, dtype: array.dtype, shape: array.shape, to: url)
        }
    }

    /// Generic form of the typed `write` overloads.
    public static func writeElements<T: NPYElement>(_ values: [T], shape: [Int], to url: URL) throws {
        guard let n = elementCount(shape) else {
            throw ArrayIOError.invalidShape(path: url.path, shape: shape)
        }
        guard n == values.count else {
            throw ArrayIOError.shapeMismatch(path: url.path, shape: shape, elementCount: values.count)
        }
        try values.withUnsafeBytes { raw in
            try writeRaw(raw, dtype: T.npyDType, shape: shape, to: url)
        }
    }

    private static func writeRaw(
        _ raw: UnsafeRawBufferPointer, dtype: NPYDType, shape: [Int], to url: URL
    ) throws {
        let file = try AtomicFileWriter(url: url)
        let header = headerBytes(dtype: dtype, shape: shape)
        try header.withUnsafeBytes { try file.write($0) }
        try file.write(raw)
        try file.commit()
    }

    // MARK: Reading

    /// Reads the header of an NPY file without reading its data.
    public static func readHeader(_ url: URL) throws -> NPYHeader {
        let path = url.path
        let file = try ReadFile(path: path)
        return try readHeader(file, path: path)
    }

    /// Reads a whole NPY file (versions 1.0, 2.0 and 3.0; little-endian, C order).
    public static func read(_ url: URL) throws -> NPYArray {
        let path = url.path
        let file = try ReadFile(path: path)
        let header = try readHeader(file, path: path)
        let (bytes, overflow) = header.count.multipliedReportingOverflow(by: header.dtype.itemSize)
        guard !overflow else { throw ArrayIOError.invalidShape(path: path, shape: header.shape) }
        if let size = file.size, size - header.dataOffset < bytes {
            throw ArrayIOError.truncated(
                path: path, expectedBytes: bytes, actualBytes: max(0, size - header.dataOffset))
        }
        var got = 0
        let data = try [UInt8](unsafeUninitializedCapacity: bytes) { buf, initialized in
            got = try file.read(into: UnsafeMutableRawBufferPointer(buf), at: header.dataOffset)
            initialized = got
        }
        guard got == bytes else {
            throw ArrayIOError.truncated(path: path, expectedBytes: bytes, actualBytes: got)
        }
        var array = NPYArray(shape: header.shape, dtype: header.dtype, data: data)
        array.sourcePath = path
        return array
    }

    private static func readHeader(_ file: ReadFile, path: String) throws -> NPYHeader {
        var prefix = [UInt8](repeating: 0, count: 12)
        let n = try prefix.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        let checked = min(n, magic.count)
        guard prefix[0..<checked].elementsEqual(magic[0..<checked]), n > 0 else {
            if n == 0 { throw ArrayIOError.truncated(path: path, expectedBytes: 10, actualBytes: 0) }
            throw ArrayIOError.badMagic(path: path)
        }
        guard n >= 8 else { throw ArrayIOError.truncated(path: path, expectedBytes: 10, actualBytes: n) }
        let major = prefix[6], minor = prefix[7]
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default: throw ArrayIOError.unsupportedVersion(path: path, major: major, minor: minor)
        }
        let start = 8 + lengthBytes
        guard n >= start else {
            throw ArrayIOError.truncated(path: path, expectedBytes: start, actualBytes: n)
        }
        var hlen = 0
        for k in 0..<lengthBytes { hlen |= Int(prefix[8 + k]) << (8 * k) }
        guard hlen <= maxHeaderLength else {
            throw ArrayIOError.badHeader(path: path, reason: "header length \(hlen) is implausibly large")
        }
        var headerBytes = [UInt8](repeating: 0, count: hlen)
        let got = try headerBytes.withUnsafeMutableBytes { try file.read(into: $0, at: start) }
        guard got == hlen else {
            throw ArrayIOError.truncated(path: path, expectedBytes: start + hlen, actualBytes: start + got)
        }
        let text: String
        if major == 3 {
            guard let s = String(bytes: headerBytes, encoding: .utf8) else {
                throw ArrayIOError.badHeader(path: path, reason: "header is not valid UTF-8")
            }
            text = s
        } else {
            text = String(headerBytes.map { Character(Unicode.Scalar($0)) })  // latin-1
        }
        let (dtype, shape) = try parseHeaderDictionary(text, path: path)
        guard let count = elementCount(shape) else {
            throw ArrayIOError.invalidShape(path: path, shape: shape)
        }
        return NPYHeader(
            version: (major, minor), shape: shape, dtype: dtype, dataOffset: start + hlen, count: count)
    }

    /// Parses the Python dictionary literal of an NPY header into dtype and shape.
    static func parseHeaderDictionary(_ text: String, path: String) throws -> (NPYDType, [Int]) {
        var parser = PyLiteralParser(text: text)
        let value: PyLiteralParser.Value
        do {
            value = try parser.parseDocument()
        } catch let e as PyLiteralParser.Failure {
            throw ArrayIOError.badHeader(path: path, reason: e.message)
        }
        guard case .dict(let entries) = value else {
            throw ArrayIOError.badHeader(path: path, reason: "header is not a dictionary")
        }
        var descr: PyLiteralParser.Value?
        var fortran: PyLiteralParser.Value?
        var shapeValue: PyLiteralParser.Value?
        for (key, v) in entries {
            switch key {
            case "descr": descr = v
            case "fortran_order": fortran = v
            case "shape": shapeValue = v
            default:
                throw ArrayIOError.badHeader(path: path, reason: "unexpected key '\(key)'")
            }
        }
        guard let descr, let fortran, let shapeValue else {
            throw ArrayIOError.badHeader(
                path: path, reason: "the keys 'descr', 'fortran_order' and 'shape' are all required")
        }
        let dtype: NPYDType
        switch descr {
        case .string(let s): dtype = try NPYDType.parse(descr: s, path: path)
        default: throw ArrayIOError.unsupportedDType(path: path, descr: descr.python)
        }
        guard case .bool(let isFortran) = fortran else {
            throw ArrayIOError.badHeader(path: path, reason: "'fortran_order' must be True or False")
        }
        guard case .tuple(let dims) = shapeValue else {
            throw ArrayIOError.badHeader(path: path, reason: "'shape' must be a tuple of integers")
        }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let v) = d, v >= 0 else {
                throw ArrayIOError.badHeader(
                    path: path, reason: "'shape' must be a tuple of non-negative integers, found \(shapeValue.python)")
            }
            shape.append(v)
        }
        if isFortran { throw ArrayIOError.fortranOrder(path: path) }
        return (dtype, shape)
    }
}
