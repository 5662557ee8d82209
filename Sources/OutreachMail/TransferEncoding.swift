import Foundation

/// Content-Transfer-Encoding decoders (RFC 2045 §6). Both are tolerant: bad input yields the
/// best-effort bytes plus a short problem note instead of failing, because bounces are often
/// produced by software that encodes sloppily.
public enum TransferEncoding {
    /// Decodes base64, skipping characters outside the alphabet and ignoring missing padding.
    public static func decodeBase64<C: Collection>(_ input: C) -> (bytes: [UInt8], problem: String?) where C.Element == UInt8 {
        let data = Data(input)
        if isCleanBase64(data), let fast = Data(base64Encoded: data, options: .ignoreUnknownCharacters) {
            return ([UInt8](fast), nil)
        }
        var output: [UInt8] = []
        output.reserveCapacity(data.count / 4 * 3 + 3)
        var quad: UInt32 = 0
        var filled = 0
        var skipped = 0
        func flush() {
            if filled == 2 { output.append(UInt8(truncatingIfNeeded: quad >> 4)) }
            if filled == 3 {
                output.append(UInt8(truncatingIfNeeded: quad >> 10))
                output.append(UInt8(truncatingIfNeeded: quad >> 2))
            }
            quad = 0
            filled = 0
        }
        data.withUnsafeBytes { raw in
            for byte in raw {
                let value: UInt32
                switch byte {
                case 65...90: value = UInt32(byte - 65)
                case 97...122: value = UInt32(byte - 71)
                case 48...57: value = UInt32(byte + 4)
                case 43: value = 62
                case 47: value = 63
                case 61: flush(); continue
                case 9, 10, 13, 32: continue
                default: skipped += 1; continue
                }
                quad = (quad << 6) | value
                filled += 1
                if filled == 4 {
                    output.append(UInt8(truncatingIfNeeded: quad >> 16))
                    output.append(UInt8(truncatingIfNeeded: quad >> 8))
                    output.append(UInt8(truncatingIfNeeded: quad))
                    quad = 0
                    filled = 0
                }
            }
        }
        let truncated = filled == 1
        flush()
        var notes: [String] = []
        if skipped > 0 { notes.append("\(skipped) invalid character(s)") }
        if truncated { notes.append("truncated final group") }
        return (output, notes.isEmpty ? nil : "base64: " + notes.joined(separator: ", "))
    }

    /// True when `data` holds only the base64 alphabet and line breaks, with "=" only at the
    /// end: then Foundation's fast decoder gives the exact result. Uses C `strspn` so that a
    /// 10 MB attachment is checked at native speed even in debug builds.
    private static func isCleanBase64(_ data: Data) -> Bool {
        var terminated = [CChar](repeating: 0, count: data.count + 1)
        terminated.withUnsafeMutableBytes { buffer in _ = data.copyBytes(to: buffer) }
        return terminated.withUnsafeBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            let body = strspn(base, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\r\n\t ")
            let tail = strspn(base + body, "=\r\n\t ")
            return body + tail == data.count
        }
    }

    /// Decodes quoted-printable; `underscoreIsSpace` is the RFC 2047 "Q" variant.
    public static func decodeQuotedPrintable<C: Collection>(_ input: C, underscoreIsSpace: Bool = false) -> (bytes: [UInt8], problem: String?) where C.Element == UInt8 {
        let bytes = Array(input)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var invalid = 0
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == 95, underscoreIsSpace {
                output.append(32)
                i += 1
            } else if byte != 61 {
                output.append(byte)
                i += 1
            } else if i + 2 < bytes.count, let high = ByteText.hexValue(bytes[i + 1]),
                      let low = ByteText.hexValue(bytes[i + 2]) {
                output.append(high << 4 | low)
                i += 3
            } else {
                // Soft line break: "=" followed by optional blanks and a line ending (or the end).
                var j = i + 1
                while j < bytes.count, bytes[j] == 32 || bytes[j] == 9 { j += 1 }
                if j < bytes.count, bytes[j] == ByteText.cr { j += 1 }
                if j >= bytes.count {
                    i = j
                } else if bytes[j] == ByteText.lf {
                    i = j + 1
                } else {
                    invalid += 1
                    output.append(byte)
                    i += 1
                }
            }
        }
        return (output, invalid > 0 ? "quoted-printable: \(invalid) invalid escape(s)" : nil)
    }
}
