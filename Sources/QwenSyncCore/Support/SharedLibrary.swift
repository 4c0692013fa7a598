import Glibc

/// A C library opened at run time with `dlopen`, so that only the commands that use it pay
/// for loading it (libcurl alone brings in about 40 libraries; libsystemd six more).
///
/// The handle is never closed: a library, once loaded, stays for the life of the process.
public struct SharedLibrary: @unchecked Sendable {
    /// The file name searched for, e.g. `libcurl.so.4`.
    public let soname: String
    /// The Debian package that installs it, named in the error when it is missing.
    public let debianPackage: String
    private let handle: UnsafeMutableRawPointer

    /// Opens `soname` (`RTLD_NOW | RTLD_LOCAL`: every symbol resolved now, none made global).
    ///
    /// - Throws: ``SharedLibraryError`` naming the soname and the package when it cannot be loaded.
    public init(soname: String, debianPackage: String) throws(SharedLibraryError) {
        self.soname = soname
        self.debianPackage = debianPackage
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            throw SharedLibraryError(soname: soname, debianPackage: debianPackage, reason: Self.lastError())
        }
        self.handle = handle
    }

    /// The address of function `name`, cast to the C function type `type`.
    ///
    /// - Throws: ``SharedLibraryError`` when the library does not export `name` (too old a version).
    public func function<Function>(_ name: String, as type: Function.Type) throws(SharedLibraryError) -> Function {
        try unsafeBitCast(address(of: name), to: type)
    }

    /// The address of symbol `name`.
    ///
    /// - Throws: ``SharedLibraryError`` when the library does not export `name`.
    public func address(of name: String) throws(SharedLibraryError) -> UnsafeMutableRawPointer {
        guard let symbol = dlsym(handle, name) else {
            throw SharedLibraryError(soname: soname, debianPackage: debianPackage, reason: "it has no \(name)")
        }
        return symbol
    }

    private static func lastError() -> String {
        dlerror().map { String(cString: $0) } ?? "unknown error"
    }
}

/// A library needed by the command could not be loaded.
public struct SharedLibraryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name searched for, e.g. `libcurl.so.4`.
    public let soname: String
    /// The Debian package that installs it.
    public let debianPackage: String
    /// What the dynamic loader said.
    public let reason: String

    /// Creates an error for `soname`, installed by `debianPackage`, that failed because of `reason`.
    public init(soname: String, debianPackage: String, reason: String) {
        self.soname = soname
        self.debianPackage = debianPackage
        self.reason = reason
    }

    /// "cannot load libcurl.so.4 (install the Debian package libcurl4): …".
    public var description: String {
        "cannot load \(soname) (install the Debian package \(debianPackage)): \(reason)"
    }
}
