/// wmsim's version, recorded in every output file.
public enum WMSimVersion {
    public static let string = "0.1.0"
}
