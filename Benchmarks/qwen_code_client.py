#!/usr/bin/env python3
"""A qwen-code-like OAuth client, for the refresh-economy benchmark (docs/INTEROP.md: "oauth_creds.json", "Lock files", "OAuth endpoints").

    qwen_code_client.py QWEN_DIR BASE_URL SECONDS [--period S] [--window-ms MS]

Every `period` seconds (default 1, jittered) it "needs a token": it re-reads oauth_creds.json
when the mtime moved past its cached one (checked at most every 5 s, like qwen-code), and
when the cached token expires within 30 s it refreshes the way qwen-code does: take
oauth_creds.lock (O_CREAT|O_EXCL, a UUID, stale after 10 s, 20 retries 100 ms x1.5 capped
2 s), re-read the file, refresh with the server when still needed, write temp + rename 0600,
unlink the lock; HTTP 400/401 deletes the file. On exit it unlinks oauth_creds.lock whether
it holds it or not (as every qwen process does). Prints one JSON line: its counters.
`--window-ms` widens the 30 s refresh window (the accounts plugin refreshes inside the last
30 min; the benchmark scales that down with the token lifetime).
"""
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
USER_AGENT = "QwenCode/0.16.1 (linux; x64) bench-client"


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run the exit path: unlink the lock, print counters
    qwen_dir, base_url, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    options = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    period = float(options.get("--period", 1.0))
    window_ms = int(options.get("--window-ms", 30_000))
    creds_path = os.path.join(qwen_dir, "oauth_creds.json")
    lock_path = os.path.join(qwen_dir, "oauth_creds.lock")
    counters = {"token_uses": 0, "reloads": 0, "refreshes": 0, "refresh_errors": 0, "expired_uses": 0,
                "lock_waits": 0, "missing_file": 0}
    cached, cached_mtime, last_check = None, 0, 0.0

    def load():
        try:
            with open(creds_path, "rb") as handle:
                return json.loads(handle.read()), os.fstat(handle.fileno()).st_mtime_ns
        except (OSError, ValueError):
            return None, 0

    def acquire():
        delay = 0.1
        for _ in range(20):
            try:
                fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, str(uuid.uuid4()).encode())
                os.close(fd)
                return True
            except FileExistsError:
                try:
                    if time.time() - os.stat(lock_path).st_mtime > 10:
                        stale = f"{lock_path}.stale.{uuid.uuid4()}"
                        os.rename(lock_path, stale)
                        os.unlink(stale)
                        continue
                except OSError:
                    continue
                counters["lock_waits"] += 1
                time.sleep(delay)
                delay = min(delay * 1.5, 2.0)
        return False

    def refresh(token):
        body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
                                       "client_id": CLIENT_ID}).encode()
        request = urllib.request.Request(base_url + "/api/v1/oauth2/token", data=body, method="POST",
                                         headers={"Accept": "application/json", "User-Agent": USER_AGENT,
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            counters["refresh_errors"] += 1
            if error.code in (400, 401):
                try:
                    os.unlink(creds_path)
                except OSError:
                    pass
            return None
        except (OSError, ValueError):
            counters["refresh_errors"] += 1
            return None
        counters["refreshes"] += 1
        updated = {"access_token": answer["access_token"], "token_type": answer.get("token_type", "Bearer"),
                   "refresh_token": answer.get("refresh_token", token["refresh_token"]),
                   "resource_url": answer.get("resource_url", token.get("resource_url")),
                   "expiry_date": int(time.time() * 1000) + int(answer["expires_in"]) * 1000}
        temp = f"{creds_path}.tmp.{uuid.uuid4()}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, json.dumps(updated, indent=2).encode())
        os.close(fd)
        os.rename(temp, creds_path)
        return updated

    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            time.sleep(period * random.uniform(0.5, 1.5))
            counters["token_uses"] += 1
            now = time.monotonic()
            if cached is None or now - last_check >= 5:
                last_check = now
                try:
                    mtime = os.stat(creds_path).st_mtime_ns
                except OSError:
                    counters["missing_file"] += 1
                    mtime = 0
                if mtime > cached_mtime:
                    value, mtime = load()
                    if value is not None:
                        cached, cached_mtime = value, mtime
                        counters["reloads"] += 1
            if cached is None:
                continue
            if cached["expiry_date"] - time.time() * 1000 > window_ms:
                continue
            if cached["expiry_date"] <= time.time() * 1000:
                counters["expired_uses"] += 1
            if not acquire():
                continue
            try:
                value, mtime = load()
                if value is not None and value["expiry_date"] - time.time() * 1000 > window_ms:
                    cached, cached_mtime = value, mtime
                    continue
                updated = refresh(value or cached)
                if updated is not None:
                    cached, cached_mtime = updated, os.stat(creds_path).st_mtime_ns
            finally:
                try:
                    os.unlink(lock_path)
                except OSError:
                    pass
    finally:
        try:
            os.unlink(lock_path)  # every qwen process does this on exit, held or not
        except OSError:
            pass
        print(json.dumps(counters), flush=True)


if __name__ == "__main__":
    main()
