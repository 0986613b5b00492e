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

#if !_endian(little)
#error("WMCore's array I/O reinterprets memory as little-endian data; big-endian hosts are not supported")
#endif

// MARK: - Errors

/// Errors of the array file layer (NPY and delimited text). Every message names the file.
public enum ArrayIOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be opened or created.
    case cannotOpen(path: String, reason: String)
    /// Reading from an open file failed.
    case readFailed(path: String, reason: String)
    /// Writing, flushing or renaming the file failed.
    case writeFailed(path: String, reason: String)
    /// The file does not start with the NPY magic string `\x93NUMPY`.
    case badMagic(path: String)
    /// The NPY format version is not 1.0, 2.0 or 3.0.
    case unsupportedVersion(path: String, major: UInt8, minor: UInt8)
    /// The NPY header dictionary is malformed.
    case badHeader(path: String, reason: String)
    /// The array's dtype descriptor is not one of `NPYDType`.
    case unsupportedDType(path: String, descr: String)
    /// The array is stored big-endian (`>`), which is not supported.
    case bigEndian(path: String, descr: String)
    /// The array is stored in Fortran (column-major) order, which is not supported.
    case fortranOrder(path: String)
    /// The file ends before all the bytes its header announces.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// A shape has a negative dimension or its element count overflows.
    case invalidShape(path: String, shape: [Int])
    /// The number of elements does not match the product of the shape.
    case shapeMismatch(path: String, shape: [Int], elementCount: Int)
    /// Values of one element type were given to a writer or array of another.
    case dtypeMismatch(path: String, expected: NPYDType, actual: NPYDType)
    /// A value cannot be converted exactly to the requested element type.
    case notRepresentable(path: String, index: Int, value: String, target: String)
    /// A delimited-text token could not be used (line and column are 1-based).
    case parseError(path: String, line: Int, column: Int, reason: String)
    /// A delimited-text row has a different number of columns than an earlier one.
    case raggedRow(path: String, line: Int, expectedColumns: Int, foundColumns: Int, referenceLine: Int)
    /// An operation was attempted in the wrong state (for example appending after `finish()`).
    case invalidState(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .cannotOpen(path, _), let .readFailed(path, _), let .writeFailed(path, _),
            let .badMagic(path), let .unsupportedVersion(path, _, _), let .badHeader(path, _),
            let .unsupportedDType(path, _), let .bigEndian(path, _), let .fortranOrder(path),
            let .truncated(path, _, _), let .invalidShape(path, _), let .shapeMismatch(path, _, _),
            let .dtypeMismatch(path, _, _), let .notRepresentable(path, _, _, _),
            let .parseError(path, _, _, _), let .raggedRow(path, _, _, _, _),
            let .invalidState(path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open file: \(reason)"
        case let .readFailed(path, reason):
            return "\(path): read failed: \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): write failed: \(reason)"
        case let .badMagic(path):
            return "\(path): not an NPY file (the file does not start with the magic bytes \\x93NUMPY)"
        case let .unsupportedVersion(path, major, minor):
            return "\(path): unsupported NPY format version \(major).\(minor) (versions 1.0, 2.0 and 3.0 are supported)"
        case let .badHeader(path, reason):
            return "\(path): malformed NPY header: \(reason)"
        case let .unsupportedDType(path, descr):
            let known = NPYDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "\(path): unsupported dtype '\(descr)' (supported: \(known)); convert the array with numpy's astype() before saving"
        case let .bigEndian(path, descr):
            return "\(path): big-endian dtype '\(descr)' is not supported; save the array with a little-endian dtype (numpy: a.astype(a.dtype.newbyteorder('<')))"
        case let .fortranOrder(path):
            return "\(path): array is stored in Fortran order (fortran_order: True), which is not supported; save np.ascontiguousarray(a) instead"
        case let .truncated(path, expected, actual):
            return "\(path): file is truncated: expected \(expected) bytes of data but found \(actual)"
        case let .invalidShape(path, shape):
            return "\(path): invalid shape \(NPY.shapeString(shape)) (negative dimension or too many elements)"
        case let .shapeMismatch(path, shape, count):
            let need = NPY.elementCount(shape).map(String.init) ?? "?"
            return "\(path): shape \(NPY.shapeString(shape)) holds \(need) elements but \(count) were provided"
        case let .dtypeMismatch(path, expected, actual):
            return "\(path): element type mismatch: the array is \(expected.rawValue) but \(actual.rawValue) values were given"
        case let .notRepresentable(path, index, value, target):
            return "\(path): element \(index) (value \(value)) cannot be represented exactly as \(target)"
        case let .parseError(path, line, column, reason):
            return "\(path): line \(line), column \(column): \(reason)"
        case let .raggedRow(path, line, expected, found, reference):
            return "\(path): line \(line) has \(found) columns but line \(reference) has \(expected); all rows must have the same number of columns"
        case let .invalidState(path, reason):
            return "\(path): \(reason)"
        }
    }
}

// MARK: - Element types

/// Element types of NPY arrays handled by WMCore (little-endian or byte-order-free descriptors).
public enum NPYDType: String, Sendable, CaseIterable {
    case float32 = "<f4"
    case float64 = "<f8"
    case int32 = "<i4"
    case int64 = "<i8"
    case uint16 = "<u2"
    case uint32 = "<u4"
    case uint8 = "|u1"

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .uint8: return 1
        case .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64: return 8
        }
    }

    /// Parses a NumPy dtype descriptor such as `"<f4"` or `"|u1"`.
    ///
    /// Accepts the `<` (little-endian) and `|` (byte order not applicable) prefixes;
    /// for one-byte types any byte order mark is accepted. Throws
    /// `ArrayIOError.bigEndian` for `>` multi-byte types and
    /// `ArrayIOError.unsupportedDType` for everything else.
    static func parse(descr: String, path: String) throws -> NPYDType {
        let chars = Array(descr.utf8)
        guard chars.count >= 3, let order = chars.first else {
            throw ArrayIOError.unsupportedDType(path: path, descr: descr)
        }
        let body = String(decoding: chars.dropFirst(), as: UTF8.self)
        let type: NPYDType
        switch body {
        case "f4": type = .float32
        case "f8": type = .float64
        case "i4": type = .int32
        case "i8": type = .int64
        case "u2": type = .uint16
        case "u4": type = .uint32
        case "u1": type = .uint8
        default: throw ArrayIOError.unsupportedDType(path: path, descr: descr)
        }
        switch order {
        case UInt8(ascii: "<"), UInt8(ascii: "|"):
            return type
        case UInt8(ascii: ">"), UInt8(ascii: "="):
            if type.itemSize == 1 { return type }
            if order == UInt8(ascii: ">") { throw ArrayIOError.bigEndian(path: path, descr: descr) }
            throw ArrayIOError.unsupportedDType(path: path, descr: descr)
        default:
            throw ArrayIOError.unsupportedDType(path: path, descr: descr)
        }
    }
}

/// A Swift element type that maps one-to-one onto an `NPYDType`.
public protocol NPYElement: Sendable, BitwiseCopyable {
    /// The NPY dtype with this type's size and layout.
    static var npyDType: NPYDType { get }
}

extension Float: NPYElement { public static var npyDType: NPYDType { .float32 } }
extension Double: NPYElement { public static var npyDType: NPYDType { .float64 } }
extension Int32: NPYElement { public static var npyDType: NPYDType { .int32 } }
extension Int64: NPYElement { public static var npyDType: NPYDType { .int64 } }
extension UInt16: NPYElement { public static var npyDType: NPYDType { .uint16 } }
extension UInt32: NPYElement { public static var npyDType: NPYDType { .uint32 } }
extension UInt8: NPYElement { public static var npyDType: NPYDType { .uint8 } }

// MARK: - Array value

/// An n-dimensional array as stored in an NPY file: shape, element type and the
/// raw little-endian bytes in C (row-major) order.
public struct NPYArray: Sendable {
    /// Dimensions, outermost first. `[]` is a 0-d scalar (one element).
    public var shape: [Int]
    /// Element type of `data`.
    public var dtype: NPYDType
    /// `count * dtype.itemSize` little-endian bytes, C order.
    public var data: [UInt8]
    /// File the array was read from (used in error messages), if any.
    var sourcePath: String?

    /// An array from raw bytes. The byte count is checked by the accessors and by `NPY.write`.
    public init(shape: [Int], dtype: NPYDType, data: [UInt8]) {
        self.shape = shape
        self.dtype = dtype
        self.data = data
        self.sourcePath = nil
    }

    /// An array holding a copy of `values`; throws if `values.count` is not the product of `shape`.
    public init<T: NPYElement>(shape: [Int], values: [T]) throws {
        guard let n = NPY.elementCount(shape) else {
            throw ArrayIOError.invalidShape(path: "<memory>", shape: shape)
        }
        guard n == values.count else {
            throw ArrayIOError.shapeMismatch(path: "<memory>", shape: shape, elementCount: values.count)
        }
        self.init(shape: shape, dtype: T.npyDType, data: values.withUnsafeBytes { Array($0) })
    }

    /// Number of elements (the product of `shape`; 1 for a 0-d scalar, 0 if the shape is invalid).
    public var count: Int { NPY.elementCount(shape) ?? 0 }

    private var pathForErrors: String { sourcePath ?? "<memory>" }

    /// Checks that `data` holds exactly `count` elements of `dtype`.
    private func checkedCount() throws -> Int {
        guard let n = NPY.elementCount(shape) else {
            throw ArrayIOError.invalidShape(path: pathForErrors, shape: shape)
        }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow else { throw ArrayIOError.invalidShape(path: pathForErrors, shape: shape) }
        guard data.count == bytes else {
            throw ArrayIOError.truncated(path: pathForErrors, expectedBytes: bytes, actualBytes: data.count)
        }
        return n
    }

    /// Converts every element to `T`. Integer sources go through `Int64`, which holds
    /// every supported integer type exactly. A `nil` from a conversion is reported as
    /// `ArrayIOError.notRepresentable`.
    private func convert<T: NPYElement>(
        _ target: String,
        fromFloat: (Float) -> T?, fromDouble: (Double) -> T?, fromInt: (Int64) -> T?
    ) throws -> [T] {
        let n = try checkedCount()
        if dtype == T.npyDType {
            return [T](unsafeUninitializedCapacity: n) { dst, initialized in
                data.withUnsafeBytes { src in
                    UnsafeMutableRawBufferPointer(dst).copyMemory(from: src)
                }
                initialized = n
            }
        }
        switch dtype {
        case .float32: return try mapElements(Float.self, n, target) { fromFloat($0) }
        case .float64: return try mapElements(Double.self, n, target) { fromDouble($0) }
        case .int32: return try mapElements(Int32.self, n, target) { fromInt(Int64($0)) }
        case .int64: return try mapElements(Int64.self, n, target) { fromInt($0) }
        case .uint16: return try mapElements(UInt16.self, n, target) { fromInt(Int64($0)) }
        case .uint32: return try mapElements(UInt32.self, n, target) { fromInt(Int64($0)) }
        case .uint8: return try mapElements(UInt8.self, n, target) { fromInt(Int64($0)) }
        }
    }

    private func mapElements<S: NPYElement, T>(
        _: S.Type, _ n: Int, _ target: String, _ f: (S) -> T?
    ) throws -> [T] {
        var failure: (index: Int, value: S)?
        let out = data.withUnsafeBytes { raw in
            [T](unsafeUninitializedCapacity: n) { dst, initialized in
                let stride = MemoryLayout<S>.stride
                for i in 0..<n {
                    let v = raw.loadUnaligned(fromByteOffset: i * stride, as: S.self)
                    guard let t = f(v) else { failure = (i, v); return }
                    dst.initializeElement(at: i, to: t)
                    initialized = i + 1
                }
            }
        }
        if let failure {
            throw ArrayIOError.notRepresentable(
                path: pathForErrors, index: failure.index, value: "\(failure.value)", target: target)
        }
        return out
    }

    /// The elements as `Float`, converting from any dtype (float64 and large integers are rounded).
    public func floats() throws -> [Float] {
        try convert("float32", fromFloat: { $0 }, fromDouble: { Float($0) }, fromInt: { Float($0) })
    }

    /// The elements as `Double`, converting from any dtype (int64 beyond 2^53 is rounded).
    public func doubles() throws -> [Double] {
        try convert("float64", fromFloat: { Double($0) }, fromDouble: { $0 }, fromInt: { Double($0) })
    }

    /// The elements as `Int32`; throws `notRepresentable` for non-integral, non-finite or out-of-range values.
    public func int32s() throws -> [Int32] {
        try convert(
            "int32", fromFloat: { Int32(exactly: $0) }, fromDouble: { Int32(exactly: $0) },
            fromInt: { Int32(exactly: $0) })
    }

    /// The elements as `Int64`; throws `notRepresentable` for non-integral, non-finite or out-of-range values.
    public func int64s() throws -> [Int64] {
        try convert(
            "int64", fromFloat: { Int64(exactly: $0) }, fromDouble: { Int64(exactly: $0) },
            fromInt: { $0 })
    }

    /// The elements as `UInt8`; throws `notRepresentable` for values that do not fit exactly.
    public func uint8s() throws -> [UInt8] {
        try convert(
            "uint8", fromFloat: { UInt8(exactly: $0) }, fromDouble: { UInt8(exactly: $0) },
            fromInt: { UInt8(exactly: $0) })
    }

    /// The elements as `UInt16`; throws `notRepresentable` for values that do not fit exactly.
    public func uint16s() throws -> [UInt16] {
        try convert(
            "uint16", fromFloat: { UInt16(exactly: $0) }, fromDouble: { UInt16(exactly: $0) },
            fromInt: { UInt16(exactly: $0) })
    }

    /// The elements as `UInt32`; throws `notRepresentable` for values that do not fit exactly.
    public func uint32s() throws -> [UInt32] {
        try convert(
            "uint32", fromFloat: { UInt32(exactly: $0) }, fromDouble: { UInt32(exactly: $0) },
            fromInt: { UInt32(exactly: $0) })
    }

    /// The elements converted to `T` with the rules of the matching accessor (`floats()`, `int32s()`, ...).
    public func values<T: NPYElement>(as type: T.Type = T.self) throws -> [T] {
        let any: Any
        switch T.npyDType {
        case .float32: any = try floats()
        case .float64: any = try doubles()
        case .int32: any = try int32s()
        case .int64: any = try int64s()
        case .uint16: any = try uint16s()
        case .uint32: any = try uint32s()
        case .uint8: any = try uint8s()
        }
        guard let out = any as? [T] else {
            throw ArrayIOError.dtypeMismatch(path: pathForErrors, expected: dtype, actual: T.npyDType)
        }
        return out
    }
}

/// The parsed header of an NPY file.
public struct NPYHeader: Sendable, Equatable {
    /// Format version (major, minor) as found in the file.
    public var version: (major: UInt8, minor: UInt8)
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// Element type.
    public var dtype: NPYDType
    /// Byte offset of the first data byte.
    public var dataOffset: Int
    /// Number of elements (product of `shape`).
    public var count: Int

    public static func == (a: NPYHeader, b: NPYHeader) -> Bool {
        a.version == b.version && a.shape == b.shape && a.dtype == b.dtype
            && a.dataOffset == b.dataOffset && a.count == b.count
    }
}

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

// MARK: - Python literal parser (NPY headers)

/// A minimal parser for the Python literals found in NPY headers: dicts, tuples, lists,
/// strings, integers, booleans and None.
struct PyLiteralParser {
    indirect enum Value {
        case dict([(String, Value)])
        case tuple([Value])
        case list([Value])
        case string(String)
        case int(Int)
        case bool(Bool)
        case none

        /// Python-like rendering for error messages.
        var python: String {
            switch self {
            case .dict(let e): return "{" + e.map { "'\($0.0)': \($0.1.python)" }.joined(separator: ", ") + "}"
            case .tuple(let v): return v.count == 1 ? "(\(v[0].python),)" : "(" + v.map(\.python).joined(separator: ", ") + ")"
            case .list(let v): return "[" + v.map(\.python).joined(separator: ", ") + "]"
            case .string(let s): return "'\(s)'"
            case .int(let i): return String(i)
            case .bool(let b): return b ? "True" : "False"
            case .none: return "None"
            }
        }
    }

    struct Failure: Error { var message: String }

    private let chars: [Character]
    private var pos = 0
    private var depth = 0

    init(text: String) { chars = Array(text) }

    /// Parses one literal followed only by whitespace.
    mutating func parseDocument() throws -> Value {
        let v = try parseValue()
        skipSpace()
        guard pos == chars.count else { throw fail("unexpected text after the dictionary") }
        return v
    }

    private func fail(_ what: String) -> Failure {
        Failure(message: "\(what) at character \(pos + 1)")
    }

    private mutating func skipSpace() {
        while pos < chars.count, chars[pos].isWhitespace { pos += 1 }
    }

    private mutating func parseValue() throws -> Value {
        skipSpace()
        guard pos < chars.count else { throw fail("unexpected end of header") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { throw fail("nesting too deep") }
        let c = chars[pos]
        switch c {
        case "{": return try parseDict()
        case "(": return try parseSequence(close: ")").tuple
        case "[": return .list(try parseSequence(close: "]").items)
        case "'", "\"": return .string(try parseString())
        default:
            if c == "-" || c == "+" || c.isASCII && c.isNumber { return .int(try parseInt()) }
            let word = parseWord()
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default: throw fail(word.isEmpty ? "unexpected character '\(c)'" : "unexpected word '\(word)'")
            }
        }
    }

    private mutating func parseWord() -> String {
        var s = ""
        while pos < chars.count, chars[pos].isLetter || chars[pos] == "_" {
            s.append(chars[pos]); pos += 1
        }
        return s
    }

    private mutating func parseInt() throws -> Int {
        var s = ""
        if chars[pos] == "-" || chars[pos] == "+" { s.append(chars[pos]); pos += 1 }
        while pos < chars.count, chars[pos].isASCII, chars[pos].isNumber { s.append(chars[pos]); pos += 1 }
        if pos < chars.count, chars[pos] == "L" || chars[pos] == "l" { pos += 1 }  // Python 2 long
        guard let v = Int(s) else { throw fail("bad integer '\(s)'") }
        return v
    }

    private mutating func parseString() throws -> String {
        let quote = chars[pos]
        pos += 1
        var s = ""
        while pos < chars.count {
            let c = chars[pos]
            pos += 1
            if c == quote { return s }
            if c == "\\" {
                guard pos < chars.count else { break }
                s.append(chars[pos]); pos += 1
            } else {
                s.append(c)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseSequence(close: Character) throws -> (items: [Value], tuple: Value) {
        pos += 1  // opening bracket
        var items: [Value] = []
        var sawComma = false
        while true {
            skipSpace()
            guard pos < chars.count else { throw fail("missing '\(close)'") }
            if chars[pos] == close { pos += 1; break }
            items.append(try parseValue())
            skipSpace()
            guard pos < chars.count else { throw fail("missing '\(close)'") }
            if chars[pos] == "," { pos += 1; sawComma = true; continue }
            guard chars[pos] == close else { throw fail("expected ',' or '\(close)'") }
            pos += 1
            break
        }
        // A parenthesised single value without a comma is just that value, as in Python.
        if close == ")" && items.count == 1 && !sawComma { return (items, items[0]) }
        return (items, .tuple(items))
    }

    private mutating func parseDict() throws -> Value {
        pos += 1  // {
        var entries: [(String, Value)] = []
        while true {
            skipSpace()
            guard pos < chars.count else { throw fail("missing '}'") }
            if chars[pos] == "}" { pos += 1; break }
            guard chars[pos] == "'" || chars[pos] == "\"" else { throw fail("expected a string key") }
            let key = try parseString()
            skipSpace()
            guard pos < chars.count, chars[pos] == ":" else { throw fail("expected ':' after key '\(key)'") }
            pos += 1
            let v = try parseValue()
            if entries.contains(where: { $0.0 == key }) { throw fail("duplicate key '\(key)'") }
            entries.append((key, v))
            skipSpace()
            guard pos < chars.count else { throw fail("missing '}'") }
            if chars[pos] == "," { pos += 1; continue }
            guard chars[pos] == "}" else { throw fail("expected ',' or '}'") }
            pos += 1
            break
        }
        return .dict(entries)
    }
}

// MARK: - POSIX file helpers

/// `strerror` text for an errno value.
func errnoDescription(_ code: Int32) -> String {
    String(cString: strerror(code)) + " (errno \(code))"
}

/// A read-only file descriptor that is closed on deinit.
final class ReadFile {
    let path: String
    private let fd: Int32
    /// File size from fstat, when available.
    let size: Int?

    init(path: String) throws {
        self.path = path
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw ArrayIOError.cannotOpen(path: path, reason: errnoDescription(errno)) }
        self.fd = fd
        var st = stat()
        if fstat(fd, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                throw ArrayIOError.cannotOpen(path: path, reason: "is a directory")
            }
            size = (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : nil
        } else {
            size = nil
        }
    }

    deinit { close(fd) }

    /// Fills `buffer` from byte `offset`; returns the number of bytes read (less only at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let want = min(buffer.count - done, 1 << 30)
            let r = pread(fd, base + done, want, off_t(offset + done))
            if r < 0 {
                if errno == EINTR { continue }
                throw ArrayIOError.readFailed(path: path, reason: errnoDescription(errno))
            }
            if r == 0 { break }
            done += r
        }
        return done
    }

    /// Reads the whole file from the start.
    func readAll() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size ?? 0)
        var chunk = [UInt8](repeating: 0, count: min(max(1 << 16, (size ?? 0) + 1), 1 << 26))
        var offset = 0
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0, at: offset) }
            out.append(contentsOf: chunk[0..<n])
            offset += n
            if n < chunk.count { return out }
        }
    }
}

/// Writes a file atomically: data goes to a hidden temporary file in the destination
/// folder, which `commit()` flushes to disk and renames over the final path. If the
/// writer is dropped (or `abort()` is called) before `commit()`, the temporary file is
/// removed and the final path is untouched.
final class AtomicFileWriter {
    /// Destination path.
    let path: String
    /// Temporary file path (same folder as `path`).
    let tempPath: String
    private var fd: Int32
    private var finished = false

    init(url: URL) throws {
        let path = url.path
        self.path = path
        let dir = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        guard !name.isEmpty, name != "/" else {
            throw ArrayIOError.cannotOpen(path: path, reason: "not a file path")
        }
        var fd: Int32 = -1
        var temp = ""
        for _ in 0..<16 {
            let tag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            temp = (dir.hasSuffix("/") ? dir : dir + "/") + ".\(name).\(getpid()).\(tag).tmp"
            repeat {
                fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o666))
            } while fd < 0 && errno == EINTR
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw ArrayIOError.cannotOpen(
                path: path, reason: "cannot create a temporary file in \(dir): \(errnoDescription(errno))")
        }
        self.fd = fd
        self.tempPath = temp
    }

    deinit { abort() }

    /// Appends bytes to the temporary file.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else {
            throw ArrayIOError.invalidState(path: path, reason: "write after the file was finished or abandoned")
        }
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let r = posixWrite(fd, base + done, min(bytes.count - done, 1 << 30))
            if r < 0 {
                if errno == EINTR { continue }
                throw ArrayIOError.writeFailed(path: path, reason: errnoDescription(errno))
            }
            done += r
        }
    }

    /// Flushes the data to disk and renames the temporary file to the final path.
    func commit() throws {
        guard !finished else {
            throw ArrayIOError.invalidState(path: path, reason: "file was already finished or abandoned")
        }
        finished = true
        var failure: String?
        if fsync(fd) != 0 && errno != EINVAL && errno != EROFS { failure = "fsync: " + errnoDescription(errno) }
        if close(fd) != 0 && failure == nil && errno != EINTR { failure = "close: " + errnoDescription(errno) }
        fd = -1
        if failure == nil && rename(tempPath, path) != 0 { failure = "rename: " + errnoDescription(errno) }
        if let failure {
            unlink(tempPath)
            throw ArrayIOError.writeFailed(path: path, reason: failure)
        }
    }

    /// Closes and removes the temporary file; the final path is not touched. Idempotent.
    func abort() {
        guard !finished else { return }
        finished = true
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(tempPath)
    }
}

/// POSIX `write` (named to avoid the clash with `AtomicFileWriter.write`).
@inline(__always)
private func posixWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ n: Int) -> Int {
    write(fd, buf, n)
}
