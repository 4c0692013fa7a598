import Glibc
import QwenSyncCore

/// Refreshes one account's tokens under the shared locks, the way every qwen client should.
///
/// Inside one ``CredentialStore`` transaction (accounts lock, then creds lock):
/// 1. the transaction has already taken in what a peer left in `oauth_creds.json`, so a peer's
///    refresh counts as this account's refresh;
/// 2. the network is skipped when the ``RefreshPolicy`` says another process already refreshed;
/// 3. a refresh token the ledger knows rotated out is never presented; one the server refused
///    is withheld only under the configuration it was refused under (``RefusalEvidence``),
///    unless the refresh is explicit: a refusal is evidence, not a verdict;
/// 4. the token endpoint is called once; the new tokens are committed whatever happens to the
///    locks afterwards: a lost lock costs a retry of the write, never a second network call;
/// 5. on a refusal, every newer token the files or `qwen-sync-recovered.json` can attribute to
///    the account is tried first; only if all are refused is the account marked
///    `auth_invalid` (with the cooldown) and, if it was active and the refusal is about its
///    token (``Refusal/concernsToken``), the next healthy one mirrored. No token is deleted,
///    nor `oauth_creds.json`.
///
/// Every request records a rotated refresh token in the ``RotationJournal`` before its answer
/// is handed on, and the answer is folded in at once: a new refresh token reaches the disk even
/// when the rest of the answer is unusable or the store cannot be written. Before the
/// transaction, a request still in flight from a process that was killed is waited for, so the
/// token it is replacing is not presented a second time.
public struct AccountRefresher: Sendable {
    /// The files.
    public let store: CredentialStore
    /// The OAuth server.
    public let client: OAuthClient
    /// How long new tokens already obtained keep being written through conflicts before they
    /// are kept in `qwen-sync-recovered.json` instead.
    public var commitDeadline = Duration.seconds(120)

    /// A refresher over `store` talking to `client`.
    public init(store: CredentialStore, client: OAuthClient) {
        self.store = store
        self.client = client
    }

    /// The configuration refreshes are sent under.
    public var configuration: RefreshConfiguration { client.configuration.refreshConfiguration }

    /// Refreshes `accountID` if `policy` says it is still needed.
    ///
    /// - Parameter explicitly: the user asked for this refresh (`qwen-sync refresh`): a token
    ///   refused before under this configuration is presented again (one rotated out never is).
    /// - Throws: ``StoreError`` when the files cannot be locked, read or written. New tokens
    ///   that could not be written to the store are kept in `qwen-sync-recovered.json`.
    public func refresh(accountID: String, policy: RefreshPolicy, explicitly: Bool = false) throws(StoreError) -> RefreshOutcome {
        try refreshReportingState(accountID: accountID, policy: policy, explicitly: explicitly).outcome
    }

    /// ``refresh(accountID:policy:explicitly:)``, also returning the state the transaction
    /// wrote (the daemon remembers it, to tell later changes by peers from its own).
    public func refreshReportingState(accountID: String, policy: RefreshPolicy, explicitly: Bool = false) throws(StoreError) -> (
        outcome: RefreshOutcome, state: CredentialState
    ) {
        var exchange = Exchange()
        let started = WallClock.monotonicMs()
        if !journal.waitForRequestsInFlight(timeout: client.configuration.requestTimeout + .seconds(2)) {
            let outcome = RefreshOutcome.transientFailure(
                accountID: accountID, reason: "a refresh started by an earlier process is still in flight", retryAfterMs: 2_000)
            return (outcome, try store.read())
        }
        while true {
            do {
                return try store.steppedTransaction { state in
                    switch try run(&exchange, on: &state, accountID: accountID, policy: policy, explicitly: explicitly) {
                    case .commit(let outcome): .commit((outcome, state))
                    case .readAgain: .readAgain
                    }
                }
            } catch {
                guard let renewed = exchange.renewed else { throw error }
                // New tokens must land: conflicts and lock timeouts are retried until the deadline.
                if WallClock.monotonicMs() - started < commitDeadline.inMilliseconds {
                    switch error {
                    case .conflict, .lock: continue
                    default: break
                    }
                }
                keepAsLastResort(renewed, replacing: exchange.presented, of: accountID)
                throw error
            }
        }
    }

    /// What this refresh has asked the server so far, across retried transactions.
    private struct Exchange {
        /// The server's answer for each refresh token presented.
        var answers: [String: Result<TokenGrant, RefreshError>] = [:]
        /// New tokens obtained, with the token presented for them, not yet written.
        var renewed: OAuthCredentials?
        var presented: OAuthCredentials?
        /// Whether a refusal already sent the transaction back for a fresh read once.
        var readAgainAfterRefusal = false
    }

    /// The accounts marked `auth_invalid` because their current token was refused under another
    /// configuration (another token endpoint or client id, or before evidence was kept) are
    /// made healthy again, so that the next due refresh presents their tokens under this one.
    /// The daemon calls this as it starts; `qwen-sync refresh --all` before it chooses.
    ///
    /// - Returns: the accounts made healthy.
    ///
    /// The files are only read unless there is such an account: a transaction would also take in
    /// whatever `oauth_creds.json` holds, before the caller could log it.
    public func reconsiderRefusalsUnderOtherConfigurations() throws(StoreError) -> [String] {
        let configuration = configuration
        let refusedElsewhere = { (state: CredentialState, nowMs: Int64) -> [String] in
            state.accounts.accounts.filter { account in
                guard account.state(nowMs: nowMs) == .authInvalid, let refusal = state.sidecar.ledger.refusal(of: account.token.refreshToken) else {
                    return false
                }
                return refusal.evidence?.configuration != configuration
            }.map(\.id)
        }
        guard !refusedElsewhere(try store.read(), WallClock.nowMs()).isEmpty else { return [] }
        return try store.transaction { state in
            let nowMs = WallClock.nowMs()
            let released = refusedElsewhere(state, nowMs)
            for id in released { state.accounts.update(id: id) { $0.resetHealth(nowMs: nowMs) } }
            return released
        }
    }

    private func run(_ exchange: inout Exchange, on state: inout CredentialState, accountID: String, policy: RefreshPolicy, explicitly: Bool) throws
        -> CredentialStore.Step<RefreshOutcome>
    {
        let nowMs = WallClock.nowMs()
        guard let account = state.accounts.account(id: accountID) else {
            if let renewed = exchange.renewed {
                state.recovered.keep(.init(accountID: accountID, label: nil, reason: "orphaned", savedAtMs: nowMs, token: renewed))
            }
            return .commit(.notFound(reference: accountID))
        }
        if let renewed = exchange.renewed, let presented = exchange.presented {
            return .commit(commit(renewed, presented: presented, to: &state, accountID: accountID, nowMs: nowMs))
        }
        // A token not presented yet is judged by the policy first: a peer's refresh, taken in by
        // this (possibly retried) transaction, is never refreshed a second time.
        if exchange.answers[account.token.refreshToken] == nil, !policy.stillNeeded(for: account.token, nowMs: nowMs) {
            return .commit(.alreadyFresh(accountID: accountID, expiresAtMs: account.token.expiryDate))
        }
        var token = account.token
        while true {
            if state.sidecar.ledger.withholds(token.refreshToken, under: configuration, explicitly: explicitly)
                || exchange.answers[token.refreshToken]?.isRefusal == true
            {
                // A peer may have written oauth_creds.json while we held the locks (every exiting
                // qwen process unlinks oauth_creds.lock): read everything again before judging.
                if !exchange.readAgainAfterRefusal, CredentialsFile.read(store.settings.credentialsPath).credentials != state.credentials {
                    exchange.readAgainAfterRefusal = true
                    return .readAgain
                }
                guard
                    let next = state.candidateTokens(for: accountID, newerThan: token, onDisk: state.credentials)
                        .first(where: { exchange.answers[$0.refreshToken] == nil })
                else { return .commit(invalidate(&state, accountID: accountID, refusal: refusal(exchange, state: state, token: token), nowMs: nowMs)) }
                token = next
                continue
            }
            let answer = exchange.answers[token.refreshToken] ?? request(token.refreshToken, of: accountID, into: &state)
            exchange.answers[token.refreshToken] = answer
            switch answer {
            case .success(let grant):
                if let problem = grant.lifetimeProblem { store.notice?("the server's answer for \(accountID): \(problem)") }
                let renewed = OAuthCredentials(
                    accessToken: grant.accessToken,
                    refreshToken: grant.refreshToken ?? token.refreshToken,
                    tokenType: grant.tokenType,
                    expiryDate: grant.expiryDate(nowMilliseconds: WallClock.nowMs()),
                    resourceURL: grant.resourceURL ?? token.resourceURL,
                    idToken: grant.idToken ?? token.idToken
                )
                exchange.renewed = renewed
                exchange.presented = token
                return .commit(commit(renewed, presented: token, to: &state, accountID: accountID, nowMs: nowMs))
            case .failure(.transient(let reason, let retryAfter)):
                let outcome = RefreshOutcome.transientFailure(
                    accountID: accountID, reason: reason,
                    retryAfterMs: retryAfter?.inMilliseconds
                )
                note(outcome, in: &state, accountID: accountID, nowMs: nowMs)
                return .commit(outcome)
            case .failure(.terminal(_, let evidence)):
                state.sidecar.ledger.record(token.refreshToken, of: accountID, fate: .refused, evidence: evidence, nowMs: nowMs)
            }
        }
    }

    /// The write-ahead of this store's rotations.
    private var journal: RotationJournal { RotationJournal(path: store.settings.rotationJournalPath) }

    /// Presents `refreshToken` of `accountID`; the answer's rotation, if any, is in the journal
    /// and folded into `state` when this returns.
    private func request(_ refreshToken: String, of accountID: String, into state: inout CredentialState) -> Result<TokenGrant, RefreshError> {
        let destination = RotationJournal.Destination(path: journal.path, accountID: accountID)
        let answer: Result<TokenGrant, RefreshError>
        do { answer = .success(try client.refresh(refreshToken: refreshToken, rotationJournal: destination)) } catch { answer = .failure(error) }
        do { try state.foldRotationJournal(journal, nowMs: WallClock.nowMs()) } catch {
            store.notice?("could not read \(RotationJournal.fileName): \(error.description)")
        }
        return answer
    }

    /// Stores new tokens: the presented token is recorded rotated out (unless the server kept
    /// it), the account gets the new ones and, if active, `oauth_creds.json` too.
    private func commit(_ renewed: OAuthCredentials, presented: OAuthCredentials, to state: inout CredentialState, accountID: String, nowMs: Int64)
        -> RefreshOutcome
    {
        if renewed.refreshToken != presented.refreshToken {
            state.sidecar.ledger.record(presented.refreshToken, of: accountID, fate: .rotated, nowMs: nowMs)
        } else {
            // Accepted after all (another configuration, or presented again explicitly).
            state.sidecar.ledger.withdrawRefusal(of: presented.refreshToken, accountID: accountID, nowMs: nowMs)
        }
        state.accounts.update(id: accountID) { stored in
            if !stored.token.sameTokens(as: renewed) { stored.setToken(renewed, nowMs: nowMs) }
            if stored.lastErrorCode == AccountErrorCode.authInvalid { stored.resetHealth(nowMs: nowMs) }
        }
        if state.accounts.activeAccountID == accountID { state.mirrorActiveAccount() }
        let outcome = RefreshOutcome.refreshed(accountID: accountID, expiresAtMs: renewed.expiryDate)
        note(outcome, in: &state, accountID: accountID, nowMs: nowMs)
        return outcome
    }

    /// Marks the account `auth_invalid` once every token it could use was refused; switches
    /// the active account away only when the refusal is about its token.
    private func invalidate(_ state: inout CredentialState, accountID: String, refusal: Refusal, nowMs: Int64) -> RefreshOutcome {
        state.accounts.update(id: accountID) {
            $0.markExhausted(until: nowMs.addingSaturated(store.settings.quotaCooldown.inMilliseconds), code: AccountErrorCode.authInvalid, nowMs: nowMs)
        }
        let switched =
            state.accounts.activeAccountID == accountID && refusal.concernsToken ? state.switchAwayFromUnhealthyActive(nowMs: nowMs) : nil
        let outcome = RefreshOutcome.invalidated(accountID: accountID, reason: refusal, switchedTo: switched)
        note(outcome, in: &state, accountID: accountID, nowMs: nowMs)
        return outcome
    }

    private func note(_ outcome: RefreshOutcome, in state: inout CredentialState, accountID: String, nowMs: Int64) {
        state.sidecar.notes[accountID, default: .init()].lastRefreshAtMs = nowMs
        state.sidecar.notes[accountID, default: .init()].lastRefreshResult = outcome.resultText
    }

    /// What refused the account: the server's answer in this exchange, else the refusal the
    /// ledger holds for `token` (withheld under this configuration), else its rotation.
    private func refusal(_ exchange: Exchange, state: CredentialState, token: OAuthCredentials) -> Refusal {
        let answered = exchange.answers.values.lazy.compactMap { answer -> (String, RefusalEvidence)? in
            if case .failure(.terminal(let reason, let evidence)) = answer { return (reason, evidence) }
            return nil
        }.first
        let summary: String
        let evidence: RefusalEvidence?
        if let (reason, answeredEvidence) = answered {
            (summary, evidence) = (reason, answeredEvidence)
        } else if let recorded = state.sidecar.ledger.refusal(of: token.refreshToken)?.evidence {
            evidence = recorded
            summary =
                "refused before under this configuration with HTTP \(recorded.status)\(recorded.errorCode.map { " " + $0 } ?? "")"
                + ", not presented again by itself"
        } else {
            (summary, evidence) = ("its refresh token was already used", nil)
        }
        let ledger = state.sidecar.ledger
        let sameForEveryAccount =
            evidence.map { evidence in
                !evidence.concernsToken && state.accounts.accounts.count > 1
                    && state.accounts.accounts.allSatisfy { ledger.refusal(of: $0.token.refreshToken)?.evidence?.sameWay(as: evidence) == true }
            } ?? false
        return Refusal(
            summary: summary, evidence: evidence, configuration: configuration, clientID: client.configuration.clientID,
            sameForEveryAccount: sameForEveryAccount)
    }

    /// New tokens that could not be written through the locks: kept in our own file, so the
    /// next refresh finds them among the account's candidates.
    ///
    /// The locks could not be had, so the write is a compare-and-swap against the version read,
    /// retried from a fresh read when another process wrote the file in between: a transaction
    /// that keeps tokens there at the same time loses nothing, and neither does this write.
    ///
    /// The entry names the token it replaces, so the next transaction puts it in place of that
    /// one (never presenting the replaced token again). A file that cannot be read whole is
    /// never written over: the token is then only in the ``RotationJournal``.
    private func keepAsLastResort(_ renewed: OAuthCredentials, replacing presented: OAuthCredentials?, of accountID: String) {
        let path = store.settings.recoveredPath
        for _ in 0..<10 {
            let current: SecureFile.Contents?
            do { current = try SecureFile.read(path, limit: CredentialStore.ownFileReadLimit) } catch {
                store.notice?(
                    "could not store \(accountID)'s new tokens, nor read \(PathNormalizer.fileName(of: path)) (\(error.description)); they are in \(RotationJournal.fileName)"
                )
                return
            }
            var recovered = current.map { RecoveredTokens(bytes: $0.bytes) } ?? RecoveredTokens()
            var entry = RecoveredTokens.Entry(accountID: accountID, label: nil, reason: "unsaved", savedAtMs: WallClock.nowMs(), token: renewed)
            entry.replaces = presented.map { TokenLedger.fingerprint(of: $0.refreshToken) }
            recovered.keep(entry)
            do {
                try SecureFile.replace(path, with: recovered.encoded(), expected: .matching(current?.identity))
                break
            } catch {
                if case .conflict = error { continue }
                break
            }
        }
        store.notice?("could not store \(accountID)'s new tokens through the locks; kept them in \(PathNormalizer.fileName(of: path))")
    }
}

extension Result where Success == TokenGrant, Failure == RefreshError {
    /// Whether the server refused the token presented.
    fileprivate var isRefusal: Bool {
        if case .failure(let error) = self { return error.isTerminal }
        return false
    }
}
