import Foundation
import WMCore

/// The output folder of a command.
enum OutputFolder {
    /// Creates `path` (or wmsim-out/<command>-<date>); refuses a non-empty folder unless forced.
    static func prepare(_ path: String?, command: String, force: Bool) throws -> URL {
        let fm = FileManager.default
        let url: URL
        if let p = path {
            url = URL(fileURLWithPath: p)
        } else {
            let f = DateFormatter()
            f.dateFormat = "yyyyMMdd-HHmmss"
            var u = URL(fileURLWithPath: "wmsim-out/\(command)-\(f.string(from: Date()))")
            var k = 1
            while fm.fileExists(atPath: u.path) { u = URL(fileURLWithPath: "wmsim-out/\(command)-\(f.string(from: Date()))-\(k)"); k += 1 }
            url = u
        }
        if let items = try? fm.contentsOfDirectory(atPath: url.path), !items.isEmpty, !force {
            throw WMError.file(path: url.path, reason: "output folder is not empty; choose another --out or pass --force")
        }
        do { try fm.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw WMError.file(path: url.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        return url
    }

    /// Removes `url` if it is an empty folder: a run that failed before writing leaves no folder
    /// it created behind (callers pass only folders they created).
    static func removeIfEmpty(_ url: URL) {
        let fm = FileManager.default
        if let items = try? fm.contentsOfDirectory(atPath: url.path), items.isEmpty { try? fm.removeItem(at: url) }
    }
}
