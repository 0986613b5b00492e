extension KeyedDecodingContainer {
    /// Overwrites `value` with the key's value when the key is present: specs decode a file that
    /// names only what differs from their defaults (`self.init()` first, then one `fill` per key).
    public func fill<T: Decodable>(_ value: inout T, _ key: Key) throws {
        if let v = try decodeIfPresent(T.self, forKey: key) { value = v }
    }
}
