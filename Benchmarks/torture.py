#!/usr/bin/env python3
"""qwen-sync torture suite: kill -9, fuzzing, the network fault matrix, secrets.

    python3 Benchmarks/torture.py --build .build/release [--quick] [--only NAME[,NAME]]
        [--fuzzer PATH | --build-fuzzer] [--seed N] [--json-out FILE]

Sections (see Benchmarks/README.md): kill9, rotation, fuzz, faults, secrets. Every subprocess output
and log of every section is kept and grepped for tokens at the end. Exit status 1 when any
check fails. --quick (for CI) runs the same checks with fewer iterations, well under 2 minutes.
"""
import argparse
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import mutate  # noqa: E402

FUZZ_DIR = os.path.join(common.HERE, "Fuzz")
CAPTURED = []          # (label, bytes) of every output and log, grepped by the secrets section
ISSUED_TOKENS = set()  # every token value the drivers wrote or the stand-in issued
FAILURES = []


def capture(label, data):
    if data:
        CAPTURED.append((label, data if isinstance(data, bytes) else data.encode()))


def capture_file(label, path):
    try:
        with open(path, "rb") as handle:
            capture(label, handle.read())
    except OSError:
        pass


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print(f"  FAIL: {message}", flush=True)
    return condition


def run(args, label, **kwargs):
    done = subprocess.run(args, capture_output=True, **kwargs)
    capture(label + " stdout", done.stdout)
    capture(label + " stderr", done.stderr)
    return done


def far_expiry():
    return common.now_ms() + 10 * 3600 * 1000


def token_pair(tag):
    access, refresh = common.fake_jwt("torture-" + tag, tag + "0011223344556677"), "rt-SECRET-" + tag + "-8899aabbccdd"
    ISSUED_TOKENS.update([access, refresh])
    return access, refresh


# ---------------------------------------------------------------- kill -9

def files_intact(ws):
    """Both files parse completely (a partial write would not); returns (ok, reason)."""
    for path, validate in ((ws.creds, common.qwen_code_valid),
                           (ws.accounts, lambda v: isinstance(v, dict) and v.get("version") == 1)):
        if not os.path.exists(path):
            continue
        try:
            with open(path, "rb") as handle:
                value = json.loads(handle.read())
        except ValueError as error:
            return False, f"{os.path.basename(path)} does not parse: {error}"
        if not validate(value):
            return False, f"{os.path.basename(path)} is not a valid document"
        if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
            return False, f"{os.path.basename(path)} mode is {oct(stat.S_IMODE(os.stat(path).st_mode))}"
    return True, ""


def kill9(binaries, quick, rng):
    cycles_goal = 150 if quick else 1000
    daemon_kills = 20 if quick else 200
    ws = common.Workspace("qwen-torture-")
    result = {}
    try:
        access, refresh = token_pair("kill")
        common.write_atomic(ws.creds, common.credentials(access, refresh, far_expiry()))
        # 1. Writers killed mid-transaction: qwen-sync-stress write-forever through CredentialStore.
        kills = partial = regressions = torn = 0
        committed, previous = 0, [0, 0]
        while committed < cycles_goal:
            worker = subprocess.Popen([binaries.stress, "write-forever", "--qwen-dir", ws.qwen, "--stale-ms", "300",
                                       "--delay-ms", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.005, 0.08))
            worker.send_signal(signal.SIGKILL)
            out, err = worker.communicate()
            capture("stress stderr", err)
            kills += 1
            printed = [int(x) for x in out.split()] if out.strip() else []
            ok, reason = files_intact(ws)
            if not check(ok, f"kill9 writer #{kills}: {reason}"):
                partial += 1
            counters = [int((common.read_json(p) or {}).get("stress_counter", 0)) for p in (ws.creds, ws.accounts)]
            # The printed value is the accounts counter of a committed transaction; neither file may go back.
            if (printed and counters[1] < printed[-1]) or counters[0] < previous[0] or counters[1] < previous[1]:
                regressions += 1
                check(False, f"kill9 writer #{kills}: committed {printed[-1:]} / before {previous} but files hold {counters}")
            if counters[0] - previous[0] > counters[1] - previous[1]:
                torn += 1  # killed between oauth_creds.json's rename and the store's: two renames are not one
            previous = counters
            committed = min(counters)
        leftovers = [n for n in os.listdir(ws.qwen) if ".tmp" in n]
        result["writers"] = {"kills": kills, "committed_cycles_each_file": committed, "partial_files": partial,
                             "lost_committed_updates": regressions, "temp_files_left": len(leftovers),
                             "kills_between_the_two_renames": torn}
        # 2. The daemon killed while it mirrors a change.
        for name in os.listdir(ws.qwen):
            if name.startswith("oauth_") and (".tmp" in name or ".lock" in name):
                os.unlink(os.path.join(ws.qwen, name))
        partial = locks_left = 0
        base = common.credentials(access, refresh, far_expiry())
        for i in range(daemon_kills):
            daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon.log"))
            if i % 2 == 0:
                common.write_atomic(ws.creds, dict(base, access_token=access + f"k{i}", expiry_date=base["expiry_date"] + i))
            else:
                document = common.read_json(ws.accounts)
                if document and document.get("accounts"):
                    document["accounts"][0]["token"]["expiry_date"] += 1000 + i
                    document["accounts"][0]["token"]["access_token"] = access + f"a{i}"
                    common.write_atomic(ws.accounts, document)
            time.sleep(rng.uniform(0, 0.004))
            daemon.process.send_signal(signal.SIGKILL)
            daemon.process.wait()
            ok, reason = files_intact(ws)
            if not check(ok, f"kill9 daemon #{i}: {reason}"):
                partial += 1
            # A lock left by the killed daemon would hold the next start for its stale time
            # (10 s / 30 s); counted here, measured once below, removed to keep the loop going.
            leftover = [n for n in os.listdir(ws.qwen) if n in ("oauth_creds.lock", "oauth_accounts.lock")]
            if leftover:
                locks_left += 1
                for name in leftover:
                    os.unlink(os.path.join(ws.qwen, name))
        result["daemon"] = {"kills": daemon_kills, "partial_files": partial, "kills_that_left_a_lock": locks_left,
                            "temp_files_left": len([n for n in os.listdir(ws.qwen) if ".tmp" in n])}
        # 3. A start after a killed holder left oauth_accounts.lock (dead pid inside): time to first answer.
        dead = subprocess.Popen(["true"])
        dead.wait()
        with open(os.path.join(ws.qwen, "oauth_accounts.lock"), "w") as handle:
            handle.write(f"{dead.pid}-{common.now_ms()}-0badc0de")
        document = common.read_json(ws.accounts)
        document["accounts"][0]["token"]["expiry_date"] += 99_999
        common.write_atomic(ws.accounts, document)  # so the start-up sync must write, under the lock
        start = time.monotonic()
        limit = 3 if quick else 45
        try:
            daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon.log"), start_timeout=limit)
            result["daemon"]["first_answer_after_dead_holder_lock_s"] = round(time.monotonic() - start, 2)
            daemon.stop()
        except RuntimeError:
            result["daemon"]["first_answer_after_dead_holder_lock_s"] = f"> {limit}"
        capture_file("kill9 daemon log", ws.path("daemon.log"))
    finally:
        ws.remove()
    ok = result["writers"]["partial_files"] == 0 and result["writers"]["lost_committed_updates"] == 0 \
        and result["daemon"]["partial_files"] == 0
    common.print_table("kill -9", [
        ("writer kills / committed cycles per file", f"{result['writers']['kills']} / {result['writers']['committed_cycles_each_file']}",
         f">= {cycles_goal} cycles", common.verdict(result["writers"]["committed_cycles_each_file"] >= cycles_goal)),
        ("partial files after a writer kill", result["writers"]["partial_files"], "0", common.verdict(result["writers"]["partial_files"] == 0)),
        ("committed updates lost", result["writers"]["lost_committed_updates"], "0",
         common.verdict(result["writers"]["lost_committed_updates"] == 0)),
        ("daemon kills while mirroring / partial files", f"{daemon_kills} / {result['daemon']['partial_files']}", "0 partial",
         common.verdict(result["daemon"]["partial_files"] == 0)),
        ("kills between the store and creds renames", result["writers"]["kills_between_the_two_renames"], "report", "-"),
        ("daemon kills that left a lock file", result["daemon"]["kills_that_left_a_lock"], "report", "-"),
        ("daemon start with a dead holder's accounts lock, s", result["daemon"]["first_answer_after_dead_holder_lock_s"],
         "report", "-"),
        ("temp files left (writers / daemon)", f"{result['writers']['temp_files_left']} / {result['daemon']['temp_files_left']}",
         "report", "-"),
    ])
    result["ok"] = ok
    return result


# ---------------------------------------------------------------- fuzzing

def seed_accounts(n=2):
    entries = []
    for i in range(n):
        access, refresh = token_pair(f"fz{i}")
        entries.append(common.account_entry(f"acct_fuzz{i}_0000000{i}", common.credentials(access, refresh, far_expiry() + i)))
    return common.accounts_document(entries, entries[0]["id"])


def store_tokens_valid(document):
    if not isinstance(document, dict) or not isinstance(document.get("accounts"), list):
        return False
    return all(common.qwen_code_valid(entry.get("token")) for entry in document["accounts"] if isinstance(entry, dict))


def fuzz_files(binaries, count, rng):
    """Mutated oauth_creds.json / oauth_accounts.json under a running daemon."""
    ws = common.Workspace("qwen-fuzz-")
    stats = {"creds_inputs": 0, "accounts_inputs": 0, "daemon_deaths": 0, "good_overwritten": 0, "store_corrupted": 0}
    try:
        good_store = seed_accounts()
        good_creds = good_store["accounts"][0]["token"]
        common.write_atomic(ws.accounts, good_store)
        common.write_atomic(ws.creds, good_creds)
        daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon.log"), level="warning")
        for i in range(count * 2):
            target_creds = i % 2 == 0
            data = mutate.mutate(good_creds if target_creds else good_store, rng)
            creds_before = open(ws.creds, "rb").read() if os.path.exists(ws.creds) else None
            store_before = open(ws.accounts, "rb").read()
            common.write_atomic(ws.creds if target_creds else ws.accounts, data)
            alive = daemon.ping() and daemon.alive()
            if not check(alive, f"fuzz files: daemon died on input #{i} ({data[:120]!r})"):
                stats["daemon_deaths"] += 1
                daemon.stop()
                daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon.log"), level="warning")
            try:
                parsed = json.loads(data)
            except (ValueError, RecursionError):
                parsed = None
            if target_creds:
                stats["creds_inputs"] += 1
                if not common.qwen_code_valid(parsed):
                    # Bad creds must not leak into the store, nor be replaced without need.
                    if not check(open(ws.accounts, "rb").read() == store_before,
                                 f"fuzz files: invalid oauth_creds.json #{i} changed oauth_accounts.json ({data[:120]!r})"):
                        stats["good_overwritten"] += 1
            else:
                stats["accounts_inputs"] += 1
                if parsed is None:
                    after = open(ws.creds, "rb").read() if os.path.exists(ws.creds) else None
                    if not check(after == creds_before,
                                 f"fuzz files: unparsable oauth_accounts.json #{i} changed oauth_creds.json ({data[:120]!r})"):
                        stats["good_overwritten"] += 1
            ok, reason = files_intact_loose(ws)
            if not ok:
                stats["store_corrupted"] += 1
                check(False, f"fuzz files: after input #{i}: {reason}")
            # Put good data back (newer mtime) for the next round.
            common.write_atomic(ws.accounts, good_store)
            common.write_atomic(ws.creds, good_creds)
            daemon.ping()
        capture_file("fuzz files daemon log", ws.path("daemon.log"))
        stats["daemon_alive_at_end"] = daemon.alive()
        daemon.stop()
    finally:
        ws.remove()
    return stats


def files_intact_loose(ws):
    """After fuzz input: what the daemon itself wrote must be valid (we cannot judge what we wrote)."""
    document = common.read_json(ws.accounts)
    if document is not None and isinstance(document, dict) and isinstance(document.get("accounts"), list):
        for entry in document["accounts"]:
            ident = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(ident, str) and "token" in entry and ident.startswith("acct_") \
                    and not ident.startswith("acct_fuzz") and not common.qwen_code_valid(entry["token"]):
                return False, "the daemon added an account without a valid token"
    return True, ""


def fuzz_socket(binaries, count, rng):
    ws = common.Workspace("qwen-fuzz-sock-")
    stats = {"inputs": 0, "non_json_replies": 0, "daemon_deaths": 0}
    seeds = [{"command": "status"}, {"command": "ping"}, {"command": "status", "extra": [1, 2]}]
    try:
        good = seed_accounts()
        common.write_atomic(ws.accounts, good)
        common.write_atomic(ws.creds, good["accounts"][0]["token"])
        daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon.log"), level="warning")
        for i in range(count):
            kind = rng.random()
            if kind < 0.8:
                payload = mutate.mutate(rng.choice(seeds), rng).replace(b"\n", b" ")
                payload += b"\n" if rng.random() < 0.9 else b""
            elif kind < 0.9:
                payload = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
            else:
                payload = b'{"command":"' + b"s" * rng.randint(1, 200_000) + b'"}\n'
            # A few leave the connection open without a newline: the daemon waits out its 500 ms.
            reply = daemon.request(payload, timeout=3, half_close=rng.random() < 0.98)
            stats["inputs"] += 1
            try:
                json.loads(reply)
            except (ValueError, RecursionError):
                stats["non_json_replies"] += 1
            if i % 50 == 0 or not reply:
                if not check(daemon.alive() and daemon.ping(), f"fuzz socket: daemon died after {payload[:100]!r}"):
                    stats["daemon_deaths"] += 1
                    daemon.stop()
                    daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon.log"), level="warning")
        # A client that connects and sends nothing must not stall the daemon for long.
        import socket as socketlib
        silent = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
        silent.connect(ws.socket)
        start = time.monotonic()
        daemon.ping()
        stats["ping_behind_silent_client_ms"] = round((time.monotonic() - start) * 1000, 1)
        silent.close()
        check(stats["ping_behind_silent_client_ms"] < 2000, "fuzz socket: a silent client stalls the daemon")
        stats["daemon_alive_at_end"] = daemon.alive() and daemon.ping()
        check(stats["daemon_alive_at_end"], "fuzz socket: daemon not answering at the end")
        capture_file("fuzz socket daemon log", ws.path("daemon.log"))
        daemon.stop()
    finally:
        ws.remove()
    return stats


CLI_SEED = [{"type": "system", "subtype": "init", "session_id": "s", "model": "coder-model"},
            {"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": "pong"}]}},
            {"type": "result", "subtype": "success", "is_error": False, "result": "pong",
             "usage": {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18}}]
REQUEST_SEED = {"model": "coder-model", "stream": False, "temperature": 0.2,
                "messages": [{"role": "system", "content": "be brief"},
                             {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                             {"role": "assistant", "content": "hello"}, {"role": "user", "content": "ping"}]}
EXEC_CODES = {0, 4, 5, 6}


def exec_worker(binaries, ws, inputs, kind, stats, lock):
    cli = ws.path("fake-cli.sh")
    for index, data in inputs:
        env = common.isolated_env(ws.qwen, ws.socket)
        env["QWEN_CLI_PATH"] = cli
        if kind == "cli_output":
            out_file = ws.path(f"cli-out-{threading.get_ident()}")
            with open(out_file, "wb") as handle:
                handle.write(data)
            env["FUZZ_CLI_OUTPUT"] = out_file
            env["FUZZ_CLI_EXIT"] = str([0, 0, 0, 1, 41, 53][index % 6])
            request = json.dumps(REQUEST_SEED).encode()
        else:
            env["FUZZ_CLI_OUTPUT"] = ws.path("cli-good")
            env["FUZZ_CLI_EXIT"] = "0"
            request = data
        done = subprocess.run([binaries.qwen_sync, "exec", "--timeout", "20"], input=request, env=env,
                              capture_output=True)
        bad = None
        if done.returncode < 0 or done.returncode not in EXEC_CODES:
            bad = f"exit {done.returncode}"
        else:
            try:
                document = json.loads(done.stdout)
                if done.returncode != 0 and "error" not in document:
                    bad = "non-zero exit without an error document"
            except (ValueError, RecursionError):
                if not done.stdout.startswith(b"data: "):
                    bad = "stdout is neither JSON nor SSE"
        with lock:
            stats["inputs"] += 1
            stats["exit_codes"][done.returncode] = stats["exit_codes"].get(done.returncode, 0) + 1
            capture(f"exec fuzz {kind} stderr", done.stderr)
            capture(f"exec fuzz {kind} stdout", done.stdout)
            if bad:
                stats["bad"] += 1
                check(False, f"fuzz exec ({kind}): {bad} for input {data[:150]!r}; stderr {done.stderr[:200]!r}")


def fuzz_exec(binaries, count, rng, kind):
    ws = common.Workspace("qwen-fuzz-exec-")
    stats = {"inputs": 0, "bad": 0, "exit_codes": {}}
    try:
        access, refresh = token_pair("exec-" + kind)
        common.write_atomic(ws.creds, common.credentials(access, refresh, far_expiry()))
        with open(ws.path("fake-cli.sh"), "w") as handle:
            handle.write('#!/bin/sh\ncat >/dev/null\ncat "$FUZZ_CLI_OUTPUT"\nexit "$FUZZ_CLI_EXIT"\n')
        os.chmod(ws.path("fake-cli.sh"), 0o755)
        with open(ws.path("cli-good"), "w") as handle:
            json.dump(CLI_SEED, handle)
        seed = CLI_SEED if kind == "cli_output" else REQUEST_SEED
        inputs = []
        for i in range(count):
            data = mutate.mutate(seed, rng)
            if kind == "request" and rng.random() < 0.1:
                document = mutate.mutate_structure(seed, rng)
                if isinstance(document, dict):
                    document["stream"] = True
                data = json.dumps(document).encode()
            inputs.append((i, data))
        lock = threading.Lock()
        threads = [threading.Thread(target=exec_worker, args=(binaries, ws, inputs[n::2], kind, stats, lock))
                   for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        ws.remove()
    stats["exit_codes"] = {str(k): v for k, v in sorted(stats["exit_codes"].items())}
    return stats


def libfuzzer(path, runs):
    if not path or not os.access(path, os.X_OK):
        return {"skipped": "no fuzzer binary (Benchmarks/Fuzz/build.sh builds one; pass --fuzzer PATH or --build-fuzzer)"}
    corpus = os.path.join("/tmp", f"qwen-sync-fuzz-corpus-{os.getpid()}")
    os.makedirs(corpus, exist_ok=True)
    start = time.monotonic()
    done = subprocess.run([path, f"-runs={runs}", "-max_len=65536", "-rss_limit_mb=4096", corpus,
                           os.path.join(FUZZ_DIR, "seeds")], capture_output=True, cwd="/tmp")
    text = done.stderr.decode(errors="replace")
    executed = re.findall(r"Done (\d+) runs", text)
    crash = re.findall(r"(ERROR: .*|SUMMARY: .*|Fatal error: .*|.*deadly signal.*)", text)
    result = {"runs_requested": runs, "runs_done": int(executed[-1]) if executed else None, "exit_code": done.returncode,
              "crashes": crash[:5], "seconds": round(time.monotonic() - start, 1)}
    check(done.returncode == 0, f"libFuzzer found a problem: {crash[:3]}; see /tmp for crash-* files")
    return result


def fuzz(binaries, quick, rng, fuzzer_path, exec_inputs=None):
    n_files = 200 if quick else 10000
    n_socket = 300 if quick else 10000
    n_exec = exec_inputs or (40 if quick else 10000)
    result = {"oauth_files": fuzz_files(binaries, n_files, rng), "control_socket": fuzz_socket(binaries, n_socket, rng),
              "exec_request": fuzz_exec(binaries, n_exec, rng, "request"),
              "cli_output": fuzz_exec(binaries, n_exec, rng, "cli_output"),
              "libfuzzer": libfuzzer(fuzzer_path, 20000 if quick else 100000)}
    f, s, e, c, lf = (result[k] for k in ("oauth_files", "control_socket", "exec_request", "cli_output", "libfuzzer"))
    common.print_table("fuzzing", [
        ("oauth_creds.json / oauth_accounts.json inputs", f"{f['creds_inputs']} / {f['accounts_inputs']}", "-", "-"),
        ("  daemon deaths / good data overwritten", f"{f['daemon_deaths']} / {f['good_overwritten']}", "0 / 0",
         common.verdict(f["daemon_deaths"] == 0 and f["good_overwritten"] == 0 and f["store_corrupted"] == 0)),
        ("control-socket inputs / daemon deaths", f"{s['inputs']} / {s['daemon_deaths']}", "0 deaths",
         common.verdict(s["daemon_deaths"] == 0)),
        ("exec requests / bad outcomes", f"{e['inputs']} / {e['bad']}", "0", common.verdict(e["bad"] == 0)),
        ("CLI outputs / bad outcomes", f"{c['inputs']} / {c['bad']}", "0", common.verdict(c["bad"] == 0)),
        ("libFuzzer (all parsers) runs / exit", f"{lf.get('runs_done')} / {lf.get('exit_code', lf.get('skipped'))}",
         "0 crashes", common.verdict(lf.get("exit_code") == 0) if "exit_code" in lf else "skipped"),
    ])
    result["ok"] = (f["daemon_deaths"] == 0 and f["good_overwritten"] == 0 and f["store_corrupted"] == 0
                    and s["daemon_deaths"] == 0 and e["bad"] == 0 and c["bad"] == 0 and lf.get("exit_code", 0) == 0)
    return result


# ---------------------------------------------------------------- network fault matrix

FAULTS = [("delay", {"delay_ms": 1500}), ("hang", {}), ("reset", {}), ("status_500", {}),
          ("status_429", {"retry_after": 1}), ("garbage", {}), ("status_401", {}), ("invalid_grant", {})]
FATAL = {"status_401", "invalid_grant"}


def new_session(binaries, tag, expires_in=3600, log=None):
    ws = common.Workspace(f"qwen-fault-{tag}-")
    standin = common.StandIn(binaries, "--expires-in", str(expires_in), log=log or ws.path("standin.log"))
    refresh = standin.seed(f"fault-{tag}")
    ISSUED_TOKENS.add(refresh)
    access = common.fake_jwt(f"fault-{tag}", "initial-" + tag)
    ISSUED_TOKENS.add(access)
    return ws, standin, access, refresh


def faults(binaries, quick):
    rows, result = [], {"cli": {}, "daemon": {}}
    for kind, options in FAULTS:
        failures_before = len(FAILURES)
        # 1. `qwen-sync refresh` meets the fault, then runs again without it.
        ws, standin, access, refresh = new_session(binaries, "cli-" + kind)
        try:
            common.write_atomic(ws.creds, common.credentials(access, refresh, common.now_ms() + 3600_000))
            env = common.isolated_env(ws.qwen, ws.socket, standin.url)
            # `refresh` needs the account in the store (see README: refresh with only oauth_creds.json fails).
            run([binaries.qwen_sync, "accounts", "import"], f"fault {kind} import", env=env)
            standin.config(faults=[dict(kind=kind, grant_type="refresh_token", **options)])
            start = time.monotonic()
            first = run([binaries.qwen_sync, "refresh", "--json"], f"fault {kind} refresh", env=env,
                        timeout=60)
            seconds = time.monotonic() - start
            after = common.read_json(ws.creds)
            ISSUED_TOKENS.update(standin.issued_tokens())
            expect_ok = kind == "delay"
            entry = {"exit": first.returncode, "seconds": round(seconds, 2), "creds_valid": common.qwen_code_valid(after),
                     "stderr": first.stderr.decode(errors="replace").strip()[:160]}
            check(first.returncode == (0 if expect_ok else 1), f"fault {kind}: refresh exit {first.returncode}")
            check(common.qwen_code_valid(after), f"fault {kind}: oauth_creds.json not valid after the fault")
            check(first.returncode == 0 or first.stderr.strip(), f"fault {kind}: failure without a reason on stderr")
            check(seconds < 30, f"fault {kind}: refresh took {seconds:.1f} s")
            if kind not in FATAL:
                live = standin.stats()["live_refresh_tokens"].get(f"fault-cli-{kind}", [])
                check(after and after.get("refresh_token") in live,
                      f"fault {kind}: the refresh token in oauth_creds.json is no longer live on the server")
                second = run([binaries.qwen_sync, "refresh", "--json"], f"fault {kind} retry", env=env, timeout=60)
                entry["retry_exit"] = second.returncode
                check(second.returncode == 0, f"fault {kind}: the refresh after the fault failed ({second.stderr[:200]!r})")
            else:
                listing = run([binaries.qwen_sync, "accounts", "list", "--json"], f"fault {kind} list", env=env)
                try:
                    states = [a.get("state") for a in json.loads(listing.stdout)["accounts"]]
                except (ValueError, KeyError, TypeError, AttributeError):
                    states = []
                entry["account_states"] = states
                check("auth_invalid" in states, f"fault {kind}: the account is not marked auth_invalid ({states})")
                check(os.path.exists(ws.creds), f"fault {kind}: oauth_creds.json was deleted")
            result["cli"][kind] = entry
            rows.append((f"cli refresh vs {kind}", f"exit {entry['exit']}, {entry['seconds']} s, retry {entry.get('retry_exit', '-')}",
                         "clean failure, valid file", common.verdict(len(FAILURES) == failures_before)))
        finally:
            capture_file(f"fault {kind} standin log", ws.path("standin.log"))
            standin.stop()
            ws.remove()
    if not quick:
        for kind, options in FAULTS:
            failures_before = len(FAILURES)
            result["daemon"][kind] = daemon_fault(binaries, kind, options)
            d = result["daemon"][kind]
            rows.append((f"daemon refresh vs {kind}", f"attempts {d['attempts']}, refreshed {d['refreshed']}, alive {d['alive']}, "
                         f"slowest ping {d['slowest_control_answer_ms']:.0f} ms",
                         "recovers / auth_invalid", common.verdict(len(FAILURES) == failures_before)))
    common.print_table("network fault matrix (stand-in faults on refresh_token requests)", rows)
    result["ok"] = not any(f.startswith("fault") for f in FAILURES)
    return result


def daemon_fault(binaries, kind, options):
    ws, standin, access, refresh = new_session(binaries, "daemon-" + kind, expires_in=3600)
    try:
        # Due now: the token expires within the daemon's 40 s lead.
        common.write_atomic(ws.creds, common.credentials(access, refresh, common.now_ms() + 38_000))
        standin.config(faults=[dict(kind=kind, grant_type="refresh_token", **options)])
        daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon.log"), base_url=standin.url, lead=40)
        deadline = time.monotonic() + 30
        refreshed = False
        slowest_ping_ms = 0.0
        while time.monotonic() < deadline:
            # The daemon is one poll loop: how long does a status request wait while it refreshes?
            ping_start = time.monotonic()
            daemon.request(b'{"command":"ping"}\n', timeout=15)
            slowest_ping_ms = max(slowest_ping_ms, (time.monotonic() - ping_start) * 1000)
            stats = standin.stats()
            successes = [r for r in stats["requests"] if r["grant_type"] == "refresh_token" and r["result"] == "success"]
            if successes and kind not in FATAL:
                refreshed = True
                break
            if kind in FATAL and stats["refresh_requests"] >= 1 and time.monotonic() > deadline - 20:
                break
            time.sleep(0.25)
        time.sleep(0.5)
        stats = standin.stats()
        ISSUED_TOKENS.update(standin.issued_tokens())
        creds = common.read_json(ws.creds)
        status = daemon.status() or {}
        entry = {"attempts": stats["refresh_requests"], "refreshed": refreshed, "alive": daemon.alive(),
                 "slowest_control_answer_ms": round(slowest_ping_ms, 1),
                 "creds_valid": common.qwen_code_valid(creds),
                 "states": [a.get("state") for a in status.get("accounts", [])]}
        check(entry["alive"], f"fault daemon {kind}: daemon died")
        check(entry["creds_valid"], f"fault daemon {kind}: oauth_creds.json not valid")
        if kind in FATAL:
            check("auth_invalid" in entry["states"], f"fault daemon {kind}: account not auth_invalid ({entry['states']})")
            check(stats["refresh_requests"] <= 2, f"fault daemon {kind}: {stats['refresh_requests']} refresh attempts with a refused token")
        else:
            check(refreshed, f"fault daemon {kind}: no successful refresh within 30 s after the fault")
            check(creds and creds.get("refresh_token") != refresh, f"fault daemon {kind}: oauth_creds.json not updated")
        daemon.stop()
        capture_file(f"fault daemon {kind} log", ws.path("daemon.log"))
        return entry
    finally:
        standin.stop()
        ws.remove()


# ---------------------------------------------------------------- rotation

ROTATION_ANSWER_MS = 3000


def rotation_flock_free(path, timeout):
    """Waits until no process holds the write-ahead's in-flight lock (an orphaned request)."""
    import fcntl
    deadline = time.monotonic() + timeout
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.02)
    finally:
        os.close(fd)


def rotation_instant(binaries, who, index, instants):
    """kill -9 of `who` ("cli" or "daemon") at instant `index` of `instants` spread over a slow
    rotating refresh; then a fresh process must refresh with the rotated token."""
    tag = f"rot-{who}-{index}"
    ws, standin, access, refresh = new_session(binaries, tag)
    try:
        expiry = common.now_ms() + (3600_000 if who == "cli" else 38_000)
        common.write_atomic(ws.creds, common.credentials(access, refresh, expiry))
        env = common.isolated_env(ws.qwen, ws.socket, standin.url)
        run([binaries.qwen_sync, "accounts", "import"], f"{tag} import", env=env)
        standin.config(faults=[dict(kind="delay", delay_ms=ROTATION_ANSWER_MS, grant_type="refresh_token")])
        offset = index * (ROTATION_ANSWER_MS + 1000) / 1000 / max(1, instants - 1)
        if who == "cli":
            process = subprocess.Popen([binaries.qwen_sync, "refresh"], env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(offset)
            process.kill()
            process.wait()
        else:
            daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon.log"), base_url=standin.url, lead=40)
            deadline = time.monotonic() + 20
            while standin.stats()["refresh_requests"] < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(offset)
            daemon.process.kill()
            daemon.process.wait()
            capture_file(f"{tag} daemon log", ws.path("daemon.log"))
        orphan_done = rotation_flock_free(os.path.join(ws.qwen, "qwen-sync-rotations.jsonl"), 20)
        if who == "cli":
            again = run([binaries.qwen_sync, "refresh"], f"{tag} refresh again", env=env, timeout=60)
            usable = again.returncode == 0
        else:
            daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon2.log"), base_url=standin.url, lead=40)
            deadline = time.monotonic() + 60
            live = []
            while time.monotonic() < deadline:
                live = standin.stats()["live_refresh_tokens"].get(f"fault-{tag}", [])
                creds = common.read_json(ws.creds) or {}
                if creds.get("refresh_token") in live:
                    break
                time.sleep(0.1)
            daemon.stop()
            capture_file(f"{tag} daemon 2 log", ws.path("daemon2.log"))
            usable = (common.read_json(ws.creds) or {}).get("refresh_token") in live
        stats = standin.stats()
        ISSUED_TOKENS.update(standin.issued_tokens())
        listing = run([binaries.qwen_sync, "accounts", "list", "--json"], f"{tag} list", env=env)
        try:
            states = [a.get("state") for a in json.loads(listing.stdout)["accounts"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            states = []
        entry = {"offset_s": round(offset, 2), "orphan_done": orphan_done, "superseded_presented": stats["dead_token_reuse"],
                 "invalidated": states.count("auth_invalid"), "usable": usable}
        check(orphan_done, f"rotation {tag}: an orphaned request was still in flight after 20 s")
        check(entry["superseded_presented"] == 0, f"rotation {tag}: {entry['superseded_presented']} superseded token(s) presented")
        check(entry["invalidated"] == 0, f"rotation {tag}: account marked auth_invalid")
        check(usable, f"rotation {tag}: the account is not usable after the restart")
        return entry
    finally:
        capture_file(f"{tag} standin log", ws.path("standin.log"))
        standin.stop()
        ws.remove()


def rotation(binaries, quick):
    """kill -9 of `qwen-sync refresh` and of the daemon at evenly spread instants of a slow
    (3 s) rotating refresh: 0 superseded tokens presented, 0 accounts invalidated (issue 20)."""
    instants = 4 if quick else 20
    result = {"instants": instants, "answer_ms": ROTATION_ANSWER_MS}
    rows = []
    for who in ("cli", "daemon"):
        entries = [rotation_instant(binaries, who, index, instants) for index in range(instants)]
        presented = sum(e["superseded_presented"] for e in entries)
        invalidated = sum(e["invalidated"] for e in entries)
        usable = sum(1 for e in entries if e["usable"])
        result[who] = {"superseded_presented": presented, "invalidated": invalidated, "usable": usable, "runs": entries}
        rows.append((f"kill -9 of {'qwen-sync refresh' if who == 'cli' else 'the daemon'} x{instants}",
                     f"{presented} superseded presented, {invalidated} invalidated, {usable}/{instants} usable",
                     "0, 0, all", common.verdict(presented == 0 and invalidated == 0 and usable == instants)))
    common.print_table("write-ahead: kill -9 during a slow rotating refresh", rows)
    result["ok"] = not any(f.startswith("rotation") for f in FAILURES)
    return result


# ---------------------------------------------------------------- secrets

def secrets(binaries, quick):
    """Drives every command with recognisable tokens, then greps everything captured."""
    sampler = common.CmdlineSampler(0.005)
    sampler.start()
    ws = common.Workspace("qwen-secrets-")
    standin = common.StandIn(binaries, "--expires-in", "45", "--interval", "1", "--pending-polls", "1",
                             "--no-enforce-interval", "--verbose", log=ws.path("standin.log"))
    env = common.isolated_env(ws.qwen, ws.socket, standin.url)
    env.update({"QWEN_SYNC_LOG_LEVEL": "trace", "QWEN_CLI_PATH": common.FAKE_QWEN, "FAKE_QWEN_MODE": "echo"})
    try:
        def cli(*args, stdin=None, label=None):
            done = run([binaries.qwen_sync, *args], label or "qwen-sync " + " ".join(args), env=env, input=stdin, timeout=60)
            ISSUED_TOKENS.update(standin.issued_tokens())
            return done
        login = cli("login", "--no-browser", "--label", "first")
        check(login.returncode == 0, f"secrets: login failed ({login.stderr[-300:]!r})")
        standin.config(login_sub="second-user", login_email="second@example.com")
        cli("login", "--no-browser", "--label", "second", "--no-activate")
        for args in (["accounts", "list"], ["accounts", "list", "--json"], ["accounts", "use", "second"],
                     ["accounts", "use", "first"], ["refresh"], ["refresh", "--all", "--json"], ["status"],
                     ["status", "--json"], ["accounts", "reset", "second"], ["accounts", "import"]):
            cli(*args)
        request = json.dumps({"model": "coder-model", "messages": [{"role": "user", "content": "ping"}]}).encode()
        cli("exec", stdin=request)
        cli("exec", stdin=json.dumps({"model": "x", "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode())
        cli("exec", stdin=b"{broken")
        # Failures that carry tokens nearby: refused refresh, garbage body.
        standin.config(faults=[{"kind": "garbage", "grant_type": "refresh_token"}])
        cli("refresh", label="refresh vs garbage")
        standin.config(faults=[{"kind": "invalid_grant", "grant_type": "refresh_token"}])
        cli("refresh", "second", label="refresh vs invalid_grant")
        # The daemon through a few refreshes (45 s tokens, 40 s lead), with status queries.
        daemon = common.Daemon(binaries, ws.qwen, ws.socket, ws.path("daemon.log"), base_url=standin.url, lead=40,
                               extra_env={"QWEN_SYNC_LOG_LEVEL": "trace"}, level="trace")
        end = time.monotonic() + (8 if quick else 25)
        while time.monotonic() < end:
            cli("status", "--json")
            time.sleep(1)
        common.write_atomic(ws.creds + ".gone", b"")  # a stray file the daemon must ignore
        os.unlink(ws.creds)  # deleted like qwen-code does after a 400: the daemon restores it
        time.sleep(1.5)
        cli("status")
        daemon.stop()
        capture_file("daemon log", ws.path("daemon.log"))
        ISSUED_TOKENS.update(standin.issued_tokens())
        for name in os.listdir(ws.qwen):
            if name not in ("oauth_creds.json", "oauth_accounts.json"):
                capture_file(f"qwen dir file {name}", os.path.join(ws.qwen, name))
        with open(ws.creds, "rb") as handle:
            positive_control = handle.read()  # must hit: proves the patterns match real token values
    finally:
        standin.stop()
        capture_file("stand-in log", ws.path("standin.log"))
        sampler.stop()
        ws.remove()
    for snapshot in sampler.snapshots:
        capture("/proc/*/cmdline", snapshot.replace(b"\0", b" "))
    journal = "not available (no journald here); QWEN_SYNC_LOG=stderr was captured instead"
    patterns = [b"at-SECRET-", b"rt-SECRET-", b"dc-SECRET-"] + [t.encode() for t in ISSUED_TOKENS if len(t) >= 12]
    live = json.loads(positive_control)
    check(live["access_token"].encode() in patterns and live["refresh_token"].encode() in patterns,
          "secrets: the grep list misses the tokens actually issued (positive control)")
    hits = []
    for label, data in CAPTURED:
        for pattern in patterns:
            if pattern in data:
                at = data.index(pattern)
                hits.append({"where": label, "pattern": pattern[:14].decode() + "…",
                             "context": data[max(0, at - 60): at + 20].decode(errors="replace")})
                break
    result = {"captured_streams": len(CAPTURED), "captured_bytes": sum(len(d) for _, d in CAPTURED),
              "cmdline_samples": sampler.samples, "distinct_cmdlines": len(sampler.snapshots),
              "token_values_checked": len(ISSUED_TOKENS), "hits": hits[:20], "hit_count": len(hits), "journal": journal}
    common.print_table("secrets", [
        ("streams / bytes grepped", f"{result['captured_streams']} / {result['captured_bytes']}", "-", "-"),
        ("/proc/*/cmdline samples (distinct)", f"{sampler.samples} ({len(sampler.snapshots)})", "-", "-"),
        ("token values + prefixes checked", f"{len(ISSUED_TOKENS)} + 3", "-", "-"),
        ("hits", len(hits), "0", common.verdict(not hits)),
    ])
    for hit in hits[:10]:
        print(f"  HIT in {hit['where']}: …{hit['context']}…")
    check(not hits, f"secrets: {len(hits)} token hits in outputs/logs/files/cmdlines")
    result["ok"] = not hits
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--quick", action="store_true", help="the short CI version (well under 2 minutes)")
    parser.add_argument("--only", default="", help="comma-separated: kill9,rotation,fuzz,faults,secrets")
    parser.add_argument("--fuzzer", help="a libFuzzer binary built by Benchmarks/Fuzz/build.sh")
    parser.add_argument("--build-fuzzer", action="store_true", help="build the libFuzzer binary first (minutes)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--exec-inputs", type=int, help="inputs for each qwen-sync exec fuzzer (default 10,000; 40 quick)")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    binaries = common.Binaries(args.build)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    fuzzer = args.fuzzer
    if args.build_fuzzer:
        subprocess.run(["sh", os.path.join(FUZZ_DIR, "build.sh"), "/tmp/qwen-sync-fuzz"], check=True)
        fuzzer = "/tmp/qwen-sync-fuzz/fuzz"
    sections = {"kill9": lambda: kill9(binaries, args.quick, rng), "rotation": lambda: rotation(binaries, args.quick), "fuzz": lambda: fuzz(binaries, args.quick, rng, fuzzer, args.exec_inputs),
                "faults": lambda: faults(binaries, args.quick), "secrets": lambda: secrets(binaries, args.quick)}
    names = [n for n in args.only.split(",") if n] or list(sections)
    if "secrets" in names:  # the grep covers every section's output: run it last
        names = [n for n in names if n != "secrets"] + ["secrets"]
    report = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **common.machine(), "quick": args.quick,
              "seed": seed, "sections": {}}
    print(f"qwen-sync torture: {report['cores']} cores, kernel {report['kernel']}, seed {seed}")
    started = time.monotonic()
    for name in names:
        section_start = time.monotonic()
        try:
            report["sections"][name] = sections[name]()
        except Exception as error:
            check(False, f"{name}: the section itself failed: {error!r}")
            report["sections"][name] = {"error": repr(error), "ok": False}
        report["sections"][name]["seconds"] = round(time.monotonic() - section_start, 1)
    report["seconds"] = round(time.monotonic() - started, 1)
    report["failures"] = FAILURES[:50]
    report["failure_count"] = len(FAILURES)
    report["ok"] = not FAILURES
    document = json.dumps(report, indent=2)
    print("\n" + document)
    if args.json_out:
        with open(args.json_out, "w") as handle:
            handle.write(document + "\n")
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
