"""Shared helpers for the benchmark and torture drivers (Python 3 stdlib only).

Launches the release-built binaries (qwen-sync, qwen-syncd, qwen-oauth-standin, qwen-sync-stress),
writes credential files the way the peers do (temp file + rename, 0600), watches files
with inotify through ctypes, and prints tables.
"""
import base64
import ctypes
import ctypes.util
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

CLIENT_ID = "f0304373b74a44d2b584a3fb70ca9e56"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FAKE_QWEN = os.path.join(ROOT, "Tests", "QwenExecTests", "Fixtures", "fake-qwen")
CLIENT_SCRIPT = os.path.join(HERE, "qwen_code_client.py")


def now_ms():
    return int(time.time() * 1000)


def machine():
    """Core count, kernel and CPU model for the JSON documents."""
    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/loadavg") as handle:
            load = " ".join(handle.read().split()[:3])
    except OSError:
        load = ""
    return {"cores": os.cpu_count(), "kernel": os.uname().release, "cpu": model,
            "python": sys.version.split()[0], "loadavg_at_start": load}


class Binaries:
    """The built executables under --build."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.qwen_sync = os.path.join(self.build, "qwen-sync")
        self.standin = os.path.join(self.build, "qwen-oauth-standin")
        self.stress = os.path.join(self.build, "qwen-sync-stress")
        # qwen-syncd, which `qwen-sync daemon` hands over to, is not required: without it (a
        # build from before it existed) the daemon runs in qwen-sync's process.
        for path in (self.qwen_sync, self.standin, self.stress):
            if not os.access(path, os.X_OK):
                sys.exit(f"missing {path}: build first (make release, or sh contrib/release-build.sh)")


# ---------------------------------------------------------------- files

def fake_jwt(sub, secret_suffix):
    """An access token shaped like the stand-in's: JWT header.payload plus a secret tail."""
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return enc({"alg": "HS256", "typ": "JWT"}) + "." + enc({"sub": sub, "email": sub + "@example.com"}) \
        + ".at-SECRET-" + secret_suffix


def credentials(access, refresh, expiry_ms, **extra):
    value = {"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
             "resource_url": "portal.qwen.ai", "expiry_date": expiry_ms}
    value.update(extra)
    return value


def account_entry(account_id, creds, created=1700000000000):
    return {"id": account_id, "token": dict(creds), "resource_url": "https://portal.qwen.ai",
            "exhaustedUntil": 0, "createdAt": created, "updatedAt": created}


def accounts_document(entries, active):
    return {"version": 1, "activeAccountId": active, "accounts": entries}


def write_atomic(path, data, mode=0o600):
    """Temp file + rename, like qwen-code; the mtime always moves forward."""
    if not isinstance(data, (bytes, bytearray)):
        data = json.dumps(data, indent=2).encode()
    before = None
    try:
        before = os.stat(path).st_mtime_ns
    except OSError:
        pass
    temp = f"{path}.tmp.{os.getpid()}.{uuid.uuid4()}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    if before is not None:
        stamp = max(time.time_ns(), before + 1_000_000)
        os.utime(temp, ns=(stamp, stamp))
    os.rename(temp, path)


def read_json(path):
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return None


def qwen_code_valid(value):
    """qwen-code's validity check for oauth_creds.json."""
    if not isinstance(value, dict):
        return False
    for key in ("access_token", "refresh_token", "token_type"):
        if not isinstance(value.get(key), str) or not value[key]:
            return False
    return isinstance(value.get("expiry_date"), (int, float)) and not isinstance(value.get("expiry_date"), bool)


# ---------------------------------------------------------------- inotify

class Inotify:
    """A minimal inotify watcher on one directory (ctypes)."""
    IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x2, 0x8, 0x80, 0x100
    IN_NONBLOCK = 0o4000

    def __init__(self, directory, mask=IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(self.IN_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, directory.encode(), mask) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")
        self.poller = select.poll()
        self.poller.register(self.fd, select.POLLIN)

    def drain(self):
        names = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return names
            offset = 0
            while offset < len(data):
                _wd, mask, _cookie, length = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16: offset + 16 + length].rstrip(b"\0").decode(errors="replace")
                names.append((name, mask))
                offset += 16 + length

    def wait_for(self, name, deadline, check=None):
        """Waits until `name` is renamed into place or closed after writing (and `check()` holds);
        returns the monotonic time of that event in ns, or None at the deadline."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if not self.poller.poll(remaining * 1000):
                continue
            stamp = time.monotonic_ns()
            for entry, mask in self.drain():
                if entry == name and mask & (self.IN_MOVED_TO | self.IN_CLOSE_WRITE):
                    if check is None or check():
                        return stamp

    def close(self):
        os.close(self.fd)


# ---------------------------------------------------------------- processes

class StandIn:
    """qwen-oauth-standin on an ephemeral port."""

    def __init__(self, binaries, *args, log=None):
        self.log_path = log
        stderr = open(log, "ab") if log else subprocess.DEVNULL
        self.process = subprocess.Popen([binaries.standin, "--exit-on-stdin-eof", *args],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        line = self.process.stdout.readline().decode().strip()
        if not line.startswith("LISTENING "):
            raise RuntimeError(f"stand-in did not start: {line!r}")
        self.url = line.split(" ", 1)[1]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stats(self):
        return self._call("GET", "/__admin/stats")

    def config(self, **values):
        return self._call("POST", "/__admin/config", values)

    def seed(self, sub):
        return self._call("POST", "/__admin/seed", {"sub": sub})["refresh_token"]

    def issued_tokens(self):
        """Every live refresh token and latest access token the stand-in lists."""
        stats = self.stats()
        tokens = set()
        for values in stats.get("live_refresh_tokens", {}).values():
            tokens.update(values)
        tokens.update(v for v in stats.get("latest_access_tokens", {}).values() if v)
        return tokens

    def stop(self):
        end_process(self.process)


class Daemon:
    """`qwen-sync daemon` on a private qwen dir and socket, logging to a file."""

    def __init__(self, binaries, qwen_dir, socket_path, log, base_url="http://127.0.0.1:9", lead=300,
                 extra_env=None, level="info", start_timeout=15):
        self.binaries, self.socket_path, self.log = binaries, socket_path, log
        env = isolated_env(qwen_dir, socket_path, base_url)
        env["QWEN_SYNC_LOG_LEVEL"] = level
        env.update(extra_env or {})
        self.env = env
        with open(log, "ab") as handle:
            self.process = subprocess.Popen([binaries.qwen_sync, "daemon", "--refresh-lead", str(lead)],
                                            env=env, stdin=subprocess.DEVNULL, stdout=handle, stderr=handle)
        self.pid = self.process.pid
        deadline = time.monotonic() + start_timeout
        while not self.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                raise RuntimeError(f"daemon did not answer within {start_timeout} s, see {log}")
            time.sleep(0.01)

    def request(self, payload, timeout=3.0, half_close=True):
        """Sends raw bytes to the control socket (then shuts down the write side unless
        `half_close` is false); returns the raw reply (b'' on failure)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(timeout)
                client.connect(self.socket_path)
                client.sendall(payload)
                if half_close:
                    client.shutdown(socket.SHUT_WR)
                chunks = []
                while True:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
                return b"".join(chunks)
        except OSError:
            return b""

    def ping(self):
        reply = self.request(b'{"command":"ping"}\n', timeout=1.0)
        try:
            return json.loads(reply).get("ok") is True
        except ValueError:
            return False

    def status(self):
        try:
            return json.loads(self.request(b'{"command":"status"}\n'))
        except ValueError:
            return None

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        return end_process(self.process)


def end_process(process, grace_s=5):
    """SIGTERM, then SIGKILL after `grace_s`; returns the exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def isolated_env(qwen_dir, socket_path, base_url="http://127.0.0.1:9"):
    """An environment that points every qwen-sync setting at private paths."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QWEN_", "OPENCODE_QWEN", "JOURNAL_STREAM", "NOTIFY_SOCKET", "LISTEN_"))}
    env.update({"QWEN_HOME": qwen_dir, "QWEN_SYNC_SOCKET": socket_path, "QWEN_SYNC_OAUTH_BASE_URL": base_url,
                "QWEN_SYNC_LOG": "stderr", "XDG_RUNTIME_DIR": os.path.dirname(socket_path)})
    return env


def thread_switches(pid):
    """Voluntary + involuntary context switches summed over every thread of `pid`."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as handle:
                for line in handle:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def proc_status_value(pid, key):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return line.split()[1:]
    return None


class Workspace:
    """A temporary directory with a 0700 qwen dir and a runtime dir for the socket."""

    def __init__(self, prefix="qwen-bench-"):
        self.root = tempfile.mkdtemp(prefix=prefix)
        self.qwen = os.path.join(self.root, "qwen")
        self.run = os.path.join(self.root, "run")
        os.mkdir(self.qwen, 0o700)
        os.mkdir(self.run, 0o700)
        self.socket = os.path.join(self.run, "control.sock")
        self.creds = os.path.join(self.qwen, "oauth_creds.json")
        self.accounts = os.path.join(self.qwen, "oauth_accounts.json")

    def path(self, name):
        return os.path.join(self.root, name)

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------- statistics and output

def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def median(values):
    return percentile(values, 0.5)


def print_table(title, rows):
    """rows: list of (name, value, goal, verdict)."""
    print(f"\n== {title}")
    widths = [max(len(str(row[i])) for row in rows + [("metric", "value", "goal", "ok")]) for i in range(4)]
    header = ("metric", "value", "goal", "ok")
    for row in [header] + rows:
        print("  " + "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
    sys.stdout.flush()


def verdict(ok):
    return "-" if ok is None else ("MET" if ok else "MISSED")


class CmdlineSampler(threading.Thread):
    """Snapshots /proc/*/cmdline (and environ of our own children is not read) every `interval` s."""

    def __init__(self, interval=0.01):
        super().__init__(daemon=True)
        self.interval, self.snapshots, self.stopped = interval, set(), threading.Event()
        self.samples = 0

    def run(self):
        while not self.stopped.is_set():
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        with open(f"/proc/{entry}/cmdline", "rb") as handle:
                            self.snapshots.add(handle.read())
                    except OSError:
                        pass
            self.samples += 1
            time.sleep(self.interval)

    def stop(self):
        self.stopped.set()
        self.join()
