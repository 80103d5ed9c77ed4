"""Bad and abusive requests against the real binary, over stdio (raw JSON-RPC
lines and the Python SDK) and HTTP: each gets an error or is dropped
cleanly, and the server keeps serving."""
import json
import os
import socket
import subprocess
import threading
import time

import httpx

from conftest import LIBRARY_ID
from test_mcp_http import INITIALIZE, MCP_HEADERS, http_server, sdk_session_tools
from test_mcp_stdio import call, text_of


class RawStdio:
    """`twinmcp serve` driven line by line; a thread collects every reply."""

    def __init__(self, twinmcp_bin, data_dir):
        self.proc = subprocess.Popen([twinmcp_bin, "--data-dir", str(data_dir), "serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=dict(os.environ))
        self.replies = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        try:
            for line in self.proc.stdout:
                with self.lock:
                    self.replies.append(json.loads(line))
        except (ValueError, OSError):
            pass  # the test closed stdout under the reader

    def send(self, line):
        self.proc.stdin.write((line if isinstance(line, str) else json.dumps(line)).encode() + b"\n")
        self.proc.stdin.flush()

    def wait_for(self, ids, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                got = {r.get("id"): r for r in self.replies if r.get("id") in ids}
            if len(got) == len(ids):
                return got
            time.sleep(0.05)
        raise AssertionError(f"{len(ids) - len(got)} of {len(ids)} requests unanswered")

    def initialize(self):
        self.send(INITIALIZE)
        self.wait_for({1})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=30)
        stderr = self.proc.stderr.read().decode()
        return rc, stderr


def tool_call(id_, name, arguments):
    return {"jsonrpc": "2.0", "id": id_, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}}


def test_malformed_json_rpc_is_answered_or_dropped_and_serving_goes_on(twinmcp_bin, data_dir):
    server = RawStdio(twinmcp_bin, data_dir)
    server.send("this is not json")
    server.send("{\"jsonrpc\": \"2.0\", \"id\": ")
    server.initialize()
    for junk in ['{"jsonrpc":"2.0","id":2,"method":"tools/call","params":"x"}', "[1,2,3]", "null",
                 '{"jsonrpc":"2.0","id":3,"method":"no/such/method"}',
                 '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":7}}',
                 json.dumps(tool_call(5, "query-docs", ["not", "an", "object"])),
                 "\x00\x01\x02 binary junk \xff"]:
        server.send(junk)
    server.send(tool_call(6, "query-docs", {"libraryId": LIBRARY_ID, "query": "retry with backoff"}))
    got = server.wait_for({3, 6})
    assert got[3]["error"]["code"] == -32601
    assert "Retries and backoff" in got[6]["result"]["content"][0]["text"]
    rc, stderr = server.close()
    assert rc == 0 and "panicked" not in stderr, stderr


def test_oversized_and_out_of_range_arguments_get_errors_that_say_why(twinmcp_bin, data_dir):
    megabyte = "retry " * 200_000
    cases = [
        ({"libraryId": LIBRARY_ID, "query": megabyte}, "the limit is 4096"),
        ({"libraryId": LIBRARY_ID, "query": "retry", "tokens": -5}, "`tokens` must be between"),
        ({"libraryId": LIBRARY_ID, "query": "retry", "tokens": 10**15}, "`tokens` must be between"),
        ({"libraryId": LIBRARY_ID, "query": "retry", "tokens": 1e308}, "`tokens` must be"),
        ({"libraryId": "/x" * 300_000, "query": "retry"}, "`libraryId` is 600000 bytes long"),
        ({"libraryId": "/nobody/nothing", "query": "retry"}, "unknown library"),
        ({"libraryId": LIBRARY_ID, "query": {"nested": [1, 2]}}, "`query` must be a string"),
    ]
    for arguments, message in cases:
        result = call(twinmcp_bin, data_dir, "query-docs", arguments)
        assert result.isError, arguments
        assert message in text_of(result), (message, text_of(result)[:300])
        assert len(text_of(result)) < 2000, "errors do not echo huge arguments back"
    result = call(twinmcp_bin, data_dir, "resolve-library-id", {"libraryName": "x" * 1_000_000})
    assert result.isError and "the limit is 512" in text_of(result)


def test_a_thousand_concurrent_requests_over_stdio_are_all_answered(twinmcp_bin, data_dir):
    server = RawStdio(twinmcp_bin, data_dir)
    server.initialize()
    queries = ["retry with backoff", "cron schedule", "graceful shutdown", "enqueueJob", "bulk add"]
    ids = set(range(100, 1100))
    for i in ids:
        if i % 3 == 0:
            server.send(tool_call(i, "resolve-library-id", {"libraryName": "lanternfish"}))
        else:
            server.send(tool_call(i, "query-docs", {"libraryId": LIBRARY_ID, "query": queries[i % 5]}))
    got = server.wait_for(ids, timeout=300)
    assert all("result" in r and not r["result"].get("isError") for r in got.values())
    rc, stderr = server.close()
    assert rc == 0 and "panicked" not in stderr, stderr


def test_a_client_that_leaves_mid_answer_does_not_hurt_the_server(twinmcp_bin, data_dir):
    # stdio: requests in flight, then stdin and stdout closed at once.
    server = RawStdio(twinmcp_bin, data_dir)
    server.initialize()
    for i in range(200, 260):
        server.send(tool_call(i, "query-docs", {"libraryId": LIBRARY_ID, "query": f"job {i}"}))
    server.proc.stdout.close()
    rc, stderr = server.close()
    assert rc is not None and "panicked" not in stderr, stderr

    # HTTP: callers hang up right after sending, or halfway through a body.
    with http_server(twinmcp_bin, data_dir) as (url, proc):
        init = httpx.post(url + "/mcp", json=INITIALIZE, headers=MCP_HEADERS, timeout=30)
        session = init.headers["mcp-session-id"]
        httpx.post(url + "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                   headers={**MCP_HEADERS, "mcp-session-id": session}, timeout=30)
        port = int(url.rsplit(":", 1)[1])
        for i in range(40):
            body = json.dumps(tool_call(i + 2, "query-docs", {"libraryId": LIBRARY_ID, "query": f"retry {i}"}))
            request = (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                       f"Accept: application/json, text/event-stream\r\nmcp-session-id: {session}\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n")
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(request.encode() + (body.encode() if i % 2 else body.encode()[:len(body) // 2]))
        assert httpx.get(url + "/health", timeout=30).status_code == 200
        tools, _, answer, _, _ = sdk_session_tools(url)
        assert "query-docs" in tools and "Retries and backoff" in text_of(answer)
        assert proc.poll() is None
