#!/usr/bin/env python3
"""A client that handles oauth_creds.json the way qwen-code's SharedTokenManager does.

Used by the refresh-economy benchmark (Benchmarks/run.py) and by the daemon's end-to-end tests
(Tests/QwenSyncDaemonTests); see docs/INTEROP.md ("oauth_creds.json", "Lock files", "OAuth
endpoints").

Every `--use-interval` seconds (jittered x0.5-1.5 with `--jitter`) it needs a token. It caches
the credentials, re-stats oauth_creds.json at most every 5 s and reloads when the mtime is
newer; when its token is within 30 s of expiry it refreshes itself under oauth_creds.lock
(O_EXCL, random UUID content, stale after 10 s and then renamed to <lock>.stale.<uuid> and
unlinked, 20 attempts sleeping 100 ms x1.5 capped at 2 s), writes the result with temp file +
rename (0600), and deletes the file on HTTP 400/401, as qwen-code does. On exit (the duration
ran out, or SIGTERM) it unlinks oauth_creds.lock whether it holds it or not, as every qwen
process does, and prints one JSON object on stdout:

  {"id", "uses", "expired_uses", "reloads", "missing_file", "lock_waits", "refresh_attempts",
   "refresh_failures", "min_remaining_ms", "tokens_seen", "token_ids", "errors"}

`expired_uses` counts the times it needed a token while its cached one had already expired;
`min_remaining_ms` is the smallest lifetime left on a token it was about to use;
`tokens_seen` is the number of distinct access tokens it used (never the tokens themselves);
`token_ids` names them by the first 12 hex digits of their SHA-256, sorted, so that reports of
several clients can be merged.

`--refresh-window-ms` widens the refresh window (the accounts plugin refreshes inside the last
30 min; the benchmark scales that down with the token lifetime); `--refresh-now` refreshes
whatever oauth_creds.json holds once, under the lock, before the loop (a peer refreshing the
active account behind qwen-sync's back).

Usage: qwen_code_client.py --qwen-dir DIR --base-url URL --duration SECONDS [--id N]
       [--use-interval S] [--jitter] [--refresh-window-ms MS] [--refresh-now]
"""

import argparse
import hashlib
import json
import os
import random
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

CLIENT_ID = "f0304373b74a44d2b584a3fb70ca9e56"
REFRESH_BUFFER_MS = 30_000
CHECK_INTERVAL_MS = 5_000
LOCK_STALE_MS = 10_000
LOCK_ATTEMPTS = 20


def now_ms():
    return int(time.time() * 1000)


class Client:
    def __init__(self, qwen_dir, base_url, ident, refresh_window_ms=REFRESH_BUFFER_MS):
        self.path = os.path.join(qwen_dir, "oauth_creds.json")
        self.lock_path = os.path.join(qwen_dir, "oauth_creds.lock")
        self.base_url = base_url.rstrip("/")
        self.user_agent = "QwenCode/0.16.1 (linux; x64) qwen-code-client"
        self.refresh_window_ms = refresh_window_ms
        self.credentials = None
        self.cached_mtime = 0
        self.last_check_ms = 0
        self.report = {
            "id": ident, "uses": 0, "expired_uses": 0, "reloads": 0, "missing_file": 0, "lock_waits": 0,
            "refresh_attempts": 0, "refresh_failures": 0, "min_remaining_ms": None, "tokens_seen": 0,
            "errors": [],
        }
        self.tokens = set()

    # -- file access, as qwen-code does it ------------------------------------------------

    def check_and_reload(self, force=False):
        if not force and now_ms() - self.last_check_ms < CHECK_INTERVAL_MS:
            return
        self.last_check_ms = now_ms()
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            self.report["missing_file"] += 1
            return
        if mtime > self.cached_mtime or force:
            try:
                with open(self.path, "rb") as handle:
                    data = json.loads(handle.read())
            except (OSError, ValueError) as error:
                self.report["errors"].append("read: %s" % type(error).__name__)
                return
            if self.valid(data):
                self.credentials = data
                self.cached_mtime = mtime
                self.report["reloads"] += 1

    @staticmethod
    def valid(data):
        return (isinstance(data, dict)
                and all(isinstance(data.get(key), str) and data.get(key)
                        for key in ("access_token", "refresh_token", "token_type"))
                and isinstance(data.get("expiry_date"), (int, float)))

    def token_is_valid(self):
        return (self.credentials is not None
                and self.credentials["expiry_date"] - now_ms() > self.refresh_window_ms)

    # -- the lock ---------------------------------------------------------------------------

    def acquire_lock(self):
        delay = 0.1
        for _ in range(LOCK_ATTEMPTS):
            try:
                descriptor = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                os.write(descriptor, str(uuid.uuid4()).encode())
                os.close(descriptor)
                return True
            except FileExistsError:
                try:
                    age = now_ms() - int(os.stat(self.lock_path).st_mtime * 1000)
                    if age > LOCK_STALE_MS:
                        stale = "%s.stale.%s" % (self.lock_path, uuid.uuid4())
                        os.rename(self.lock_path, stale)
                        os.unlink(stale)
                        continue
                except FileNotFoundError:
                    continue
            self.report["lock_waits"] += 1
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        return False

    def release_lock(self):
        try:
            os.unlink(self.lock_path)
        except FileNotFoundError:
            pass

    # -- refresh ------------------------------------------------------------------------------

    def refresh(self, force=False):
        if not self.acquire_lock():
            self.report["errors"].append("lock timeout")
            return
        try:
            self.check_and_reload(force=True)
            if self.credentials is None or (self.token_is_valid() and not force):
                return
            self.report["refresh_attempts"] += 1
            body = urllib.parse.urlencode({
                "grant_type": "refresh_token",
                "refresh_token": self.credentials["refresh_token"],
                "client_id": CLIENT_ID,
            }).encode()
            request = urllib.request.Request(
                self.base_url + "/api/v1/oauth2/token", data=body, method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         "Accept": "application/json", "User-Agent": self.user_agent})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    grant = json.loads(response.read())
            except urllib.error.HTTPError as error:
                self.report["refresh_failures"] += 1
                self.report["errors"].append("refresh: HTTP %d" % error.code)
                if error.code in (400, 401):
                    try:
                        os.unlink(self.path)
                    except FileNotFoundError:
                        pass
                    self.credentials = None
                return
            except (OSError, ValueError) as error:
                self.report["refresh_failures"] += 1
                self.report["errors"].append("refresh: %s" % type(error).__name__)
                return
            renewed = {
                "access_token": grant["access_token"],
                "token_type": grant.get("token_type", "Bearer"),
                "refresh_token": grant.get("refresh_token", self.credentials["refresh_token"]),
                "resource_url": grant.get("resource_url", self.credentials.get("resource_url")),
                "expiry_date": now_ms() + int(grant["expires_in"]) * 1000,
            }
            temporary = "%s.tmp.%s" % (self.path, uuid.uuid4())
            descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.write(descriptor, json.dumps(renewed, indent=2).encode())
            os.close(descriptor)
            os.rename(temporary, self.path)
            self.credentials = renewed
            self.cached_mtime = os.stat(self.path).st_mtime_ns
        finally:
            self.release_lock()

    # -- what an API call does first ----------------------------------------------------------

    def use_token(self):
        self.check_and_reload()
        if self.credentials is not None and self.credentials["expiry_date"] <= now_ms():
            self.report["expired_uses"] += 1
        if not self.token_is_valid():
            self.refresh()
        if self.credentials is None:
            self.report["errors"].append("no credentials")
            return
        remaining = self.credentials["expiry_date"] - now_ms()
        current = self.report["min_remaining_ms"]
        self.report["min_remaining_ms"] = remaining if current is None else min(current, remaining)
        self.report["uses"] += 1
        self.tokens.add(hashlib.sha256(self.credentials["access_token"].encode()).hexdigest())


def main():
    parser = argparse.ArgumentParser(description="A qwen-code-like OAuth client (see the module docstring).")
    parser.add_argument("--qwen-dir", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--duration", type=float, required=True, help="seconds to run (SIGTERM ends it early)")
    parser.add_argument("--id", default="0", help="names the client in its report")
    parser.add_argument("--use-interval", type=float, default=0.25, help="seconds between token uses")
    parser.add_argument("--jitter", action="store_true", help="vary each interval by x0.5-1.5")
    parser.add_argument("--refresh-window-ms", type=int, default=REFRESH_BUFFER_MS)
    parser.add_argument("--refresh-now", action="store_true")
    arguments = parser.parse_args()
    # SIGTERM runs the exit path: unlink the lock, print the report.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    client = Client(arguments.qwen_dir, arguments.base_url, arguments.id, arguments.refresh_window_ms)
    deadline = time.monotonic() + arguments.duration
    try:
        if arguments.refresh_now:
            client.refresh(force=True)
        while time.monotonic() < deadline:
            client.use_token()
            factor = random.uniform(0.5, 1.5) if arguments.jitter else 1.0
            time.sleep(arguments.use_interval * factor)
    finally:
        client.release_lock()  # every qwen process does this on exit, held or not
        client.report["tokens_seen"] = len(client.tokens)
        client.report["token_ids"] = sorted(digest[:12] for digest in client.tokens)
        sys.stdout.write(json.dumps(client.report) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
