import Foundation
import WMCore
import WMOpenCL

/// Measured memory bandwidth of a backend's device: the best of several streaming copies of a
/// buffer much larger than the caches (bytes read + written per second).
public enum Bandwidth {
    /// GB/s of a device copy kernel (OpenCL) or of memcpy on all cores (CPU backend).
    public static func measure(_ backend: any Backend, megabytes: Int = 256, repeats: Int = 5) throws -> Double {
        let bytes = megabytes << 20
        if let cl = backend as? OpenCLBackend {
            let n4 = bytes / 16
            let program = try cl.program(options: KernelLibrary.options(index16: true, fp64: cl.device.info.hasFP64, denseColumnMajor: cl.device.info.isGPU))
            let k = try program.kernel("bench_copy")
            let a = try CLBuffer(context: cl.context, bytes: bytes)
            let b = try CLBuffer(context: cl.context, bytes: bytes)
            try a.fillZero(queue: cl.queue)
            try k.setArg(0, Int32(n4)); try k.setArg(1, a); try k.setArg(2, b)
            let global = (n4 + 255) / 256 * 256
            try cl.queue.enqueue(k, global: [global], local: [256])
            try cl.queue.finish()
            var best = Double.infinity
            for _ in 0..<repeats {
                let t = Date()
                try cl.queue.enqueue(k, global: [global], local: [256])
                try cl.queue.finish()
                best = min(best, Date().timeIntervalSince(t))
            }
            return 2 * Double(bytes) / best / 1e9
        }
        // CPU: memcpy split across the cores.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let src = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let dst = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { src.deallocate(); dst.deallocate() }
        memset(src, 1, bytes)
        memset(dst, 0, bytes)
        struct P: @unchecked Sendable { let s: UnsafeMutableRawPointer; let d: UnsafeMutableRawPointer }
        let p = P(s: src, d: dst)
        let per = bytes / cores
        var best = Double.infinity
        for _ in 0..<repeats {
            let t = Date()
            DispatchQueue.concurrentPerform(iterations: cores) { c in memcpy(p.d + c * per, p.s + c * per, per) }
            best = min(best, Date().timeIntervalSince(t))
        }
        return 2 * Double(bytes) / best / 1e9
    }
}
