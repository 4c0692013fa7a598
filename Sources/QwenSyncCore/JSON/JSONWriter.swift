/// How ``JSONValue/serialized(_:)`` lays out its text.
public enum JSONStyle: Sendable {
    /// The layout of JavaScript's `JSON.stringify(value, null, 2)`: two-space indent,
    /// `"key": value`, empty containers as `{}` / `[]`, no trailing newline. This is what
    /// qwen-code writes.
    ///
    /// The text is byte-identical to `JSON.stringify(JSON.parse(text), null, 2)` only when every
    /// number in `text` is written the way JavaScript writes it (`1`, `-2.5`, `1795321151953`,
    /// `1e+21`): numbers keep the literal they were read with, so `1.0`, `1e3`, `-0`, `1E2` and
    /// `0.10` stay as they are where JavaScript writes `1`, `1000`, `0`, `100` and `0.1`.
    case pretty
    /// No whitespace at all, for sockets and log fields.
    case compact
}

extension JSONValue {
    /// The value as JSON text. Strings are escaped as `JSON.stringify` does (`/` is not escaped);
    /// numbers are written as their ``JSONNumber/literal``, exactly as they were read.
    public func serialized(_ style: JSONStyle = .pretty) -> String {
        var output = ""
        write(to: &output, style: style, indent: 0)
        return output
    }

    /// The value as UTF-8 JSON bytes.
    public func serializedBytes(_ style: JSONStyle = .pretty) -> [UInt8] {
        Array(serialized(style).utf8)
    }

    private func write(to output: inout String, style: JSONStyle, indent: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let value): output += value.literal
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let elements):
            writeContainer(elements, open: "[", close: "]", to: &output, style: style, indent: indent) { element, output in
                element.write(to: &output, style: style, indent: indent + 1)
            }
        case .object(let object):
            writeContainer(object.members, open: "{", close: "}", to: &output, style: style, indent: indent) { member, output in
                Self.writeString(member.key, to: &output)
                output += style == .pretty ? ": " : ":"
                member.value.write(to: &output, style: style, indent: indent + 1)
            }
        }
    }

    private func writeContainer<Element>(
        _ elements: [Element], open: String, close: String, to output: inout String,
        style: JSONStyle, indent: Int, writeElement: (Element, inout String) -> Void
    ) {
        output += open
        guard !elements.isEmpty else {
            output += close
            return
        }
        for (position, element) in elements.enumerated() {
            if position > 0 { output += "," }
            if style == .pretty { output += "\n" + String(repeating: "  ", count: indent + 1) }
            writeElement(element, &output)
        }
        if style == .pretty { output += "\n" + String(repeating: "  ", count: indent) }
        output += close
    }

    /// Writes `value` quoted, escaping what JSON requires; the text between escapes is appended
    /// in runs (a string without any, the usual case, in one append), not scalar by scalar.
    private static func writeString(_ value: String, to output: inout String) {
        output += "\""
        let utf8 = value.utf8
        var runStart = utf8.startIndex
        var index = runStart
        while index != utf8.endIndex {
            let byte = utf8[index]
            let escape: String
            switch byte {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case ..<0x20:
                let hex = String(byte, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                index = utf8.index(after: index)
                continue
            }
            // An escaped byte is ASCII, so both ends of the run are scalar boundaries.
            output.append(contentsOf: value[runStart..<index])
            output += escape
            index = utf8.index(after: index)
            runStart = index
        }
        output.append(contentsOf: value[runStart..<utf8.endIndex])
        output += "\""
    }
}
