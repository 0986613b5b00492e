// POSIX file helpers for the array I/O: a reader and an atomic (temp file + rename) writer.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
