import Glibc
import QwenSyncCore

/// The qwen directory: present, a directory, the user's, writable by a writer (a file can be
/// created where the locks are), not writable (or readable) by others.
enum DirectoryCheck {
    static func run(_ context: DoctorContext) -> DoctorFinding {
        let path = context.settings.qwenDirectory
        guard let facts = FileFacts.of(path) else {
            return DoctorFinding(
                "qwen_dir", .fail, "\(path) does not exist",
                fix: "run `qwen-sync login` (it creates the directory with mode 0700)")
        }
        let target = facts.linkTarget.map { " (a link to \($0))" } ?? ""
        var directory = stat()
        guard stat(path, &directory) == 0, (directory.st_mode & S_IFMT) == S_IFDIR else {
            return DoctorFinding(
                "qwen_dir", .fail, "\(path)\(target) is not a directory",
                fix: "move it away and run `qwen-sync login`, or point --qwen-dir/QWEN_HOME at the right directory")
        }
        if facts.owner != context.uid {
            return DoctorFinding(
                "qwen_dir", .fail, "\(path)\(target) belongs to \(userName(facts.owner)), not to \(userName(context.uid))",
                fix: "`sudo chown \(userName(context.uid)) \(path)`")
        }
        // Tested the way a writer will: a file created (and removed) where the locks are created.
        if let problem = WritabilityProbe(settings: context.settings).run().first {
            return DoctorFinding(
                "qwen_dir", .fail, "\(problem): login, refresh and every account change would fail", fix: problem.fix)
        }
        if facts.permissions & 0o022 != 0 {
            return DoctorFinding(
                "qwen_dir", .fail, "\(path)\(target) is writable by other users (mode \(facts.modeText)): they could replace your credentials",
                fix: "`chmod 700 \(path)`")
        }
        if facts.permissions & 0o077 != 0 {
            return DoctorFinding(
                "qwen_dir", .warn, "\(path)\(target) has mode \(facts.modeText): other users can list it",
                fix: "`chmod 700 \(path)`")
        }
        return DoctorFinding("qwen_dir", .ok, "\(path)\(target) is yours, mode \(facts.modeText)")
    }
}
