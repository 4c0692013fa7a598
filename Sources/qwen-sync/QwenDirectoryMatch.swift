import Glibc

/// Whether two qwen directory paths name the same directory: equal paths, or the same
/// device and inode (a symlink, a bind mount).
enum QwenDirectoryMatch {
    static func same(_ first: String, _ second: String) -> Bool {
        if first == second { return true }
        var a = stat()
        var b = stat()
        guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }
}
