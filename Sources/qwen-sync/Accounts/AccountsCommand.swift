import ArgumentParser

/// `qwen-sync accounts …`: the accounts store, without a daemon (the files are the truth).
struct AccountsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "List and manage the accounts in oauth_accounts.json.",
        subcommands: [
            AccountsListCommand.self, AccountsUseCommand.self, AccountsRemoveCommand.self,
            AccountsImportCommand.self, AccountsResetCommand.self, AccountsRenameCommand.self, AccountsRestoreCommand.self,
        ],
        defaultSubcommand: AccountsListCommand.self
    )
}
