import Foundation
import WMCore

/// Free space on the file system that will hold an output, checked before a run writes it.
enum DiskSpace {
    /// Throws when `bytes` exceed the free space of the file system holding `url` (or its nearest
    /// existing parent). Unknown free space is not an error.
    static func check(bytes: Double, near url: URL, what: String, remedy: String) throws {
        var dir = url.standardizedFileURL
        while !FileManager.default.fileExists(atPath: dir.path), dir.path != "/" { dir = dir.deletingLastPathComponent() }
        guard let free = (try? FileManager.default.attributesOfFileSystem(forPath: dir.path))?[.systemFreeSize] as? NSNumber else { return }
        guard bytes <= free.doubleValue else {
            throw CLIError("\(what) needs about \(formatBytes(RunMemoryEstimate.Part.bytes(bytes))) of disk, \(formatBytes(free.intValue)) free under \(dir.path); \(remedy)")
        }
    }
}
