import Foundation
import Mustache

/// A subject or body template (Mustache), rendered as plain text.
///
/// Rendering refuses to guess: a `{{variable}}` the lead does not have (or has empty) is a
/// `MissingVariable`, and the tick skips that lead with `skipped_template_error` instead of
/// sending "Hi ,". Sections (`{{#company}}…{{/company}}`) stay the way to write optional
/// parts. Values are never HTML-escaped; header safety is the message builder's job.
public struct MessageTemplate: Sendable {
    private let template: MustacheTemplate
    /// The template as text and variable names, when it has nothing but `{{name}}` tags:
    /// then rendering is plain substitution (what Mustache does for such a template, since
    /// variable tags are never standalone), about ten times faster per lead.
    private let plain: [PlainPart]?

    private enum PlainPart: Sendable {
        case text(String)
        case variable(String)
    }

    /// Parses a template; throws `OutreachError.configuration` with the parser's reason.
    public init(_ text: String) throws {
        // The pragma switches off HTML escaping; it sits on the first line, so it is never
        // a standalone tag and does not change the template's own whitespace. Campaign files
        // are checked with `problem(_:)` when applied; this parses once, at every tick.
        do {
            template = try MustacheTemplate(string: "{{%CONTENT_TYPE:TEXT}}" + text)
        } catch {
            throw OutreachError.configuration("The template does not parse: \(Self.problem(text) ?? "\(error)"); re-apply the campaign file.")
        }
        plain = Self.plainParts(text)
    }

    /// Splits a template made only of text and `{{ name }}` tags (names of letters, digits,
    /// `_` and `-`); nil for anything else (sections, comments, `{{{ }}}`, dotted names).
    private static func plainParts(_ text: String) -> [PlainPart]? {
        var parts: [PlainPart] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else { return nil }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" })
            else { return nil }
            parts.append(.variable(name))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        return parts
    }

    /// Why a template text cannot be used, or nil when it parses.
    public static func problem(_ text: String) -> String? {
        for tag in ["{{>", "{{<", "{{$", "{{="] where text.contains(tag) {
            return "\(tag) tags (partials, inheritance, delimiter changes) are not supported"
        }
        do {
            _ = try MustacheTemplate(string: text)
            return nil
        } catch let error as MustacheTemplate.ParserError {
            return "\(error.error) at line \(error.context.lineNumber), column \(error.context.columnNumber)"
        } catch {
            return "\(error)"
        }
    }

    /// Renders with the given values; a missing or empty variable is an error naming it.
    public func render(_ values: [String: String]) -> Result<String, MissingVariable> {
        if let plain {
            var output = ""
            for part in plain {
                switch part {
                case .text(let text): output += text
                case .variable(let name):
                    guard let value = values[name], !value.isEmpty else { return .failure(MissingVariable(name: name)) }
                    output += value
                }
            }
            return .success(output)
        }
        return renderWithMustache(values)
    }

    /// Renders through swift-mustache (sections, inverted sections, comments, …).
    func renderWithMustache(_ values: [String: String]) -> Result<String, MissingVariable> {
        let recorder = MissingRecorder()
        let output = template.render(TemplateValues(values: values, recorder: recorder))
        if let name = recorder.first { return .failure(MissingVariable(name: name)) }
        return .success(output)
    }
}

/// A template variable the lead has no value for.
public struct MissingVariable: Error, Equatable, Sendable {
    public let name: String
}

// MARK: - Missing-variable detection

/// Collects the first variable that rendered without a value.
private final class MissingRecorder {
    var first: String?
}

/// The render context: known values, and a `MissingValue` for anything else.
private struct TemplateValues: MustacheParent {
    let values: [String: String]
    let recorder: MissingRecorder

    func child(named name: String) -> Any? {
        if let value = values[name], !value.isEmpty { return value }
        return MissingValue(path: name, recorder: recorder)
    }
}

/// Stands in for an absent value. Sections treat it as null (so `{{#x}}…{{/x}}` is simply
/// skipped), while interpolating it (`{{x}}`) asks for `renderText`, which records the miss.
private struct MissingValue: MustacheCustomRenderable, MustacheParent {
    let path: String
    let recorder: MissingRecorder

    var renderText: String {
        if recorder.first == nil { recorder.first = path }
        return ""
    }

    var isNull: Bool { true }

    func child(named name: String) -> Any? {
        MissingValue(path: "\(path).\(name)", recorder: recorder)
    }
}
