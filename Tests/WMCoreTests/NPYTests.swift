import Foundation
import XCTest

@testable import WMCore

final class NPYTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("wmcore-npy-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    private func url(_ name: String) -> URL { dir.appendingPathComponent(name) }

    private func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = hex.makeIterator()
        while let a = it.next(), let b = it.next() {
            out.append(UInt8(String([a, b]), radix: 16)!)
        }
        return out
    }

    private func fileBytes(_ u: URL) throws -> [UInt8] { Array(try Data(contentsOf: u)) }

    private func writeBytes(_ b: [UInt8], _ name: String) throws -> URL {
        let u = url(name)
        try Data(b).write(to: u)
        return u
    }

    /// Asserts that `body` throws an `ArrayIOError` matching `check`, whose message names the file.
    private func assertArrayIOError(
        _ path: String, file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> Void, _ check: (ArrayIOError) -> Bool
    ) {
        do {
            try body()
            XCTFail("expected an error", file: file, line: line)
        } catch let e as ArrayIOError {
            XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains(path), "message does not name the file: \(e)", file: file, line: line)
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }

    private func directoryEntries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    // MARK: Fixtures produced by NumPy 2.4 (np.save / np.lib.format.write_array), hex-encoded:
    // python3 -c "import numpy as np, io; b=io.BytesIO(); np.save(b, A); print(b.getvalue().hex())"

    /// np.arange(6, dtype='<f4').reshape(2, 3)
    let npF4x2x3 = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000803f0000004000004040000080400000a040"
    /// np.array(3.5, dtype='<f8')  (0-d)
    let npF8Scalar = "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000000000000c40"
    /// np.zeros((0,), dtype='<i4')
    let npI4Empty = "934e554d5059010076007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028302c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a"
    /// np.arange(3, dtype='|u1')
    let npU1x3 = "934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000102"
    /// np.array([-1, 2**40, 3, -2**62], dtype='<i8').reshape(2, 1, 2)
    let npI8x2x1x2 = "934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c20312c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200affffffffffffffff0000000000010000030000000000000000000000000000c0"
    /// np.lib.format.write_array(f, np.arange(4, dtype='<u2'), version=(2, 0))
    let npU2V2 = "934e554d50590200740000007b276465736372273a20273c7532272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028342c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000010002000300"
    /// np.lib.format.write_array(f, np.array([1, 4000000000], dtype='<u4'), version=(3, 0))
    let npU4V3 = "934e554d50590300740000007b276465736372273a20273c7534272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0100000000286bee"
    /// np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3))
    let npFortran = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000000000040400000803f00008040000000400000a040"
    /// np.arange(3, dtype='>f4')
    let npBigEndian = "934e554d5059010076007b276465736372273a20273e6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000003f80000040000000"
    /// np.arange(2, dtype='<c8')
    let npComplex = "934e554d5059010076007b276465736372273a20273c6338272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000000000000000000803f00000000"

    // MARK: Byte-exact agreement with NumPy

    func testWriterMatchesNumPyBytesExactly() throws {
        let cases: [(String, (URL) throws -> Void)] = [
            (npF4x2x3, { try NPY.write([Float]([0, 1, 2, 3, 4, 5]), shape: [2, 3], to: $0) }),
            (npF8Scalar, { try NPY.write([3.5 as Double], shape: [], to: $0) }),
            (npI4Empty, { try NPY.write([Int32](), shape: [0], to: $0) }),
            (npU1x3, { try NPY.write([UInt8]([0, 1, 2]), shape: [3], to: $0) }),
            (npI8x2x1x2, { try NPY.write([Int64]([-1, 1 << 40, 3, -(1 << 62)]), shape: [2, 1, 2], to: $0) }),
        ]
        for (i, (hex, write)) in cases.enumerated() {
            let u = url("numpy\(i).npy")
            try write(u)
            XCTAssertEqual(try fileBytes(u), bytes(hex: hex), "case \(i)")
        }
    }

    func testReadsNumPyFiles() throws {
        let f4 = try NPY.read(try writeBytes(bytes(hex: npF4x2x3), "f4.npy"))
        XCTAssertEqual(f4.shape, [2, 3])
        XCTAssertEqual(f4.dtype, .float32)
        XCTAssertEqual(try f4.floats(), [0, 1, 2, 3, 4, 5])

        let f8 = try NPY.read(try writeBytes(bytes(hex: npF8Scalar), "f8.npy"))
        XCTAssertEqual(f8.shape, [])
        XCTAssertEqual(f8.count, 1)
        XCTAssertEqual(try f8.doubles(), [3.5])

        let i4 = try NPY.read(try writeBytes(bytes(hex: npI4Empty), "i4.npy"))
        XCTAssertEqual(i4.shape, [0])
        XCTAssertEqual(i4.dtype, .int32)
        XCTAssertEqual(try i4.int32s(), [])

        let u1 = try NPY.read(try writeBytes(bytes(hex: npU1x3), "u1.npy"))
        XCTAssertEqual(u1.dtype, .uint8)
        XCTAssertEqual(try u1.uint8s(), [0, 1, 2])

        let i8 = try NPY.read(try writeBytes(bytes(hex: npI8x2x1x2), "i8.npy"))
        XCTAssertEqual(i8.shape, [2, 1, 2])
        XCTAssertEqual(try i8.int64s(), [-1, 1 << 40, 3, -(1 << 62)])

        let u2 = try NPY.read(try writeBytes(bytes(hex: npU2V2), "u2v2.npy"))
        XCTAssertEqual(u2.dtype, .uint16)
        XCTAssertEqual(try u2.uint16s(), [0, 1, 2, 3])
        XCTAssertEqual(try NPY.readHeader(url("u2v2.npy")).version.major, 2)

        let u4 = try NPY.read(try writeBytes(bytes(hex: npU4V3), "u4v3.npy"))
        XCTAssertEqual(u4.dtype, .uint32)
        XCTAssertEqual(try u4.uint32s(), [1, 4_000_000_000])
        XCTAssertEqual(try NPY.readHeader(url("u4v3.npy")).version.major, 3)
    }

    // MARK: Round trips

    private func roundTrip<T: NPYElement & Equatable>(
        _ values: [T], shape: [Int], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let u = url("rt-\(T.self)-\(shape.map(String.init).joined(separator: "x")).npy")
        try NPY.writeElements(values, shape: shape, to: u)
        let a = try NPY.read(u)
        XCTAssertEqual(a.shape, shape, file: file, line: line)
        XCTAssertEqual(a.dtype, T.npyDType, file: file, line: line)
        XCTAssertEqual(a.count, values.count, file: file, line: line)
        XCTAssertEqual(try a.values(as: T.self), values, file: file, line: line)
        let header = try NPY.readHeader(u)
        XCTAssertEqual(header.dataOffset % 64, 0, file: file, line: line)
        XCTAssertEqual(try fileBytes(u).count, header.dataOffset + values.count * MemoryLayout<T>.stride, file: file, line: line)
    }

    private func roundTripAllShapes<T: NPYElement & Equatable>(_ make: (Int) -> T) throws {
        for shape in [[], [1], [7], [2, 3, 4], [0], [3, 0, 2], [1, 1, 1, 1, 5]] {
            let n = NPY.elementCount(shape)!
            try roundTrip((0..<n).map(make), shape: shape)
        }
    }

    func testRoundTripEveryDTypeAndShape() throws {
        try roundTripAllShapes { Float($0) * 0.5 - 3 }
        try roundTripAllShapes { Double($0) * 1e-300 - .pi }
        try roundTripAllShapes { Int32($0) * -70_000_000 }
        try roundTripAllShapes { Int64($0) * -3_000_000_000_000 }
        try roundTripAllShapes { UInt16(($0 * 9_001) % 65_536) }
        try roundTripAllShapes { UInt32($0) &* 200_000_001 }
        try roundTripAllShapes { UInt8($0 % 256) }
    }

    func testTypedWriteOverloadsAndNPYArrayWrite() throws {
        try NPY.write([Float](repeating: 1.5, count: 4), shape: [2, 2], to: url("a.npy"))
        try NPY.write([Double](repeating: -2, count: 4), shape: [4], to: url("b.npy"))
        try NPY.write([Int32]([1, -2]), shape: [2, 1], to: url("c.npy"))
        try NPY.write([Int64]([Int64.min]), shape: [], to: url("d.npy"))
        try NPY.write([UInt16]([65535]), shape: [1], to: url("e.npy"))
        try NPY.write([UInt32]([UInt32.max]), shape: [1, 1], to: url("f.npy"))
        XCTAssertEqual(try NPY.read(url("a.npy")).floats(), [1.5, 1.5, 1.5, 1.5])
        XCTAssertEqual(try NPY.read(url("b.npy")).doubles(), [-2, -2, -2, -2])
        XCTAssertEqual(try NPY.read(url("c.npy")).int32s(), [1, -2])
        XCTAssertEqual(try NPY.read(url("d.npy")).int64s(), [Int64.min])
        XCTAssertEqual(try NPY.read(url("e.npy")).uint16s(), [65535])
        XCTAssertEqual(try NPY.read(url("f.npy")).uint32s(), [UInt32.max])

        let arr = try NPYArray(shape: [3], values: [Int32](arrayLiteral: 7, 8, 9))
        try NPY.write(arr, to: url("g.npy"))
        XCTAssertEqual(try NPY.read(url("g.npy")).int32s(), [7, 8, 9])
        // Only the final files remain: no temporary files left behind.
        XCTAssertEqual(try directoryEntries(), ["a.npy", "b.npy", "c.npy", "d.npy", "e.npy", "f.npy", "g.npy"])
    }

    func testOverwriteReplacesFileAtomically() throws {
        let u = url("x.npy")
        try NPY.write([Float](repeating: 1, count: 100), shape: [100], to: u)
        try NPY.write([Float]([2]), shape: [1], to: u)
        XCTAssertEqual(try NPY.read(u).floats(), [2])
        XCTAssertEqual(try directoryEntries(), ["x.npy"])
    }

    func testLargeArrayRoundTrip() throws {
        let n = 3_000_000
        let values = (0..<n).map { Float($0 % 1000) * 0.25 }
        try NPY.write(values, shape: [n / 1000, 1000], to: url("big.npy"))
        let a = try NPY.read(url("big.npy"))
        XCTAssertEqual(a.shape, [3000, 1000])
        XCTAssertEqual(try a.floats(), values)
    }

    // MARK: Header layout

    func testHeaderPaddingIsNumPyAlignment() throws {
        let shapes: [[Int]] = [
            [], [0], [1], [12345], [2, 3], [1_000_000_000_000, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            Array(repeating: 1, count: 30),
        ]
        for dtype in NPYDType.allCases {
            for shape in shapes {
                let h = NPY.headerBytes(dtype: dtype, shape: shape)
                XCTAssertEqual(h.count % 64, 0, "\(dtype) \(shape)")
                XCTAssertEqual(Array(h[0..<8]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
                XCTAssertEqual(Int(h[8]) | Int(h[9]) << 8, h.count - 10)
                XCTAssertEqual(h.last, 0x0A)
                let text = String(decoding: h[10...], as: UTF8.self)
                XCTAssertTrue(text.hasPrefix("{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': \(NPY.shapeString(shape)), }"), text)
                // The header parses back.
                let (d, s) = try NPY.parseHeaderDictionary(text, path: "h")
                XCTAssertEqual(d, dtype)
                XCTAssertEqual(s, shape)
            }
        }
        XCTAssertEqual(NPY.shapeString([]), "()")
        XCTAssertEqual(NPY.shapeString([3]), "(3,)")
        XCTAssertEqual(NPY.shapeString([2, 3]), "(2, 3)")
    }

    func testHeaderVariantsAreAccepted() throws {
        let variants = [
            "{\"shape\": (2,3), \"descr\": \"<f4\", \"fortran_order\": False}",
            "{ 'fortran_order' : False , 'shape' : ( 2 , 3 ) , 'descr' : '<f4' , }   ",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
        ]
        for v in variants {
            let (d, s) = try NPY.parseHeaderDictionary(v, path: "h")
            XCTAssertEqual(d, .float32)
            XCTAssertEqual(s, [2, 3])
        }
        XCTAssertEqual(try NPY.parseHeaderDictionary("{'descr': '<u1', 'fortran_order': False, 'shape': ()}", path: "h").0, .uint8)
        for bad in [
            "", "[1, 2]", "{'descr': '<f4', 'shape': (2,)}", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,",
            "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}",
        ] {
            XCTAssertThrowsError(try NPY.parseHeaderDictionary(bad, path: "h"), bad)
        }
    }

    // MARK: Errors

    func testFortranOrderIsRefused() throws {
        let u = try writeBytes(bytes(hex: npFortran), "fortran.npy")
        assertArrayIOError(u.path, { _ = try NPY.read(u) }) { $0 == .fortranOrder(path: u.path) }
    }

    func testBigEndianIsRefused() throws {
        let u = try writeBytes(bytes(hex: npBigEndian), "be.npy")
        assertArrayIOError(u.path, { _ = try NPY.read(u) }) { $0 == .bigEndian(path: u.path, descr: ">f4") }
    }

    func testUnsupportedDTypeIsRefused() throws {
        let u = try writeBytes(bytes(hex: npComplex), "c8.npy")
        assertArrayIOError(u.path, { _ = try NPY.read(u) }) { $0 == .unsupportedDType(path: u.path, descr: "<c8") }
        XCTAssertThrowsError(try NPY.parseHeaderDictionary("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", path: "s"))
    }

    func testBadMagic() throws {
        var b = bytes(hex: npF4x2x3)
        b[1] = UInt8(ascii: "X")
        let u = try writeBytes(b, "magic.npy")
        assertArrayIOError(u.path, { _ = try NPY.read(u) }) { $0 == .badMagic(path: u.path) }
        let text = try writeBytes(Array("time,x\n1,2\n".utf8), "notnpy.npy")
        assertArrayIOError(text.path, { _ = try NPY.read(text) }) { $0 == .badMagic(path: text.path) }
    }

    func testUnsupportedVersion() throws {
        var b = bytes(hex: npF4x2x3)
        b[6] = 4
        let u = try writeBytes(b, "v4.npy")
        assertArrayIOError(u.path, { _ = try NPY.read(u) }) { $0 == .unsupportedVersion(path: u.path, major: 4, minor: 0) }
    }

    func testTruncatedData() throws {
        let full = bytes(hex: npF4x2x3)
        let u = try writeBytes(Array(full.dropLast(3)), "trunc.npy")
        assertArrayIOError(u.path, { _ = try NPY.read(u) }) {
            $0 == .truncated(path: u.path, expectedBytes: 24, actualBytes: 21)
        }
    }

    func testTruncatedHeader() throws {
        let full = bytes(hex: npF4x2x3)
        for cut in [0, 4, 9, 50, 127] {
            let u = try writeBytes(Array(full.prefix(cut)), "trunc\(cut).npy")
            assertArrayIOError(u.path, { _ = try NPY.read(u) }) {
                if case .truncated = $0 { return true } else { return false }
            }
        }
    }

    func testMissingFileAndDirectory() throws {
        let missing = url("nope.npy")
        assertArrayIOError(missing.path, { _ = try NPY.read(missing) }) {
            if case .cannotOpen = $0 { return true } else { return false }
        }
        assertArrayIOError(dir.path, { _ = try NPY.read(self.dir) }) {
            if case .cannotOpen = $0 { return true } else { return false }
        }
        let inMissingDir = url("no-such-dir/x.npy")
        assertArrayIOError(inMissingDir.path, { try NPY.write([Float](), shape: [0], to: inMissingDir) }) {
            if case .cannotOpen = $0 { return true } else { return false }
        }
    }

    func testShapeMismatchOnWrite() throws {
        let u = url("mismatch.npy")
        assertArrayIOError(u.path, { try NPY.write([Float]([1, 2, 3]), shape: [2, 2], to: u) }) {
            $0 == .shapeMismatch(path: u.path, shape: [2, 2], elementCount: 3)
        }
        assertArrayIOError(u.path, { try NPY.write([Float](), shape: [-1], to: u) }) {
            $0 == .invalidShape(path: u.path, shape: [-1])
        }
        XCTAssertEqual(try directoryEntries(), [])
        XCTAssertTrue(ArrayIOError.shapeMismatch(path: "p", shape: [2, 2], elementCount: 3).description.contains("holds 4 elements"))
    }

    // MARK: Conversions

    func testConversionsBetweenDTypes() throws {
        let d = try NPYArray(shape: [4], values: [1.0, -2.0, 3.0, 1e10])
        XCTAssertEqual(try d.floats(), [1, -2, 3, 1e10])
        XCTAssertEqual(try d.int64s(), [1, -2, 3, 10_000_000_000])
        XCTAssertThrowsError(try d.int32s()) { e in
            XCTAssertEqual(e as? ArrayIOError, .notRepresentable(path: "<memory>", index: 3, value: "10000000000.0", target: "int32"))
        }
        let f = try NPYArray(shape: [3], values: [Float(1.5), 2, 3])
        XCTAssertEqual(try f.doubles(), [1.5, 2, 3])
        XCTAssertThrowsError(try f.int32s())
        let nan = try NPYArray(shape: [1], values: [Float.nan])
        XCTAssertThrowsError(try nan.int64s())
        let i = try NPYArray(shape: [2, 2], values: [Int32(-1), 0, 1, Int32.max])
        XCTAssertEqual(try i.floats(), [-1, 0, 1, Float(Int32.max)])
        XCTAssertEqual(try i.doubles(), [-1, 0, 1, Double(Int32.max)])
        XCTAssertEqual(try i.int64s(), [-1, 0, 1, Int64(Int32.max)])
        XCTAssertThrowsError(try i.uint32s())
        XCTAssertThrowsError(try i.uint8s())
        let u = try NPYArray(shape: [2], values: [UInt32.max, 0])
        XCTAssertEqual(try u.int64s(), [Int64(UInt32.max), 0])
        XCTAssertThrowsError(try u.int32s())
        let b = try NPYArray(shape: [3], values: [UInt8(0), 128, 255])
        XCTAssertEqual(try b.floats(), [0, 128, 255])
        XCTAssertEqual(try b.int32s(), [0, 128, 255])
        XCTAssertEqual(try b.uint16s(), [0, 128, 255])
        XCTAssertThrowsError(try NPYArray(shape: [2], values: [Float(1)]))
    }

    func testConversionErrorNamesSourceFile() throws {
        let u = url("conv.npy")
        try NPY.write([Double]([0.5]), shape: [1], to: u)
        assertArrayIOError(u.path, { _ = try NPY.read(u).int32s() }) {
            if case .notRepresentable(_, 0, _, "int32") = $0 { return true } else { return false }
        }
    }

    func testInconsistentInMemoryArray() throws {
        let a = NPYArray(shape: [3], dtype: .float32, data: [0, 0, 0, 0])
        XCTAssertThrowsError(try a.floats())
        XCTAssertThrowsError(try NPY.write(a, to: url("bad.npy")))
        XCTAssertEqual(try directoryEntries(), [])
    }

    // MARK: Stream writer

    func testStreamWriterChunks() throws {
        let u = url("stream.npy")
        let w = try NPYStreamWriter(url: u, shape: [4, 3], dtype: .float32, bufferBytes: 16)
        XCTAssertFalse(FileManager.default.fileExists(atPath: u.path))
        try w.append([Float]([0, 1, 2]))
        let chunk: [Float] = [3, 4, 5, 6, 7]
        try chunk.withUnsafeBufferPointer { try w.append($0) }
        try w.append([Float]())
        try w.append([Float]([99, 8, 9, 10])[1...])
        XCTAssertEqual(w.written, 11)
        try w.append([Float]([11]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: u.path))
        try w.finish()
        XCTAssertTrue(w.isFinished)
        let a = try NPY.read(u)
        XCTAssertEqual(a.shape, [4, 3])
        XCTAssertEqual(try a.floats(), (0..<12).map(Float.init))
        // Same bytes as the one-shot writer.
        try NPY.write((0..<12).map(Float.init), shape: [4, 3], to: url("oneshot.npy"))
        XCTAssertEqual(try fileBytes(u), try fileBytes(url("oneshot.npy")))
        XCTAssertEqual(try directoryEntries(), ["oneshot.npy", "stream.npy"])
        XCTAssertThrowsError(try w.append([Float]([1])))
        XCTAssertThrowsError(try w.finish())
    }

    func testStreamWriterOtherDTypesAndLargeChunks() throws {
        let u = url("s64.npy")
        let rows = 500, cols = 1000
        let w = try NPYStreamWriter(url: u, shape: [rows, 2, cols / 2], dtype: .float64, bufferBytes: 1 << 16)
        var expected: [Double] = []
        for r in 0..<rows {
            let row = (0..<cols).map { Double(r * cols + $0) }
            expected += row
            try w.append(row)
        }
        try w.finish()
        let a = try NPY.read(u)
        XCTAssertEqual(a.shape, [rows, 2, cols / 2])
        XCTAssertEqual(try a.doubles(), expected)

        let s = url("scalar.npy")
        let ws = try NPYStreamWriter(url: s, shape: [], dtype: .int32)
        try ws.append([Int32(42)])
        try ws.finish()
        XCTAssertEqual(try NPY.read(s).int32s(), [42])
    }

    func testStreamWriterWrongCountThrows() throws {
        let u = url("short.npy")
        let w = try NPYStreamWriter(url: u, shape: [2, 3])
        try w.append([Float]([1, 2, 3, 4, 5]))
        assertArrayIOError(u.path, { try w.finish() }) {
            $0 == .shapeMismatch(path: u.path, shape: [2, 3], elementCount: 5)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: u.path))
        // Too many elements are refused without being written.
        assertArrayIOError(u.path, { try w.append([Float]([6, 7])) }) {
            $0 == .shapeMismatch(path: u.path, shape: [2, 3], elementCount: 7)
        }
        XCTAssertEqual(w.written, 5)
        // Wrong element type.
        assertArrayIOError(u.path, { try w.append([Double]([6])) }) {
            $0 == .dtypeMismatch(path: u.path, expected: .float32, actual: .float64)
        }
        // The writer is still usable after those errors.
        try w.append([Float]([6]))
        try w.finish()
        XCTAssertEqual(try NPY.read(u).floats(), [1, 2, 3, 4, 5, 6])
    }

    func testDroppedStreamWriterLeavesNoFile() throws {
        let u = url("dropped.npy")
        do {
            let w = try NPYStreamWriter(url: u, shape: [1000])
            try w.append([Float](repeating: 1, count: 500))
            XCTAssertEqual(try directoryEntries().count, 1)  // the temporary file
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: u.path))
        XCTAssertEqual(try directoryEntries(), [])

        // Dropping an unfinished writer never damages an existing file at the final path.
        try NPY.write([Float]([7]), shape: [1], to: u)
        do {
            let w = try NPYStreamWriter(url: u, shape: [2])
            try w.append([Float]([1]))
            XCTAssertThrowsError(try w.finish())
        }
        XCTAssertEqual(try NPY.read(u).floats(), [7])
        XCTAssertEqual(try directoryEntries(), ["dropped.npy"])

        let c = try NPYStreamWriter(url: url("cancelled.npy"), shape: [1])
        c.cancel()
        XCTAssertThrowsError(try c.append([Float]([1])))
        XCTAssertEqual(try directoryEntries(), ["dropped.npy"])
    }

    // MARK: Interoperability with a real NumPy (skipped when python3/numpy is unavailable)

    private func runPython(_ script: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testInteroperabilityWithInstalledNumPy() throws {
        guard let probe = try? runPython("import numpy"), probe.status == 0 else {
            throw XCTSkip("python3 with numpy is not available")
        }
        // NumPy writes, Swift reads.
        let script = """
            import numpy as np, sys
            d = sys.argv[1] if len(sys.argv) > 1 else '\(dir.path)'
            np.save(d + '/np_f4.npy', (np.arange(24, dtype='<f4') * 0.5 - 3).reshape(2, 3, 4))
            np.save(d + '/np_f8.npy', np.array(-1.25))
            np.save(d + '/np_i4.npy', np.array([-5, 7], dtype='<i4'))
            np.save(d + '/np_i8.npy', np.arange(3, dtype='<i8') * (2**40))
            np.save(d + '/np_u2.npy', np.array([65535, 1], dtype='<u2').reshape(1, 2))
            np.save(d + '/np_u4.npy', np.zeros((0, 3), dtype='<u4'))
            np.save(d + '/np_u1.npy', np.arange(256, dtype='u1'))
            """
        let gen = try runPython(script)
        XCTAssertEqual(gen.status, 0, gen.output)
        let f4 = try NPY.read(url("np_f4.npy"))
        XCTAssertEqual(f4.shape, [2, 3, 4])
        XCTAssertEqual(try f4.floats(), (0..<24).map { Float($0) * 0.5 - 3 })
        XCTAssertEqual(try NPY.read(url("np_f8.npy")).doubles(), [-1.25])
        XCTAssertEqual(try NPY.read(url("np_i4.npy")).int32s(), [-5, 7])
        XCTAssertEqual(try NPY.read(url("np_i8.npy")).int64s(), [0, 1 << 40, 2 << 40])
        XCTAssertEqual(try NPY.read(url("np_u2.npy")).uint16s(), [65535, 1])
        XCTAssertEqual(try NPY.read(url("np_u4.npy")).shape, [0, 3])
        XCTAssertEqual(try NPY.read(url("np_u1.npy")).uint8s(), (0..<256).map { UInt8($0) })

        // Swift writes, NumPy reads.
        try NPY.write((0..<6).map { Float($0) + 0.25 }, shape: [3, 2], to: url("sw_f4.npy"))
        try NPY.write([Double](arrayLiteral: 2.5), shape: [], to: url("sw_f8.npy"))
        try NPY.write([Int64](arrayLiteral: -1, 1 << 50), shape: [2, 1, 1], to: url("sw_i8.npy"))
        try NPY.write([UInt8](arrayLiteral: 1, 2, 3), shape: [3], to: url("sw_u1.npy"))
        let w = try NPYStreamWriter(url: url("sw_stream.npy"), shape: [2, 2], dtype: .uint32)
        try w.append([UInt32](arrayLiteral: 1, 2))
        try w.append([UInt32](arrayLiteral: 3, UInt32.max))
        try w.finish()
        let check = """
            import numpy as np
            d = '\(dir.path)'
            a = np.load(d + '/sw_f4.npy'); assert a.dtype == np.float32 and a.shape == (3, 2), a
            assert (a.ravel() == np.arange(6) + 0.25).all()
            a = np.load(d + '/sw_f8.npy'); assert a.shape == () and a == 2.5, a
            a = np.load(d + '/sw_i8.npy'); assert a.dtype == np.int64 and a.shape == (2, 1, 1) and a.ravel().tolist() == [-1, 2**50], a
            a = np.load(d + '/sw_u1.npy'); assert a.dtype == np.uint8 and a.tolist() == [1, 2, 3], a
            a = np.load(d + '/sw_stream.npy'); assert a.dtype == np.uint32 and a.tolist() == [[1, 2], [3, 2**32 - 1]], a
            print('ok')
            """
        let r = try runPython(check)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(r.output.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
    }
}
