#!/usr/bin/env python3
"""Puts `qwen-sync exec` behind a loopback HTTP endpoint and talks to it with the official
`openai` Python client, once streaming and once not.

Usage: openai-client-check.py QWEN_SYNC_PATH [exec arguments...]
Each POST /v1/chat/completions body is piped into `QWEN_SYNC_PATH exec ...`; its standard
output is the response (text/event-stream for stream requests). Prints one JSON object:
{"stream": {"content", "finish_reasons", "chunks", "ids", "usage"}, "completion": {...}}.
Exits 3 when the `openai` package is not installed.
"""
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import openai
except ImportError:
    sys.stderr.write("the openai package is not installed\n")
    sys.exit(3)

COMMAND = [sys.argv[1], "exec"] + sys.argv[2:]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        run = subprocess.run(COMMAND, input=body, capture_output=True)
        streaming = json.loads(body).get("stream") is True and run.returncode == 0
        self.send_response(200 if run.returncode == 0 else 400)
        self.send_header("Content-Type", "text/event-stream" if streaming else "application/json")
        self.send_header("Content-Length", str(len(run.stdout)))
        self.end_headers()
        self.wfile.write(run.stdout)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
client = openai.OpenAI(base_url="http://127.0.0.1:%d/v1" % server.server_address[1],
                       api_key="unused", max_retries=0, timeout=60)
messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "ping"}]

stream = client.chat.completions.create(model="coder-model", messages=messages, stream=True,
                                        stream_options={"include_usage": True})
content, finish_reasons, ids, chunks, usage = "", [], set(), 0, None
for chunk in stream:
    chunks += 1
    ids.add(chunk.id)
    assert chunk.object == "chat.completion.chunk", chunk.object
    if chunk.usage is not None:
        usage = chunk.usage.model_dump()
    for choice in chunk.choices:
        content += choice.delta.content or ""
        if choice.finish_reason is not None:
            finish_reasons.append(choice.finish_reason)

completion = client.chat.completions.create(model="coder-model", messages=messages)
print(json.dumps({
    "stream": {"content": content, "finish_reasons": finish_reasons, "chunks": chunks,
               "ids": sorted(ids), "usage": usage},
    "completion": {"content": completion.choices[0].message.content,
                   "role": completion.choices[0].message.role,
                   "finish_reason": completion.choices[0].finish_reason,
                   "object": completion.object,
                   "usage": completion.usage.model_dump() if completion.usage else None},
}))
server.shutdown()
