import Foundation
import Yams

/// Walks the YAML node tree with the current key path, so every error can name it.
struct YAMLReader {
    let file: String

    // MARK: - Files

    /// The text of a configuration file; `kind` names it in errors ("campaign file"). Missing
    /// or unreadable: exit 66; not UTF-8: exit 78.
    static func text(path: String, kind: String) throws -> String {
        let named = kind.prefix(1).uppercased() + kind.dropFirst()
        guard FileManager.default.fileExists(atPath: path) else {
            throw OutreachError.inputMissing("\(named) \(path) does not exist; check the path.")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OutreachError.inputMissing("\(named) \(path) cannot be read; check its permissions.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw OutreachError.configuration("\(path): the \(kind) is not UTF-8 text.")
        }
        return text
    }

    /// The root node of YAML text, nil when the text holds none; a syntax error is one
    /// sentence naming `file` (exit 78).
    static func compose(_ text: String, file: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch {
            let detail = String(describing: error).split(separator: "\n").first.map(String.init) ?? "syntax error"
            throw OutreachError.configuration("\(file): not valid YAML: \(detail).")
        }
    }

    func fail(_ node: Node?, _ path: String, _ problem: String) -> OutreachError {
        let line = node?.mark.map { ":\($0.line)" } ?? ""
        return .configuration("\(file)\(line): \(path.isEmpty ? "" : "\(path): ")\(problem)")
    }

    // MARK: - Shapes

    /// The pairs of a mapping, refusing unknown and duplicate keys.
    func mapping(_ node: Node, _ path: String, allowed: [String]) throws -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            throw fail(node, path, "expected a mapping of keys (like `key: value`).")
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw fail(keyNode, path, "keys must be plain words.") }
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                throw fail(keyNode, keyPath, "unknown key; allowed here: \(allowed.joined(separator: ", ")).")
            }
            guard result[key] == nil else { throw fail(keyNode, keyPath, "the key appears twice.") }
            result[key] = value
        }
        return result
    }

    func string(_ map: [String: Node], _ key: String, _ path: String, required: Bool = false) throws -> String? {
        let keyPath = path.isEmpty ? key : "\(path).\(key)"
        guard let node = map[key], node.null == nil else {
            if required { throw fail(nil, keyPath, "is required.") }
            return nil
        }
        guard case .scalar(let scalar) = node else { throw fail(node, keyPath, "expected text.") }
        return scalar.string
    }

    func requiredString(_ map: [String: Node], _ key: String, _ path: String, parent: Node) throws -> String {
        guard let value = try string(map, key, path) else {
            throw fail(parent, path.isEmpty ? key : "\(path).\(key)", "is required.")
        }
        return value
    }

    func int(_ map: [String: Node], _ key: String, _ path: String, default value: Int, minimum: Int) throws -> Int {
        let keyPath = path.isEmpty ? key : "\(path).\(key)"
        guard let node = map[key] else { return value }
        guard case .scalar(let scalar) = node, let number = Int(scalar.string) else {
            throw fail(node, keyPath, "expected a whole number, got '\(node.string ?? "a structure")'.")
        }
        guard number >= minimum else { throw fail(node, keyPath, "must be \(minimum) or more, got \(number).") }
        guard number <= CampaignFile.Bounds.maxCount else {
            throw fail(node, keyPath, "must be at most \(CampaignFile.Bounds.maxCount), got \(number).")
        }
        return number
    }

    func duration(_ map: [String: Node], _ key: String, _ path: String, default value: Int?) throws -> Int {
        let keyPath = path.isEmpty ? key : "\(path).\(key)"
        guard let node = map[key] else {
            if let value { return value }
            throw fail(nil, keyPath, "is required.")
        }
        guard case .scalar(let scalar) = node, let seconds = DurationText.seconds(scalar.string) else {
            throw fail(node, keyPath, "'\(node.string ?? "a structure")' is not a duration; write it like 300s, 30m, 24h or 7d.")
        }
        guard seconds <= CampaignFile.Bounds.maxDurationSeconds else {
            throw fail(node, keyPath, "'\(scalar.string)' is longer than 365 days, the longest duration a campaign file may give.")
        }
        return seconds
    }

    func bool(_ map: [String: Node], _ key: String, _ path: String, default value: Bool) throws -> Bool {
        guard let node = map[key] else { return value }
        guard let flag = node.bool else { throw fail(node, "\(path).\(key)", "expected true or false.") }
        return flag
    }

    func timeZone(_ node: Node?, _ value: String, _ path: String) throws -> String {
        guard TimeZoneNames.isValid(value) else {
            throw fail(node, path, "'\(value)' is not an IANA time zone name (like Europe/Paris or America/New_York).")
        }
        return value
    }
}
