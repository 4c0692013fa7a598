import QwenExec
import QwenSyncCore

/// The accounts broker `exec` uses: the real accounts store, changed under both locks.
func makeExecAccountBroker(settings: Settings) -> any ExecAccountBroker {
    StoreAccountBroker(store: settings.commandStore)
}
