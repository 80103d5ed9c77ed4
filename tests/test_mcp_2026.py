"""MCP protocol 2026-07-28 next to the 2025-era sessions: the Python SDK 2.x
(its own environment, .venv-sdk2; tests/clients/sdk2_client.py) negotiating
the stateless protocol over stdio, over HTTP with keys and on /mcp/oauth with
a token, and the stateless wire itself (server/discover, per-request _meta,
Mcp-Method/Mcp-Name headers, version errors, caching hints, rate limits)."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from conftest import LIBRARY_ID, ROOT
from test_mcp_http import ISSUER, http_server, initialize, keys, oauth_server, signing_keys, token  # noqa: F401

MODERN = "2026-07-28"
QUESTION = "retry a failing job with exponential backoff"
CALLS = [
    ["query-docs", {"libraryId": LIBRARY_ID, "query": QUESTION}],
    ["resolve-library-id", {"libraryName": "lanternfish", "query": QUESTION}],
    ["query-docs", {"libraryId": "/nobody/nothing", "query": QUESTION}],
]


def sdk2(job):
    """Runs one job with the 2.x SDK; returns its report."""
    python = os.environ.get("TWINMCP_SDK2_PYTHON", str(ROOT / ".venv-sdk2" / "bin" / "python"))
    assert Path(python).exists(), "the 2.x SDK is not installed; run the tests with `bash .ci/test`"
    out = subprocess.run([python, str(ROOT / "tests" / "clients" / "sdk2_client.py"), json.dumps(job)],
                         capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout), out.stderr


def assert_answers(report):
    assert report.get("error") is None, report
    assert report["tools"] == ["resolve-library-id", "query-docs", "get-library-docs"]
    answer, resolved, unknown = report["calls"]
    assert not answer["is_error"]
    assert answer["structured"]["results"][0]["path"] == "docs/guide/workers.md"
    assert resolved["structured"]["libraries"][0]["id"] == LIBRARY_ID
    assert unknown["is_error"] and "unknown library `/nobody/nothing`" in unknown["text"]


def test_sdk2_negotiates_2026_07_28_over_stdio_and_still_speaks_the_handshake(twinmcp_bin, data_dir):
    server = [twinmcp_bin, "--data-dir", str(data_dir), "serve"]
    report, _ = sdk2({"command": server, "calls": CALLS})
    assert report["protocol_version"] == MODERN and report["server"] == "twinmcp"
    assert_answers(report)
    legacy, _ = sdk2({"command": server, "mode": "legacy", "calls": CALLS})
    assert legacy["protocol_version"] == "2025-11-25"
    assert_answers(legacy)


def test_sdk2_over_http_with_keys_audit_and_sessions_side_by_side(twinmcp_bin, data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    alice = keys(twinmcp_bin, data, "create", "--name", "alice")
    log = tmp_path / "audit.jsonl"
    with http_server(twinmcp_bin, data, "--audit-log", str(log)) as (url, _):
        for header in ({"Authorization": f"Bearer {alice}"}, {"X-API-Key": alice}, {"Context7-API-Key": alice}):
            report, stderr = sdk2({"url": url + "/mcp", "headers": header, "calls": CALLS})
            assert report["protocol_version"] == MODERN, report
            assert_answers(report)
        # A 2025-era session on the same endpoint, and its DELETE is clean.
        legacy, stderr = sdk2({"url": url + "/mcp", "headers": {"X-API-Key": alice}, "mode": "legacy",
                               "calls": CALLS})
        assert legacy["protocol_version"] == "2025-11-25"
        assert_answers(legacy)
        assert "Session termination failed" not in stderr, stderr

        # Refusals reach the SDK as JSON-RPC errors that say what is wrong.
        for bad, why in (({}, "an API key is required"),
                         ({"Authorization": "Bearer tmcp_not_a_key"}, "the API key is not valid")):
            refused, _ = sdk2({"url": url + "/mcp", "headers": bad, "calls": CALLS})
            assert "calls" not in refused, refused
            assert refused["error"]["code"] == -32001 and why in refused["error"]["message"], refused

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    stateless = [line for line in lines if line["caller"] == "key:alice"]
    assert len(stateless) == 4 * len(CALLS), lines
    assert alice not in log.read_text()


def post(url, body, *, method, name=None, version=MODERN, **headers):
    head = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
            "MCP-Protocol-Version": version, "Mcp-Method": method, **headers}
    if name:
        head["Mcp-Name"] = name
    return httpx.post(url, json=body, headers=head, timeout=30)


def meta(version=MODERN):
    return {"io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "pytest", "version": "1"}}


def answer(response):
    """The JSON-RPC message of a JSON or one-event SSE response."""
    text = response.text
    if response.headers["content-type"].startswith("text/event-stream"):
        text = next(line[5:] for line in text.splitlines() if line.startswith("data:"))
    return json.loads(text)


def call(name, arguments, *, id=1, version=MODERN):
    return {"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": name, "arguments": arguments, "_meta": meta(version)}}


def test_stateless_wire_discover_headers_versions_and_limits(twinmcp_bin, data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    alice = keys(twinmcp_bin, data, "create", "--name", "alice")
    limited = keys(twinmcp_bin, data, "create", "--name", "ci-bot", "--rate", "3/min")
    with http_server(twinmcp_bin, data) as (url, _):
        mcp = url + "/mcp"
        key = {"X-API-Key": alice}
        discover = post(mcp, {"jsonrpc": "2.0", "id": 1, "method": "server/discover",
                              "params": {"_meta": meta()}}, method="server/discover", **key)
        assert discover.status_code == 200, discover.text
        assert "mcp-session-id" not in discover.headers, "stateless requests open no session"
        found = answer(discover)["result"]
        assert MODERN in found["supportedVersions"] and "2025-11-25" in found["supportedVersions"]
        assert found["capabilities"]["tools"] == {}
        assert found["ttlMs"] > 0 and found["cacheScope"] == "public"

        listed = answer(post(mcp, {"jsonrpc": "2.0", "id": 2, "method": "tools/list",
                                   "params": {"_meta": meta()}}, method="tools/list", **key))["result"]
        assert len(listed["tools"]) == 3 and listed["ttlMs"] > 0

        done = post(mcp, call("query-docs", {"libraryId": LIBRARY_ID, "query": QUESTION}),
                    method="tools/call", name="query-docs", **key)
        assert done.status_code == 200 and "mcp-session-id" not in done.headers
        result = answer(done)["result"]
        assert result["structuredContent"]["results"][0]["path"] == "docs/guide/workers.md"

        # The routing headers must match the body.
        mismatch = post(mcp, call("query-docs", {"libraryId": LIBRARY_ID, "query": QUESTION}),
                        method="tools/call", name="resolve-library-id", **key)
        assert mismatch.status_code == 400 and answer(mismatch)["error"]["code"] == -32020, mismatch.text
        # A version this server does not speak names the ones it does.
        future = post(mcp, call("query-docs", {"libraryId": LIBRARY_ID, "query": QUESTION}, version="2099-01-01"),
                      method="tools/call", name="query-docs", version="2099-01-01", **key)
        error = answer(future)["error"]
        assert future.status_code == 400 and error["code"] == -32022
        assert MODERN in error["data"]["supported"]
        # Required _meta is checked.
        bare = {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                "params": {"name": "query-docs", "arguments": {"libraryId": LIBRARY_ID, "query": "x"},
                           "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}}}
        refused = post(mcp, bare, method="tools/call", name="query-docs", **key)
        assert refused.status_code == 400 and "clientCapabilities" in answer(refused)["error"]["message"]
        # A bad argument is a tool error that says what was wrong.
        empty = answer(post(mcp, call("query-docs", {"libraryId": LIBRARY_ID, "query": ""}),
                            method="tools/call", name="query-docs", **key))["result"]
        assert empty["isError"] and "query" in empty["content"][0]["text"]

        # Keys and rate limits apply as they do to sessions.
        anonymous = post(mcp, call("query-docs", {"libraryId": LIBRARY_ID, "query": QUESTION}),
                         method="tools/call", name="query-docs")
        assert anonymous.status_code == 401
        statuses = []
        for i in range(4):
            r = post(mcp, call("query-docs", {"libraryId": LIBRARY_ID, "query": QUESTION}, id=i),
                     method="tools/call", name="query-docs", **{"X-API-Key": limited})
            statuses.append(r.status_code)
        assert statuses == [200, 200, 200, 429], statuses
        assert int(r.headers["retry-after"]) >= 1 and r.headers["ratelimit-limit"] == "3"

        # A session this server never issued (another replica's, or one it
        # forgot on restart) is the standard 404, so the client starts anew.
        lost = httpx.post(mcp, json={"jsonrpc": "2.0", "id": 9, "method": "tools/list"},
                          headers={"Accept": "application/json, text/event-stream",
                                   "Content-Type": "application/json", "MCP-Protocol-Version": "2025-11-25",
                                   "Mcp-Session-Id": "not-a-session-of-this-server", **key}, timeout=30)
        assert lost.status_code == 404, lost.text
        assert initialize(url, **key).status_code == 200


def test_sdk2_over_oauth_negotiates_2026_07_28(twinmcp_bin, data_dir, signing_keys):  # noqa: F811
    with oauth_server(twinmcp_bin, data_dir, signing_keys) as (url, _):
        resource = httpx.get(url + "/.well-known/oauth-protected-resource/mcp/oauth").json()["resource"]
        good = {"Authorization": f"Bearer {token(signing_keys, resource)}"}
        report, _ = sdk2({"url": url + "/mcp/oauth", "headers": good, "calls": CALLS})
        assert report["protocol_version"] == MODERN, report
        assert_answers(report)
        expired = {"Authorization": f"Bearer {token(signing_keys, resource, expires_in=-120)}"}
        refused, _ = sdk2({"url": url + "/mcp/oauth", "headers": expired, "calls": CALLS})
        assert "calls" not in refused and "expired" in refused["error"]["message"], refused
