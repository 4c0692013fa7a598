#!/usr/bin/env python3
"""Benchmarks `qwen-sync serve` against the chat stand-in directly, side by side in one run,
and `qwen-sync token` as a whole process. Prints the numbers as one Markdown table.

Usage: Benchmarks/serve_bench.py [BIN_DIR]   (default: .build/release)
Needs BIN_DIR/qwen-sync and BIN_DIR/qwen-sync-serve (release build), python3, hyperfine.

Figures:
- added latency, non-streamed (p50/p99 of serve minus p50/p99 of direct, 400 requests each,
  interleaved, one keep-alive connection each);
- time to first streamed byte added (p50, 200 requests each);
- sustained streamed chunks/s through serve and directly (one stream of 4,000 chunks);
- VmRSS of serve idle after start, and its peak while 50 streams run;
- `qwen-sync token --min-ttl 0` whole-process time (hyperfine).
"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".build/release"))
STANDIN = os.path.join(REPO, "Tests/QwenServeTests/Fixtures/chat-standin.py")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def start_standin():
    process = subprocess.Popen([sys.executable, STANDIN], stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline().split()[1])
    return process, port


def write_account(qwen_dir, chat_port):
    os.makedirs(qwen_dir, mode=0o700)
    now = int(time.time() * 1000)
    creds = {"access_token": "at-bench-x", "token_type": "Bearer", "refresh_token": "rt-bench",
             "resource_url": "http://127.0.0.1:%d" % chat_port, "expiry_date": now + 6 * 3600 * 1000}
    with open(os.path.join(qwen_dir, "oauth_creds.json"), "w") as f:
        json.dump(creds, f)
    subprocess.run([os.path.join(BIN, "qwen-sync"), "accounts", "import", "--qwen-dir", qwen_dir], check=True, capture_output=True)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def request(connection, path, body, headers):
    started = time.perf_counter()
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    first = response.read(1)
    first_at = time.perf_counter()
    rest = response.read()
    ended = time.perf_counter()
    assert response.status == 200, (response.status, first + rest)
    return (first_at - started) * 1000, (ended - started) * 1000


def main():
    work = tempfile.mkdtemp(prefix="serve-bench.")
    standin, chat_port = start_standin()
    qwen_dir = os.path.join(work, "qwen")
    write_account(qwen_dir, chat_port)
    env = dict(os.environ, QWEN_HOME=qwen_dir, QWEN_SYNC_SOCKET=os.path.join(work, "ctl.sock"),
               QWEN_SYNC_SERVE_PORT="0", QWEN_SYNC_SERVE_SOCKET=os.path.join(work, "serve.sock"),
               QWEN_SYNC_SERVE_IDLE_EXIT="0", QWEN_SYNC_LOG="stderr", QWEN_SYNC_LOG_LEVEL="warning")
    serve = subprocess.Popen([os.path.join(BIN, "qwen-sync-serve")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    serve_port = int(serve.stdout.readline().strip().rsplit(":", 1)[1].split("/")[0])
    with open(os.path.join(qwen_dir, "qwen-sync-serve.key")) as f:
        key = f.read().strip()
    time.sleep(1)
    idle_rss = rss_kb(serve.pid)
    rows = []
    try:
        direct = http.client.HTTPConnection("127.0.0.1", chat_port)
        proxied = http.client.HTTPConnection("127.0.0.1", serve_port)
        direct_headers = {"Authorization": "Bearer at-bench-x", "Content-Type": "application/json"}
        proxied_headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
        body = json.dumps({"model": "coder-model", "messages": [{"role": "user", "content": "ping"}]})
        for _ in range(20):  # warm-up
            request(direct, "/v1/chat/completions", body, direct_headers)
            request(proxied, "/v1/chat/completions", body, proxied_headers)
        d, p = [], []
        for _ in range(400):
            d.append(request(direct, "/v1/chat/completions", body, direct_headers)[1])
            p.append(request(proxied, "/v1/chat/completions", body, proxied_headers)[1])
        rows.append(("non-streamed latency p50 (direct / serve / added)", "%.2f / %.2f / **%.2f ms**" % (percentile(d, .5), percentile(p, .5), percentile(p, .5) - percentile(d, .5))))
        rows.append(("non-streamed latency p99 (direct / serve / added)", "%.2f / %.2f / **%.2f ms**" % (percentile(d, .99), percentile(p, .99), percentile(p, .99) - percentile(d, .99))))

        stream_body = json.dumps({"model": "coder-model", "stream": True, "messages": [{"role": "user", "content": "a b c d"}]})
        d, p = [], []
        for _ in range(200):
            d.append(request(direct, "/v1/chat/completions", stream_body, direct_headers)[0])
            p.append(request(proxied, "/v1/chat/completions", stream_body, proxied_headers)[0])
        rows.append(("time to first streamed byte p50 (direct / serve / added)", "%.2f / %.2f / **%.2f ms**" % (percentile(d, .5), percentile(p, .5), percentile(p, .5) - percentile(d, .5))))

        long_body = json.dumps({"model": "coder-model", "stream": True, "messages": [{"role": "user", "content": " ".join(["w"] * 4000)}]})
        for name, connection, headers in (("direct", direct, direct_headers), ("serve", proxied, proxied_headers)):
            _, total = request(connection, "/v1/chat/completions", long_body, headers)
            rows.append(("streamed chunks/s, one stream of 4,002 chunks (%s)" % name, "%.0f" % (4002 / (total / 1000))))

        # 50 concurrent slow streams: peak RSS of serve.
        subprocess.run(["curl", "-s", "-X", "POST", "http://127.0.0.1:%d/admin/config" % chat_port, "-d", '{"chunk_delay_ms": 50}'], check=True, capture_output=True)
        slow_body = json.dumps({"model": "coder-model", "stream": True, "messages": [{"role": "user", "content": " ".join(["w"] * 60)}]})
        done = []

        def one():
            connection = http.client.HTTPConnection("127.0.0.1", serve_port)
            request(connection, "/v1/chat/completions", slow_body, proxied_headers)
            done.append(1)
        threads = [threading.Thread(target=one) for _ in range(50)]
        for thread in threads:
            thread.start()
        peak = 0
        while len(done) < 50:
            peak = max(peak, rss_kb(serve.pid))
            time.sleep(0.05)
        for thread in threads:
            thread.join()
        rows.append(("serve VmRSS idle after start / peak under 50 streams", "%.1f MB / %.1f MB" % (idle_rss / 1024, peak / 1024)))
    finally:
        serve.terminate()
        standin.terminate()

    token = subprocess.run(
        ["hyperfine", "-N", "--warmup", "20", "--runs", "200", "--export-json", os.path.join(work, "token.json"),
         "%s token --min-ttl 0 --qwen-dir %s" % (os.path.join(BIN, "qwen-sync"), qwen_dir)],
        capture_output=True, text=True, env=dict(os.environ, QWEN_SYNC_SOCKET=os.path.join(work, "ctl.sock")))
    with open(os.path.join(work, "token.json")) as f:
        result = json.load(f)["results"][0]
    rows.append(("`qwen-sync token --min-ttl 0` whole process, mean ± σ (median)", "%.2f ± %.2f ms (%.2f ms)" % (result["mean"] * 1000, result["stddev"] * 1000, result["median"] * 1000)))
    shutil.rmtree(work, ignore_errors=True)

    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print("| %s | %s |" % (name, value))


if __name__ == "__main__":
    main()
