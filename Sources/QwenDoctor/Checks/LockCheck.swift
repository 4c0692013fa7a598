import Glibc
import QwenSyncCore

/// A lock file: free, held by a live process, stale, abandoned by a dead one, or someone else's.
enum LockCheck {
    static func run(_ context: DoctorContext, id: String, path: String, policy: LockPolicy) -> DoctorFinding {
        guard let facts = FileFacts.of(path), let lock = LockInspector.inspect(path) else {
            return DoctorFinding(id, .ok, "\(PathNormalizer.fileName(of: path)) is free")
        }
        let name = PathNormalizer.fileName(of: path)
        if facts.owner != context.uid {
            return DoctorFinding(
                id, .fail, "\(name) belongs to \(userName(facts.owner)): when it goes stale, your clients cannot remove it",
                fix: "`sudo rm \(path)` once no process of that user works in \(context.settings.qwenDirectory)")
        }
        let age = durationText(ms: lock.ageMs)
        let staleSeconds = policy.staleAfter.inMilliseconds / 1000
        if let pid = lock.holderPID, kill(pid, 0) != 0, errno == ESRCH {
            return DoctorFinding(
                id, .warn, "\(name) was left by pid \(pid), which is gone (\(age) old); the next writer takes it over after \(staleSeconds) s",
                fix: "nothing to do; or `rm \(path)` to save the next writer the wait")
        }
        if lock.ageMs > policy.staleAfter.inMilliseconds {
            return DoctorFinding(
                id, .warn, "\(name) is stale (\(lock.holderDescription), stale after \(staleSeconds) s): writers wait, then take it over",
                fix: "if it stays, check `qwen-sync logs --event lock`; `rm \(path)` when no qwen or qwen-sync process is writing")
        }
        return DoctorFinding(id, .ok, "\(name) is held right now (\(lock.holderDescription)): a write is in progress")
    }
}
