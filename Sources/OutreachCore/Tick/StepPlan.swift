import Foundation

/// Which step a lead receives next, by step id (SPEC §9.5): a pure function of the
/// campaign's current steps and the step ids the lead already has jobs for.
///
/// The rule: the lead's place is the last step, in the current order, that it already has;
/// it gets the first step after that place. So it never receives a step twice (the database
/// also enforces `UNIQUE (lead_id, step_id)` on jobs), and never a step that now comes
/// before one it has received. What that means for edits of a running campaign:
/// - a step inserted after the lead's place is sent in its turn; one inserted before it is
///   never sent to that lead;
/// - after a reorder the lead continues after the step of its history that now comes last;
/// - a removed step no longer counts as a place; when none of the lead's steps remains in
///   the campaign, it starts at the first step it has not received.
public enum StepPlan {
    /// The lead's place: the index of the last step, in `steps`, that it has received; nil
    /// when none of its steps is in the campaign.
    public static func place(steps: [Campaign.Step], received: Set<String>) -> Int? {
        received.isEmpty ? nil : steps.lastIndex { received.contains($0.id) }
    }

    /// The index, in `steps`, of the step to send next; nil when the lead has nothing left.
    public static func next(steps: [Campaign.Step], received: Set<String>) -> Int? {
        let start = place(steps: steps, received: received).map { $0 + 1 } ?? 0
        return steps.indices.first { $0 >= start && !received.contains(steps[$0].id) }
    }

    /// Where the lead stands, in words for `leads show` (steps counted from 1).
    public static func explain(steps: [Campaign.Step], received: [String]) -> String {
        let receivedSet = Set(received)
        let gone = received.filter { id in !steps.contains { $0.id == id } }
        let current = place(steps: steps, received: receivedSet) ?? -1
        let skipped = steps.indices.filter { $0 < current && !receivedSet.contains(steps[$0].id) }
        var parts: [String] = []
        if received.isEmpty {
            parts.append("has received no step yet")
        } else {
            parts.append("has received " + received.map { id in
                steps.firstIndex { $0.id == id }.map { "step \($0 + 1) (\(id))" } ?? "\(id) (no longer in the campaign)"
            }.joined(separator: ", "))
        }
        if !skipped.isEmpty {
            parts.append("will not receive " + skipped.map { "step \($0 + 1) (\(steps[$0].id))" }.joined(separator: ", ")
                + ", which now come" + (skipped.count == 1 ? "s" : "") + " before a step it has received")
        }
        if !gone.isEmpty, gone.count == received.count {
            parts.append("none of its steps is in the campaign any more, so it continues with the first step it has not received")
        }
        switch next(steps: steps, received: receivedSet) {
        case let index?: parts.append("its next step is step \(index + 1) (\(steps[index].id))")
        case nil: parts.append("it has no step left")
        }
        return parts.joined(separator: "; ")
    }
}
