// Errors of the array I/O layer (NPY, CSV); every message names the file.

import Foundation

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
