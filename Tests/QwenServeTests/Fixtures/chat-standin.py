#!/usr/bin/env python3
"""A loopback stand-in for the Qwen chat-completions API (the portal's `/v1/chat/completions`),
for qwen-sync serve's tests and benchmarks.

Usage: chat-standin.py  -- prints `PORT <n>` on stdout once it listens on 127.0.0.1.

- `POST /v1/chat/completions` needs `Authorization: Bearer <token>` (401 without, or for a
  token in `revoked`). The answer's content is `echo:<token's account>:<last user text>`, the
  account being the part of the token after `at-` up to the next `-` (so tests can tell which
  account served). With `"stream": true` it sends SSE chunks (`chunk_delay_ms` apart) with the
  content split in words, and a usage chunk when `stream_options.include_usage` is true.
- Faults, per token prefix, consumed in order: `POST /admin/faults` with
  `{"<token prefix>": ["401", "429", "403-quota", "429-quota", "500", "slow", "garbage"], ...}`.
  `slow` waits `slow_ms` before the head; `garbage` answers 200 with a body that is not JSON.
- `POST /admin/config` sets `chunk_delay_ms`, `slow_ms`, `revoked` (list of tokens).
- `GET /admin/stats` returns `{"requests": [{"token_account", "stream", "status", "headers"...}],
  "disconnects": streams the client left before the end}` (never a token).
"""
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"faults": {}, "chunk_delay_ms": 0, "slow_ms": 3000, "revoked": [], "requests": []}


def account_of(token):
    rest = token[3:] if token.startswith("at-") else token
    return rest.split("-")[0]


def take_fault(token):
    with LOCK:
        for prefix, faults in STATE["faults"].items():
            if token.startswith(prefix) and faults:
                return faults.pop(0)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out as separate writes: without this, Nagle's algorithm holds the
        # second one until the client's delayed ACK (40 ms), which would swamp every timing.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send_json(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        if self.path == "/admin/stats":
            with LOCK:
                self.send_json(200, {"requests": list(STATE["requests"]), "disconnects": STATE.get("disconnects", 0)})
        else:
            self.send_json(404, {"error": {"message": "no such route", "type": "invalid_request_error", "code": "not_found"}})

    def do_POST(self):
        body = self.read_body()
        if self.path == "/admin/faults":
            with LOCK:
                STATE["faults"].update(json.loads(body))
            return self.send_json(200, {"ok": True})
        if self.path == "/admin/config":
            with LOCK:
                STATE.update(json.loads(body))
            return self.send_json(200, {"ok": True})
        if self.path != "/v1/chat/completions":
            return self.send_json(404, {"error": {"message": "no such route", "type": "invalid_request_error", "code": "not_found"}})
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        request = json.loads(body)
        record = {
            "token_account": account_of(token),
            "stream": bool(request.get("stream")),
            "model": request.get("model"),
            "max_tokens": request.get("max_tokens"),
            "body_keys": sorted(request.keys()),
            "auth_type": self.headers.get("X-DashScope-AuthType"),
            "cache_control": self.headers.get("X-DashScope-CacheControl"),
            "user_agent": self.headers.get("User-Agent"),
            "dashscope_user_agent": self.headers.get("X-DashScope-UserAgent"),
        }
        fault = take_fault(token) if token else None
        if not token or token in STATE["revoked"] or fault == "401":
            record["status"] = 401
            self.log(record)
            return self.send_json(401, {"error": {"message": "invalid access token", "type": "invalid_request_error", "code": "invalid_api_key"}})
        if fault in ("429-quota", "403-quota"):
            status = int(fault[:3])
            record["status"] = status
            self.log(record)
            return self.send_json(status, {"error": {"code": "insufficient_quota", "message": "You exceeded your current quota, please check your plan.", "param": None, "type": "insufficient_quota"}})
        if fault in ("429", "500"):
            record["status"] = int(fault)
            self.log(record)
            return self.send_json(int(fault), {"error": {"message": "try again", "type": "server_error", "code": fault}})
        if fault == "slow":
            time.sleep(STATE["slow_ms"] / 1000)
        if fault == "garbage":
            record["status"] = 200
            self.log(record)
            data = b"<html>not json"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        record["status"] = 200
        self.log(record)
        text = ""
        for message in request.get("messages", []):
            if message.get("role") == "user":
                content = message.get("content")
                text = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        content = "echo:%s:%s" % (account_of(token), text)
        created = int(time.time())
        if not request.get("stream"):
            return self.send_json(200, {
                "id": "chatcmpl-standin", "object": "chat.completion", "created": created, "model": request.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            })
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        words = content.split(" ")
        try:
            for index, word in enumerate(words):
                piece = word if index == 0 else " " + word
                chunk = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": created, "model": request.get("model"),
                         "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]}
                self.chunk(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                if STATE["chunk_delay_ms"]:
                    time.sleep(STATE["chunk_delay_ms"] / 1000)
            final = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": created, "model": request.get("model"),
                     "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.chunk(b"data: " + json.dumps(final).encode() + b"\n\n")
            if (request.get("stream_options") or {}).get("include_usage"):
                usage = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": created, "model": request.get("model"),
                         "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": len(words), "total_tokens": 3 + len(words)}}
                self.chunk(b"data: " + json.dumps(usage).encode() + b"\n\n")
            self.chunk(b"data: [DONE]\n\n")
            self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            with LOCK:
                STATE.setdefault("disconnects", 0)
                STATE["disconnects"] += 1

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def log(self, record):
        with LOCK:
            STATE["requests"].append(record)

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
