// The start-up reference of `make bench`: a Foundation hello-world built with the same flags
// as outreach, so "a tick with nothing due" is compared with the cost of starting any Swift
// program that uses Foundation.
import Foundation

FileHandle.standardOutput.write(Data("hello at \(Date().timeIntervalSince1970)\n".utf8))
