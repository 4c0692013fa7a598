#!/usr/bin/env python3
"""A day on a laptop (#18), measured with the release build: how soon the daemon refreshes after
a clock step, a resume and the network's return (median and max over --runs runs each), the
retries while the link is down for 2 min, and the daemon's context switches over 60 s idle.

    python3 Benchmarks/laptop.py --build .build/release [--runs 20] [--only step,resume,link,idle]

Needs root (clock_settime to tell the kernel's timers of a fake step; network namespaces),
Debian's faketime, dbus, python3-dbus and python3-gi, and iproute2. A part that cannot run
prints "skipped: <why>".
"""
import argparse
import ctypes
import json
import os
import random
import subprocess
import sys
import time

from common import (Binaries, StandIn, Workspace, end_process, credentials, fake_jwt, isolated_env, median,
                    print_table, thread_switches, write_atomic)

HERE = os.path.dirname(os.path.abspath(__file__))
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
SYSTEM_PYTHON = "/usr/bin/python3"


def monotonic_ms():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1_000_000


def announce_clock_step():
    """Sets the wall clock to the time it shows: no process's clock moves, but the kernel
    cancels every TFD_TIMER_CANCEL_ON_SET timer, as a real step would."""
    read = time.clock_gettime_ns(time.CLOCK_REALTIME)
    read_at = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    time.clock_settime_ns(time.CLOCK_REALTIME, read + time.clock_gettime_ns(time.CLOCK_MONOTONIC) - read_at)


class Syncd:
    """qwen-syncd started directly (as `qwen-sync daemon` would), optionally under a wrapper."""

    def __init__(self, binaries, ws, base_url, extra_env=None, wrapper=()):
        env = isolated_env(ws.qwen, ws.socket, base_url)
        env["QWEN_SYNC_REFRESH_LEAD"] = "2400"
        env["QWEN_SYNC_LOG_LEVEL"] = "info"
        env.update(extra_env or {})
        self.log = ws.path("syncd.log")
        self.socket = ws.socket
        syncd = os.path.join(binaries.build, "qwen-syncd")
        with open(self.log, "ab") as handle:
            self.process = subprocess.Popen([*wrapper, syncd], env=env, stdin=subprocess.DEVNULL, stdout=handle, stderr=handle)
        deadline = time.monotonic() + 15
        while self.status() is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"qwen-syncd did not start, see {self.log}")
            time.sleep(0.01)

    def status(self):
        import socket
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(3)
                client.connect(self.socket)
                client.sendall(b'{"command":"status"}\n')
                client.shutdown(socket.SHUT_WR)
                data = b""
                while chunk := client.recv(65536):
                    data += chunk
            return json.loads(data)
        except (OSError, ValueError):
            return None

    def wait(self, condition, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status is not None and condition(status):
                return True
            time.sleep(0.01)
        return False

    def stop(self):
        end_process(self.process)


def login(standin, ws, sub, expires_in_ms):
    refresh = standin.seed(sub)
    write_atomic(ws.creds, credentials(fake_jwt(sub, str(time.time_ns())), refresh, int(time.time() * 1000) + expires_in_ms))


def refreshed_at(standin, count, timeout=15):
    """CLOCK_MONOTONIC ms when the stand-in had answered `count` refreshes, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if standin.stats().get("successful_refreshes", 0) >= count:
            return monotonic_ms()
        time.sleep(0.005)
    return None


def summary(name, values, goal_ms):
    if not values:
        return (name, "no runs", f"<= {goal_ms} ms", "FAILED")
    worst = max(values)
    return (f"{name} (n={len(values)})", f"median {median(values)} ms, max {worst} ms", f"<= {goal_ms} ms",
            "MET" if worst <= goal_ms else "MISSED")


# ---------------------------------------------------------------- the parts

def clock_steps(binaries, runs):
    if not os.access(FAKETIME, os.R_OK):
        return print(f"skipped: clock steps: no {FAKETIME} (Debian package faketime)")
    delays = {"+45m": [], "+8h": []}
    for index in range(runs):
        for offset in delays:
            ws = Workspace("qwen-bench-step-")
            standin = StandIn(binaries)
            stamp = ws.path("faketime")
            write_atomic(stamp, b"+0\n", 0o644)
            try:
                login(standin, ws, "alice", 50 * 60_000)
                daemon = Syncd(binaries, ws, standin.url, {
                    "LD_PRELOAD": FAKETIME, "FAKETIME_TIMESTAMP_FILE": stamp, "FAKETIME_NO_CACHE": "1",
                    "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
                daemon.wait(lambda s: len(s.get("accounts", [])) == 1)
                write_atomic(stamp, (offset + "\n").encode(), 0o644)
                announce_clock_step()
                stepped = monotonic_ms()
                seen = refreshed_at(standin, 1)
                if seen is not None:
                    delays[offset].append(seen - stepped)
                daemon.stop()
            finally:
                standin.stop()
                ws.remove()
    return [summary(f"step {offset} to refresh", values, 2000) for offset, values in delays.items()]


class Logind:
    """A private dbus-daemon with Benchmarks/fake_logind.py on it."""

    def __init__(self):
        self.bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.address = self.bus.stdout.readline().decode().strip()
        self.service = subprocess.Popen([SYSTEM_PYTHON, os.path.join(HERE, "fake_logind.py")],
                                        env={**os.environ, "FAKE_LOGIND_BUS": self.address},
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if self.line("READY") is None:
            raise RuntimeError("the logind stand-in did not start")

    def send(self, command):
        self.service.stdin.write((command + "\n").encode())
        self.service.stdin.flush()

    def line(self, prefix):
        while True:
            line = self.service.stdout.readline().decode()
            if not line:
                return None
            if line.startswith(prefix):
                return line.strip()

    def held(self, count, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.send("count")
            if self.line("HELD") == f"HELD {count}":
                return True
            time.sleep(0.02)
        return False

    def stop(self):
        for process in (self.service, self.bus):
            process.kill()
            process.wait()


def resumes(binaries, runs):
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import dbus, gi.repository.GLib"], capture_output=True)
    if probe.returncode != 0:
        return print("skipped: resumes: /usr/bin/python3 lacks dbus/gi (python3-dbus, python3-gi)")
    logind = Logind()
    delays = []
    try:
        for index in range(runs):
            ws = Workspace("qwen-bench-resume-")
            standin = StandIn(binaries)
            try:
                login(standin, ws, "alice", 6 * 3_600_000)
                daemon = Syncd(binaries, ws, standin.url, {"DBUS_SYSTEM_BUS_ADDRESS": logind.address})
                logind.held(1)
                logind.send("sleep")
                logind.line("SLEEPING")
                login(standin, ws, "bob", 20 * 60_000)  # due; taken in only after the resume
                daemon.status()
                logind.send("wake")
                woke = int(logind.line("WOKE").split()[1])
                seen = refreshed_at(standin, 1)
                if seen is not None:
                    delays.append(seen - woke)
                daemon.stop()
                logind.held(0)
            finally:
                standin.stop()
                ws.remove()
    finally:
        logind.stop()
    return [summary("resume to refresh", delays, 2000)]


def ip(*arguments, namespace=None):
    prefix = ["ip", "-n", namespace] if namespace else ["ip"]
    subprocess.run(prefix + list(arguments), check=True)


def link_returns(binaries, runs, down_s, long_down_s):
    if os.getuid() != 0:
        return print("skipped: network return: network namespaces need root")

    def one(down_for):
        name = f"qs-bench-{os.getpid()}-{random.randrange(1 << 30):x}"
        subnet = f"10.214.{random.randrange(256)}"
        host_side = f"qb{random.randrange(1 << 24):06x}"
        ws = Workspace("qwen-bench-link-")
        standin = StandIn(binaries, "--listen-any")
        port = standin.url.rsplit(":", 1)[1]
        subprocess.run(["ip", "netns", "add", name], check=True)
        relay = None
        try:
            ip("link", "set", "lo", "up", namespace=name)
            ip("link", "add", host_side, "type", "veth", "peer", "name", "uplink", "netns", name)
            ip("address", "add", f"{subnet}.1/30", "dev", host_side)
            ip("link", "set", host_side, "up")
            ip("address", "add", f"{subnet}.2/30", "dev", "uplink", namespace=name)
            ip("link", "set", "uplink", "down", namespace=name)
            relay = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, os.path.join(HERE, "tcp_relay.py"),
                                      port, f"{subnet}.1", port], stdout=subprocess.PIPE)
            relay.stdout.readline()
            login(standin, ws, "alice", 20 * 60_000)
            down_at = time.monotonic()
            daemon = Syncd(binaries, ws, standin.url, wrapper=["ip", "netns", "exec", name])
            daemon.wait(lambda s: s.get("counters", {}).get("refresh_failures", 0) >= 1)
            time.sleep(max(0.0, down_for - (time.monotonic() - down_at)))
            attempts = daemon.status()["counters"]["refresh_failures"]
            ip("link", "set", "uplink", "up", namespace=name)
            up = monotonic_ms()
            seen = refreshed_at(standin, 1)
            daemon.stop()
            return (None if seen is None else seen - up), attempts
        finally:
            if relay:
                relay.kill()
                relay.wait()
            subprocess.run(["ip", "netns", "delete", name])
            standin.stop()
            ws.remove()

    delays = [delay for delay, _ in (one(down_s) for _ in range(runs)) if delay is not None]
    long_delay, attempts = one(long_down_s)
    # The back-off while the token is inside a client's window: 2 s doubling, at most 10 s.
    allowed, at = 0, 0
    while at <= long_down_s * 1000 + 1000:
        allowed += 1
        at += min(2000 << min(allowed - 1, 6), 10_000)
    return [summary(f"link-up to refresh, down {down_s} s", delays, 2000),
            (f"link-up to refresh, down {long_down_s} s", f"{long_delay} ms", "<= 2000 ms",
             "MET" if long_delay is not None and long_delay <= 2000 else "MISSED"),
            (f"refresh attempts while down {long_down_s} s", str(attempts), f"<= {allowed} (the back-off)",
             "MET" if attempts <= allowed else "MISSED")]


def idle(binaries, seconds):
    ws = Workspace("qwen-bench-idle-")
    standin = StandIn(binaries)
    logind = None
    try:
        env = {}
        try:
            logind = Logind()
            env["DBUS_SYSTEM_BUS_ADDRESS"] = logind.address
        except (OSError, RuntimeError):
            print("note: idle measured without a logind stand-in")
        login(standin, ws, "alice", 6 * 3_600_000)
        daemon = Syncd(binaries, ws, standin.url, env)
        time.sleep(7)  # past the one code-trim wake-up, 5 s after the last event
        before = thread_switches(daemon.process.pid)
        time.sleep(seconds)
        switches = thread_switches(daemon.process.pid) - before
        daemon.stop()
        what = "timerfd + logind watcher + rtnetlink" if logind else "timerfd + rtnetlink"
        return [(f"idle context switches over {seconds} s ({what})", str(switches), "0", "MET" if switches == 0 else "MISSED")]
    finally:
        if logind:
            logind.stop()
        standin.stop()
        ws.remove()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", default="step,resume,link,idle")
    parser.add_argument("--link-down", type=int, default=3, help="seconds the link is down in each of the runs")
    parser.add_argument("--long-link-down", type=int, default=120, help="seconds of the one long outage")
    parser.add_argument("--idle", type=int, default=60)
    options = parser.parse_args()
    binaries = Binaries(options.build)
    parts = options.only.split(",")
    rows = []
    if "step" in parts:
        rows += clock_steps(binaries, options.runs) or []
    if "resume" in parts:
        rows += resumes(binaries, options.runs) or []
    if "link" in parts:
        rows += link_returns(binaries, options.runs, options.link_down, options.long_link_down) or []
    if "idle" in parts:
        rows += idle(binaries, options.idle) or []
    print_table("a day on a laptop (#18)", rows)


if __name__ == "__main__":
    main()
