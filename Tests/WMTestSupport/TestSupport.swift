import Foundation
import WMCore
import WMOpenCL
import XCTest

/// The backends tests run on. CI installs PoCL, so a missing OpenCL device is an installation
/// error: tests that need one fail (and skip the rest of their body) instead of passing silently.
public enum TestBackends {
    /// The OpenCL backend every test shares (opened once per test process), or nil.
    public static let openCL: OpenCLBackend? = try? OpenCLBackend(selector: nil)

    /// The shared OpenCL backend; records a failure and throws `XCTSkip` when there is none.
    public static func requireOpenCL(file: StaticString = #filePath, line: UInt = #line) throws -> OpenCLBackend {
        guard let b = openCL else {
            XCTFail("no OpenCL device; install pocl-opencl-icd", file: file, line: line)
            throw XCTSkip("no OpenCL")
        }
        return b
    }

    /// The CPU backend and, when present, the OpenCL one (a failure is recorded when it is not).
    public static func all(file: StaticString = #filePath, line: UInt = #line) -> [any Backend] {
        var out: [any Backend] = [CPUBackend()]
        if let cl = openCL { out.append(cl) } else { XCTFail("no OpenCL device; install pocl-opencl-icd", file: file, line: line) }
        return out
    }
}

/// Largest |a − b| over two arrays of equal length (a length mismatch fails the test).
public func maxAbsDifference(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(a.count, b.count, "array lengths", file: file, line: line)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Largest |a − b| relative to the largest |b|.
public func relativeDifference(_ a: [Double], _ b: [Double], file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertEqual(a.count, b.count, "array lengths", file: file, line: line)
    let scale = max(b.map(abs).max() ?? 0, 1e-300)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

/// A fresh path in the temporary folder (nothing is created).
public func temporaryPath(_ name: String, suffix: String = "") -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("wmsim-\(name)-\(UUID().uuidString)\(suffix)")
}

/// Asserts that two segments' moments agree within `tol` relative to each quantity's largest entry.
public func assertMomentsClose(_ a: SegmentMoments, _ b: SegmentMoments, tol: Double, _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, what, file: file, line: line)
    for (name, x, y) in [("mean s", a.meanS, b.meanS), ("mean y", a.meanY, b.meanY), ("G̃", a.centeredGram, b.centeredGram),
                         ("C̃", a.centeredCross, b.centeredCross), ("Σ(y − ȳ)²", a.centeredTargetSumSquares, b.centeredTargetSumSquares)] {
        XCTAssertLessThan(relativeDifference(x, y, file: file, line: line), tol, "\(what) \(name)", file: file, line: line)
    }
}

/// Deterministic test inputs from Philox.
public enum TestData {
    /// Uniform values in [−1, 1).
    public static func uniform(_ count: Int, seed: UInt64, tag: UInt32 = 1) -> [Float] {
        let r = Philox4x32(seed: seed)
        return (0..<count).map { i in 2 * RandomBits.unitFloat(r.block(UInt32(i), tag, 0, 0).0) - 1 }
    }

    /// Standard normal values.
    public static func normal(_ count: Int, seed: UInt64) -> [Float] {
        let r = Philox4x32(seed: seed)
        return (0..<count).map { i in
            let b = r.block(UInt32(i), 99, 0, 0)
            return RandomBits.normal(b.0, b.1)
        }
    }
}

extension TestBackends {
    /// The OpenCL dense ops on the shared backend (built once), or why they could not be built.
    public static let openCLDenseOps: Result<OpenCLDenseOps, any Error>? = openCL.map { b in Result { try OpenCLDenseOps(backend: b) } }

    /// The shared OpenCL dense ops; records a failure and throws `XCTSkip` when there is no device.
    public static func requireOpenCLDenseOps(file: StaticString = #filePath, line: UInt = #line) throws -> OpenCLDenseOps {
        guard let r = openCLDenseOps else {
            XCTFail("no OpenCL device; install pocl-opencl-icd", file: file, line: line)
            throw XCTSkip("no OpenCL")
        }
        return try r.get()
    }
}
