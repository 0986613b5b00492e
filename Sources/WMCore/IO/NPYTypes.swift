// NPY element types, in-memory arrays and headers.

import Foundation

#if !_endian(little)
#error("WMCore's array I/O reinterprets memory as little-endian data; big-endian hosts are not supported")
#endif

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
