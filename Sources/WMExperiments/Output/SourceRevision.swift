import Foundation

/// The version-control revision of the wmsim that runs, when it runs from a git checkout (the
/// usual `.build/<config>/wmsim` of a clone): the commit, with "-dirty" when tracked files
/// differ from it. Found once per process by asking git in the folder above the binary; nil for
/// an installed binary or without git. Recorded in every provenance and results header, so a
/// result names the exact code, not just the version number.
public enum SourceRevision {
    public static let current: String? = {
        let binary = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var dir = binary.deletingLastPathComponent()
        // .build/<triple>/<config>/wmsim or .build/<config>/wmsim: the checkout is above .build.
        for _ in 0..<5 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git").path) { break }
            dir = dir.deletingLastPathComponent()
        }
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git").path),
              let head = git(["rev-parse", "HEAD"], in: dir), head.count == 40 else { return nil }
        let dirty = git(["status", "--porcelain", "--untracked-files=no"], in: dir).map { !$0.isEmpty } ?? false
        return head + (dirty ? "-dirty" : "")
    }()

    static func git(_ args: [String], in dir: URL) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", dir.path] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
