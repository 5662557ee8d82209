import Foundation

/// Removes old run folders from an artifacts directory (`outreach artifacts prune`, SPEC §14).
///
/// Cron ticks with `--artifacts` add folders forever; this takes them away again, safely:
/// only folders shaped like `DIR/<slug>/<run-id>/` whose run id carries its start time and
/// which hold a `manifest.json` and nothing but regular files are candidates. Symbolic links
/// are never followed, anything unexpected is left alone and reported, and the age comes from
/// the run id (the run's start by the tick's clock), not from file times that a copy resets.
public struct ArtifactPruner: Sendable {
    /// What to keep: per campaign the newest `keep` runs, and every run younger than `keepDays`.
    public let keepDays: Int
    public let keep: Int

    public init(keepDays: Int, keep: Int) {
        self.keepDays = keepDays
        self.keep = keep
    }

    /// One run folder and what happens to it.
    public struct Entry: Sendable, Equatable {
        public enum Action: String, Sendable { case removed, kept, leftAlone = "left_alone" }
        public let campaign: String
        public let runID: String
        public let path: String
        public var action: Action
        public var reason: String
    }

    /// Plans and (unless `dryRun`) removes. Entries come per campaign, newest run first.
    public func prune(root: String, now: Date, dryRun: Bool) throws -> [Entry] {
        guard SafeDirectory.isReal(root) else {
            throw OutreachError.inputMissing("\(root) is not a folder of proof artifacts (or is a symbolic link); give the DIR that `tick --artifacts DIR` writes to.")
        }
        let cutoff = now.addingTimeInterval(-Double(keepDays) * 86_400)
        var entries: [Entry] = []
        for campaign in try Self.children(root) where Slug.isValid(campaign) && SafeDirectory.isReal(root + "/" + campaign) {
            let folder = root + "/" + campaign
            var runs: [(id: String, started: Date?)] = []
            for runID in try Self.children(folder) where SafeDirectory.isReal(folder + "/" + runID) && RunID.isWellFormed(runID) {
                runs.append((runID, Self.startTime(of: runID)))
            }
            runs.sort { ($0.started ?? .distantFuture, $0.id) > ($1.started ?? .distantFuture, $1.id) }
            for (rank, run) in runs.enumerated() {
                let path = folder + "/" + run.id
                var entry = Entry(campaign: campaign, runID: run.id, path: path, action: .kept, reason: "")
                if let started = run.started {
                    if rank < keep {
                        entry.reason = "among the newest \(keep)"
                    } else if started >= cutoff {
                        entry.reason = "younger than \(keepDays) days"
                    } else if let problem = Self.unexpectedContent(path) {
                        entry.action = .leftAlone
                        entry.reason = problem
                    } else {
                        entry.action = .removed
                        entry.reason = "older than \(keepDays) days"
                        if !dryRun { try Self.remove(path) }
                    }
                } else {
                    entry.action = .leftAlone
                    entry.reason = "the folder name carries no start time"
                }
                entries.append(entry)
            }
        }
        return entries
    }

    /// The start time in a run id (`20261121T140500Z-c1-t5`), if it has one.
    static func startTime(of runID: String) -> Date? {
        // `RunID.make` drops the `-` and `:` of the timestamp; put them back and parse it.
        let stamp = Array(runID.prefix(16))
        guard stamp.count == 16, stamp[8] == "T", stamp[15] == "Z" else { return nil }
        let text = String(stamp[0..<4]) + "-" + String(stamp[4..<6]) + "-" + String(stamp[6..<9]) + String(stamp[9..<11]) + ":"
            + String(stamp[11..<13]) + ":" + String(stamp[13..<16])
        return Timestamp.parse(text)
    }

    /// The one sub-folder a run writes (proof mode's rendered `.eml` files).
    static let messagesFolder = "messages"

    /// Why a run folder must not be removed blindly, or nil when it holds only what a run
    /// writes: regular files, and a `messages/` folder of regular files.
    static func unexpectedContent(_ path: String) -> String? {
        guard let names = try? children(path) else { return "the folder cannot be read" }
        guard names.contains("manifest.json") else { return "no manifest.json: not written by outreach" }
        for name in names {
            var info = stat()
            guard lstat(path + "/" + name, &info) == 0 else { return "\(name) cannot be read" }
            if name == messagesFolder, (info.st_mode & S_IFMT) == S_IFDIR {
                guard let messages = try? children(path + "/" + name) else { return "\(name)/ cannot be read" }
                for message in messages {
                    guard lstat(path + "/" + name + "/" + message, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                        return "\(name)/\(message) is not a regular file"
                    }
                }
            } else if (info.st_mode & S_IFMT) != S_IFREG {
                return "\(name) is not a regular file"
            }
        }
        return nil
    }

    /// Removes a folder that `unexpectedContent` found to hold only what a run writes.
    private static func remove(_ path: String) throws {
        let messages = path + "/" + messagesFolder
        if SafeDirectory.isReal(messages) {
            try removeFiles(in: messages)
        }
        try removeFiles(in: path)
    }

    private static func removeFiles(in path: String) throws {
        for name in try children(path) where SafeDirectory.isReal(path + "/" + name) == false {
            guard unlink(path + "/" + name) == 0 || errno == ENOENT else {
                throw OutreachError.io("Cannot remove \(path)/\(name) (\(String(cString: strerror(errno)))); the rest of that folder was left.")
            }
        }
        guard rmdir(path) == 0 || errno == ENOENT else {
            throw OutreachError.io("Cannot remove the folder \(path) (\(String(cString: strerror(errno)))).")
        }
    }

    private static func children(_ path: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw OutreachError.io("Cannot read the folder \(path); check its permissions.")
        }
    }
}
