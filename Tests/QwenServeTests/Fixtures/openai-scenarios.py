#!/usr/bin/env python3
"""Talks to `qwen-sync serve` with the official `openai` Python client and prints one JSON
object describing what the client saw, for QwenServeTests.

Usage: openai-scenarios.py BASE_URL API_KEY SCENARIO [TEXT]
Scenarios:
  chat       one completion; {"content", "usage"}
  stream     streamed with include_usage; {"content", "chunks", "usage", "first_chunk_ms", "total_ms"}
  image      a message with an image part; {"error": exception class name, "status", "code"}
  malformed  `messages` not an array; {"error", "status"}
  models     {"models": [ids]}
  abandon    reads the first streamed chunk, then closes the connection; {"first": content}
  many N     N concurrent streams, each with its own text; {"mixed": [indexes whose answer is wrong]}
Any exception becomes {"error": class name, "status": status code or null, "code": error code}.
Exits 3 when the `openai` package is not installed.
"""
import json
import sys
import threading
import time

try:
    import openai
except ImportError:
    sys.stderr.write("the openai package is not installed\n")
    sys.exit(3)

BASE_URL, KEY, SCENARIO = sys.argv[1], sys.argv[2], sys.argv[3]
TEXT = sys.argv[4] if len(sys.argv) > 4 else "hello there"
client = openai.OpenAI(base_url=BASE_URL, api_key=KEY, max_retries=0, timeout=60)


def stream(text):
    started = time.monotonic()
    first = None
    content, chunks, usage = "", 0, None
    for chunk in client.chat.completions.create(
        model="coder-model", messages=[{"role": "user", "content": text}], stream=True, stream_options={"include_usage": True}
    ):
        chunks += 1
        if first is None:
            first = time.monotonic()
        if chunk.choices and chunk.choices[0].delta.content:
            content += chunk.choices[0].delta.content
        if chunk.usage:
            usage = chunk.usage.total_tokens
    ended = time.monotonic()
    return {"content": content, "chunks": chunks, "usage": usage,
            "first_chunk_ms": int((first - started) * 1000), "total_ms": int((ended - started) * 1000)}


def run():
    if SCENARIO == "chat":
        answer = client.chat.completions.create(model="coder-model", messages=[{"role": "user", "content": TEXT}], max_tokens=100000, reasoning_effort="high")
        return {"content": answer.choices[0].message.content, "usage": answer.usage.total_tokens if answer.usage else None}
    if SCENARIO == "stream":
        return stream(TEXT)
    if SCENARIO == "abandon":
        response = client.chat.completions.create(model="coder-model", messages=[{"role": "user", "content": TEXT}], stream=True)
        first = next(iter(response)).choices[0].delta.content
        response.close()
        return {"first": first}
    if SCENARIO == "image":
        client.chat.completions.create(model="vision-model", messages=[{"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}])
        return {"error": None}
    if SCENARIO == "malformed":
        client.chat.completions.create(model="coder-model", messages="not a list")
        return {"error": None}
    if SCENARIO == "models":
        return {"models": [model.id for model in client.models.list()]}
    if SCENARIO == "many":
        count = int(TEXT)
        results = [None] * count

        def one(index):
            try:
                results[index] = stream("request-%d" % index)["content"]
            except Exception as error:  # noqa: BLE001 - reported as a wrong answer
                results[index] = "error %s" % type(error).__name__
        threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        mixed = [i for i, content in enumerate(results) if not (content or "").endswith(":request-%d" % i)]
        return {"mixed": mixed, "sample": results[:2]}
    raise SystemExit("unknown scenario " + SCENARIO)


try:
    result = run()
except openai.APIStatusError as error:
    body = error.body if isinstance(error.body, dict) else {}
    result = {"error": type(error).__name__, "status": error.status_code, "code": body.get("code"), "message": body.get("message")}
except openai.APIError as error:
    result = {"error": type(error).__name__, "status": None, "code": None}
print(json.dumps(result))
