// Streaming NPY writer: the shape is fixed up front, the data arrive in chunks, and the
// file appears under its final name only when `finish()` has checked the element count.

import Foundation

/// Writes an NPY array whose full shape is known up front, appending its elements
/// (C order) in chunks, so that arrays larger than memory can be written.
///
/// Data go to a temporary file in the destination folder; `finish()` checks that exactly
/// `count` elements were appended, flushes and renames the file into place. A writer
/// that is dropped without a successful `finish()` closes and deletes its temporary file,
/// so no partial file ever appears under the final name.
///
/// Not thread-safe: use one writer from one thread (or serialise calls).
public final class NPYStreamWriter {
    /// Final destination of the file.
    public let url: URL
    /// Shape of the complete array.
    public let shape: [Int]
    /// Element type of the array.
    public let dtype: NPYDType
    /// Number of elements the array holds (product of `shape`).
    public let count: Int
    /// Number of elements appended so far.
    public private(set) var written: Int = 0
    /// Whether `finish()` has completed successfully.
    public private(set) var isFinished = false

    private var file: AtomicFileWriter?
    private var buffer: [UInt8] = []
    private let bufferCapacity: Int

    /// Creates the temporary file and writes the header.
    ///
    /// - Parameters:
    ///   - url: Final path of the `.npy` file (replaced atomically by `finish()` if it exists).
    ///   - shape: Full shape of the array; `[]` is a 0-d scalar.
    ///   - dtype: Element type; `append` accepts only the matching Swift type.
    ///   - bufferBytes: Small appends are gathered in a buffer of this size before being written.
    public init(url: URL, shape: [Int], dtype: NPYDType = .float32, bufferBytes: Int = 1 << 22) throws {
        guard let n = NPY.elementCount(shape), !n.multipliedReportingOverflow(by: dtype.itemSize).overflow else {
            throw ArrayIOError.invalidShape(path: url.path, shape: shape)
        }
        self.url = url
        self.shape = shape
        self.dtype = dtype
        self.count = n
        self.bufferCapacity = max(0, bufferBytes)
        let file = try AtomicFileWriter(url: url)
        let header = NPY.headerBytes(dtype: dtype, shape: shape)
        try header.withUnsafeBytes { try file.write($0) }
        self.file = file
        buffer.reserveCapacity(bufferCapacity)
    }

    deinit {
        file?.abort()
    }

    /// Appends elements in C order. `T` must match `dtype` (e.g. `Float` for `.float32`).
    /// Throws, and writes nothing, if the elements would exceed `count`.
    public func append<T: NPYElement>(_ values: UnsafeBufferPointer<T>) throws {
        guard T.npyDType == dtype else {
            throw ArrayIOError.dtypeMismatch(path: url.path, expected: dtype, actual: T.npyDType)
        }
        try appendRaw(UnsafeRawBufferPointer(values), elements: values.count)
    }

    /// Appends elements in C order. `T` must match `dtype`.
    public func append<T: NPYElement>(_ values: [T]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    /// Appends elements in C order. `T` must match `dtype`.
    public func append<T: NPYElement>(_ values: ArraySlice<T>) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    private func appendRaw(_ bytes: UnsafeRawBufferPointer, elements: Int) throws {
        guard let file else {
            throw ArrayIOError.invalidState(
                path: url.path, reason: isFinished ? "append after finish()" : "append after a failed write")
        }
        guard elements <= count - written else {
            throw ArrayIOError.shapeMismatch(path: url.path, shape: shape, elementCount: written + elements)
        }
        do {
            if buffer.count + bytes.count > bufferCapacity { try flush(file) }
            if bytes.count >= bufferCapacity {
                try file.write(bytes)
            } else {
                buffer.append(contentsOf: bytes)
            }
        } catch {
            // The file content is now unknown: give it up so that nothing half-written survives.
            self.file = nil
            file.abort()
            throw error
        }
        written += elements
    }

    private func flush(_ file: AtomicFileWriter) throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try file.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Checks that exactly `count` elements were appended, then flushes and renames the
    /// file into place. On a count mismatch it throws `shapeMismatch` and leaves the writer
    /// open (more elements may still be appended); dropping it then removes the temporary file.
    public func finish() throws {
        guard let file else {
            throw ArrayIOError.invalidState(
                path: url.path, reason: isFinished ? "finish() called twice" : "finish() after a failed write")
        }
        guard written == count else {
            throw ArrayIOError.shapeMismatch(path: url.path, shape: shape, elementCount: written)
        }
        self.file = nil
        do {
            try flush(file)
            try file.commit()
        } catch {
            file.abort()
            throw error
        }
        buffer = []
        isFinished = true
    }

    /// Abandons the file: closes and deletes the temporary file. The final path is not touched.
    public func cancel() {
        file?.abort()
        file = nil
        buffer = []
    }
}
