import Foundation

/// Short stable identities of specifications (results files and state files carry them).
public enum Fingerprint {
    /// FNV-1a 64 of the sorted-key JSON of `value`, as 16 hex digits.
    public static func of<T: Encodable>(_ value: T) -> String {
        hex((try? ResultWriter.encoder(pretty: false).encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "")
    }

    /// FNV-1a 64 of the UTF-8 bytes of `text`, as 16 hex digits.
    public static func hex(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return String(format: "%016llx", h)
    }
}
