import Foundation

/// Where a `DenseMatrix`'s numbers live: host memory (`CPUDenseStorage`) or a device buffer
/// (`OpenCLDenseStorage`). Made only by a `DenseOps`, used only with the ops that made it.
public protocol DenseStorage: AnyObject, Sendable {
    /// Capacity in float32 elements.
    var count: Int { get }
}

/// A row-major float32 matrix: a contiguous range of a `DenseStorage`
/// (`rows × cols` elements starting at element `offset`). A value type view: copying it
/// does not copy the numbers, and views of one storage share them.
public struct DenseMatrix: Sendable {
    public let storage: any DenseStorage
    /// First element, in floats from the start of the storage.
    public let offset: Int
    public let rows: Int
    public let cols: Int
    public var count: Int { rows * cols }

    /// A view; `offset + rows·cols` must fit in the storage.
    public init(storage: any DenseStorage, offset: Int, rows: Int, cols: Int) {
        precondition(offset >= 0 && rows >= 0 && cols >= 0 && offset + rows * cols <= storage.count,
                     "DenseMatrix view [\(offset), +\(rows)×\(cols)) outside a storage of \(storage.count) floats")
        self.storage = storage
        self.offset = offset
        self.rows = rows
        self.cols = cols
    }

    /// Rows `start ..< start + count` (contiguous in row-major order).
    public func rows(_ start: Int, _ count: Int) -> DenseMatrix {
        precondition(start >= 0 && count >= 0 && start + count <= rows, "rows \(start)..<\(start + count) of \(rows)")
        return DenseMatrix(storage: storage, offset: offset + start * cols, rows: count, cols: cols)
    }

    /// A `rows × cols` view of the elements `start ..< start + rows·cols` of this matrix's range.
    public func view(start: Int, rows r: Int, cols c: Int) -> DenseMatrix {
        precondition(start >= 0 && start + r * c <= count, "view \(start)..<\(start + r * c) of \(count) elements")
        return DenseMatrix(storage: storage, offset: offset + start, rows: r, cols: c)
    }
}
