import Foundation

/// Opening and reading an import's input file with one clear sentence for every failure
/// (SPEC §9.8): missing or unreadable is 66, a folder is 66, a read error is 74. Never a trap:
/// `FileHandle.readData(ofLength:)` traps on a read error, so readers use `read(upToCount:)`.
enum InputFile {
    /// Opens a regular file for reading.
    static func open(_ path: String) throws -> FileHandle {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw OutreachError.inputMissing("The file \(path) does not exist; check the path.")
        }
        guard !isFolder.boolValue else {
            throw OutreachError.inputMissing("\(path) is a folder, not a file; give the path of the file to import.")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw OutreachError.inputMissing("The file \(path) cannot be read; check its permissions.")
        }
        return handle
    }

    /// The error for a read that failed part-way.
    static func readFailure(_ path: String, _ error: any Error) -> OutreachError {
        .io("Reading \(path) failed (\((error as NSError).localizedDescription)); nothing was imported. Check the file and its disk, then import again.")
    }
}
