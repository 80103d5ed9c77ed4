"""The real binary serving Streamable HTTP (`serve --http`): the official MCP
Python SDK over HTTP, the transport checks (Host, Origin), API keys from each
accepted header, rate limits, /health, and shutdown."""
import asyncio
import os
import re
import select
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from conftest import LIBRARY_ID, sprockets_origin

INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "pytest", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@contextmanager
def http_server(twinmcp_bin, data_dir, *args, addr="127.0.0.1:0"):
    """Starts `serve --http` on a free port; yields its base URL (loopback)."""
    proc = subprocess.Popen(
        [twinmcp_bin, "--data-dir", str(data_dir), "serve", "--http", addr, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )
    try:
        url = None
        deadline = time.time() + 30
        lines = []
        while url is None and time.time() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if ready:
                line = proc.stderr.readline()
                lines.append(line)
                m = re.search(r"serving MCP at http://\S+:(\d+)/mcp", line)
                if m:
                    url = f"http://127.0.0.1:{m.group(1)}"
            if proc.poll() is not None:
                break
        assert url, f"server did not start: {''.join(lines)}"
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def sdk_session_tools(url, headers=None, path="/mcp"):
    async def go():
        client = httpx.AsyncClient(headers=headers or {}, timeout=30)
        async with client, streamable_http_client(url + path, http_client=client) as (read, write, _):
            async with ClientSession(read, write) as s:
                await s.initialize()
                tools = [t.name for t in (await s.list_tools()).tools]
                resolved = await s.call_tool("resolve-library-id", {"libraryName": "lanternfish"})
                answer = await s.call_tool("query-docs", {"libraryId": LIBRARY_ID,
                                                          "query": "retry a failing job with backoff"})
                legacy = await s.call_tool("get-library-docs", {"context7CompatibleLibraryID": LIBRARY_ID,
                                                                "topic": "graceful shutdown", "tokens": 1000})
                bad = await s.call_tool("query-docs", {"libraryId": "/nobody/nothing", "query": "x"})
                return tools, resolved, answer, legacy, bad
    return asyncio.run(go())


def initialize(url, path="/mcp", **headers):
    return httpx.post(url + path, json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=30)


def test_sdk_over_http_lists_and_calls_every_tool(twinmcp_bin, data_dir):
    with http_server(twinmcp_bin, data_dir) as (url, _):
        tools, resolved, answer, legacy, bad = sdk_session_tools(url)
    assert set(tools) == {"resolve-library-id", "query-docs", "get-library-docs"}
    assert resolved.structuredContent["libraries"][0]["id"] == LIBRARY_ID
    assert answer.structuredContent["results"][0]["path"] == "docs/guide/workers.md"
    assert "Source: docs/guide/workers.md" in answer.content[0].text
    assert not legacy.isError and legacy.structuredContent["tokens_used"] <= 1000
    assert bad.isError and "unknown library `/nobody/nothing`" in bad.content[0].text


def test_health_reports_the_indexed_libraries(twinmcp_bin, data_dir):
    with http_server(twinmcp_bin, data_dir) as (url, _):
        health = httpx.get(url + "/health").json()
    assert health["status"] == "ok"
    assert health["libraries"][0]["id"] == LIBRARY_ID
    assert health["libraries"][0]["versions"][0]["chunks"] > 10


def test_foreign_origin_and_host_are_refused(twinmcp_bin, data_dir):
    with http_server(twinmcp_bin, data_dir, "--allowed-origin", "https://docs.example.com") as (url, _):
        assert initialize(url, Origin="https://evil.example").status_code == 403
        assert initialize(url, Origin="null").status_code == 403
        assert initialize(url, Host="evil.example").status_code == 403
        rebinding = initialize(url, Host="attacker.example:7777")
        assert rebinding.status_code == 403 and "DNS rebinding" in rebinding.json()["error"]["message"]
        assert initialize(url, Origin="http://localhost:6274").status_code == 200
        assert initialize(url, Origin="https://docs.example.com").status_code == 200
        assert initialize(url).status_code == 200, "no Origin: not a browser"


def test_non_loopback_without_keys_is_refused(twinmcp_bin, data_dir):
    out = subprocess.run([twinmcp_bin, "--data-dir", str(data_dir), "serve", "--http", "0.0.0.0:0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "refusing to serve on 0.0.0.0:0 without authentication" in out.stderr
    assert "twinmcp keys create" in out.stderr


def keys(twinmcp_bin, data, *args):
    out = subprocess.run([twinmcp_bin, "--data-dir", str(data), "keys", *args],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_api_keys_from_every_header_rate_limits_and_revocation(twinmcp_bin, data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    alice = keys(twinmcp_bin, data, "create", "--name", "alice")
    limited = keys(twinmcp_bin, data, "create", "--name", "ci-bot", "--rate", "3/min")
    assert alice.startswith("tmcp_") and limited.startswith("tmcp_")
    listed = keys(twinmcp_bin, data, "list")
    assert "alice" in listed and "3/min" in listed and alice not in listed

    with http_server(twinmcp_bin, data) as (url, _):
        missing = initialize(url)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        refusal = missing.json()
        assert refusal["jsonrpc"] == "2.0" and refusal["error"]["code"] == -32001
        assert "API key is required" in refusal["error"]["message"]
        assert initialize(url, Authorization="Bearer tmcp_not_a_key").status_code == 401
        for header in ({"Authorization": f"Bearer {alice}"}, {"X-API-Key": alice},
                       {"Context7-API-Key": alice}):
            assert initialize(url, **header).status_code == 200, header

        tools, _, answer, _, _ = sdk_session_tools(url, headers={"Authorization": f"Bearer {alice}"})
        assert "query-docs" in tools and not answer.isError

        statuses = [initialize(url, **{"X-API-Key": limited}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429], statuses
        limited_out = initialize(url, **{"X-API-Key": limited})
        assert limited_out.status_code == 429
        assert 1 <= int(limited_out.headers["retry-after"]) <= 20
        assert initialize(url, **{"X-API-Key": alice}).status_code == 200, "limits are per key"

        # Without a valid key, /health says only that the server is up and ready.
        public = httpx.get(url + "/health")
        assert public.status_code == 200
        for _ in range(100):  # the model loads in the background at start
            if public.json()["model"] != "loading":
                break
            time.sleep(0.1)
            public = httpx.get(url + "/health")
        assert public.json() == {"status": "ok", "ready": True, "model": "loaded"}, public.text
        full = httpx.get(url + "/health", headers={"X-API-Key": alice}).json()
        assert full["libraries"][0]["id"] == LIBRARY_ID and "jobs" in full

        keys(twinmcp_bin, data, "revoke", "alice")
        assert initialize(url, **{"X-API-Key": alice}).status_code == 401


def test_anonymous_callers_are_limited_per_ip(twinmcp_bin, data_dir):
    with http_server(twinmcp_bin, data_dir, "--rate-limit", "2/min") as (url, _):
        statuses = [initialize(url).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


def test_sigterm_shuts_down_cleanly(twinmcp_bin, data_dir):
    with http_server(twinmcp_bin, data_dir) as (url, proc):
        assert initialize(url).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


# ------------------------------------------------------------------ OAuth

ISSUER = "https://auth.example.test"


@pytest.fixture(scope="module")
def signing_keys(tmp_path_factory):
    """An RSA and an EC key pair, and a JWKS file with their public halves."""
    import json
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = {"keys": []}
    for kid, key, alg in (("rsa-1", rsa_key, RSAAlgorithm), ("ec-1", ec_key, ECAlgorithm)):
        jwk = json.loads(alg.to_jwk(key.public_key()))
        jwk.update(kid=kid, use="sig")
        jwks["keys"].append(jwk)
    path = tmp_path_factory.mktemp("oauth") / "jwks.json"
    path.write_text(json.dumps(jwks))
    return {"jwks": path, "rsa": rsa_key, "ec": ec_key, "stranger": stranger}


def token(keys, audience, *, kid="rsa-1", key="rsa", alg="RS256", scope="docs:read",
          issuer=ISSUER, expires_in=300):
    import jwt
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "sub": "user-42", "iat": now,
              "exp": now + expires_in, "scope": scope}
    return jwt.encode(claims, keys[key], algorithm=alg, headers={"kid": kid})


def oauth_server(twinmcp_bin, data_dir, keys, **kw):
    return http_server(twinmcp_bin, data_dir, "--oauth-issuer", ISSUER,
                       "--oauth-jwks", str(keys["jwks"]), **kw)


def test_oauth_metadata_and_challenges(twinmcp_bin, data_dir, signing_keys):
    with oauth_server(twinmcp_bin, data_dir, signing_keys) as (url, _):
        meta = httpx.get(url + "/.well-known/oauth-protected-resource/mcp/oauth").json()
        resource = meta["resource"]
        assert resource.endswith("/mcp/oauth")
        assert meta["authorization_servers"] == [ISSUER]
        assert meta["scopes_supported"] == ["docs:read"]

        missing = initialize(url, path="/mcp/oauth")
        assert missing.status_code == 401
        challenge = missing.headers["www-authenticate"]
        assert challenge.startswith("Bearer resource_metadata=")
        assert "/.well-known/oauth-protected-resource/mcp/oauth" in challenge

        def status(tok):
            return initialize(url, path="/mcp/oauth", Authorization=f"Bearer {tok}")

        assert status(token(signing_keys, resource)).status_code == 200
        assert status(token(signing_keys, resource, kid="ec-1", key="ec", alg="ES256")).status_code == 200
        for bad in (
            token(signing_keys, resource, expires_in=-120),
            token(signing_keys, "https://other.example/mcp"),
            token(signing_keys, resource, issuer="https://evil.example"),
            token(signing_keys, resource, key="stranger"),
            token(signing_keys, resource, kid="unknown"),
            "not.a.jwt",
        ):
            refused = status(bad)
            assert refused.status_code == 401, refused.text
            assert 'error="invalid_token"' in refused.headers["www-authenticate"]
        no_scope = status(token(signing_keys, resource, scope="profile"))
        assert no_scope.status_code == 403
        assert 'error="insufficient_scope"' in no_scope.headers["www-authenticate"]

        # The SDK works with a token, and API keys are not tokens.
        good = token(signing_keys, resource)
        tools, _, answer, _, _ = sdk_session_tools(url, {"Authorization": f"Bearer {good}"}, "/mcp/oauth")
        assert "query-docs" in tools and not answer.isError


def test_oauth_only_server_may_listen_beyond_loopback(twinmcp_bin, data_dir, signing_keys):
    with oauth_server(twinmcp_bin, data_dir, signing_keys, addr="0.0.0.0:0") as (url, _):
        assert initialize(url).status_code == 401, "/mcp needs a key off loopback"
        assert initialize(url, path="/mcp/oauth").status_code == 401


def test_a_running_server_answers_from_the_new_build_after_reindexing(twinmcp_bin, tmp_path):
    from conftest import ROOT
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "lanternfish", repo)
    data = tmp_path / "data"
    index = [twinmcp_bin, "--data-dir", str(data), "index", str(repo), "--id", "/acme/fish"]
    subprocess.run(index, check=True, capture_output=True)
    query = {"libraryId": "/acme/fish", "query": "how often should the lanterns be polished"}

    async def ask(url):
        async with httpx.AsyncClient(timeout=30) as client, \
                streamable_http_client(url + "/mcp", http_client=client) as (read, write, _):
            async with ClientSession(read, write) as s:
                await s.initialize()
                return (await s.call_tool("query-docs", query)).content[0].text

    with http_server(twinmcp_bin, data) as (url, _):
        before = asyncio.run(ask(url))
        assert "every full moon" not in before
        (repo / "docs" / "polishing.md").write_text(
            "# Polishing\n\nPolish the lanterns every full moon with a dry cloth.\n")
        subprocess.run(index, check=True, capture_output=True)
        after = asyncio.run(ask(url))
        assert "every full moon" in after, "the same query is answered from the new build"


def test_concurrent_readers_never_fail_while_builds_are_swapped(twinmcp_bin, tmp_path):
    """Eight clients query without pause while the library is re-indexed
    three times (each build retires the one before and deletes its files):
    every answer comes whole from one build, old or new, and none fails."""
    from conftest import ROOT
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "lanternfish", repo)
    data = tmp_path / "data"
    index = [twinmcp_bin, "--data-dir", str(data), "index", str(repo), "--id", "/acme/fish", "--no-vectors"]
    subprocess.run(index, check=True, capture_output=True)
    questions = ["retry a failing job", "graceful shutdown", "polish the lanterns", "rate limits"]

    async def client(url, stop, answers, n):
        async with httpx.AsyncClient(timeout=30) as http, \
                streamable_http_client(url + "/mcp", http_client=http) as (read, write, _):
            async with ClientSession(read, write) as s:
                await s.initialize()
                k = 0
                while not stop.is_set():
                    k += 1
                    query = f"{questions[(n + k) % len(questions)]} {n}-{k}"
                    r = await s.call_tool("query-docs", {"libraryId": "/acme/fish", "query": query})
                    answers.append((r.isError, r.content[0].text))

    async def go(url):
        stop, answers = asyncio.Event(), []
        tasks = [asyncio.create_task(client(url, stop, answers, n)) for n in range(8)]
        for round_ in range(3):
            await asyncio.sleep(0.3)
            (repo / "docs" / "polishing.md").write_text(
                f"# Polishing\n\nPolish the lanterns in round {round_} with a dry cloth.\n")
            await asyncio.to_thread(subprocess.run, index, check=True, capture_output=True)
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*tasks)
        return answers

    with http_server(twinmcp_bin, data) as (url, _):
        answers = asyncio.run(go(url))
    assert len(answers) >= 8 * 4, len(answers)
    failed = [text for is_error, text in answers if is_error]
    assert not failed, failed[:3]
    assert all("Source:" in text for _, text in answers), "every answer holds sections"


def test_serve_refresh_updates_git_libraries_in_the_background(twinmcp_bin, tmp_path):
    """`serve --refresh` fetches and indexes a new upstream commit while the
    server keeps answering; /health and `list` show the job's result."""
    import json
    origin, git = sprockets_origin(tmp_path)
    data = tmp_path / "data"
    url = f"file://{origin}"
    subprocess.run([twinmcp_bin, "--data-dir", str(data), "index", url, "--id", "/acme/sprockets"],
                   check=True, capture_output=True)
    (origin / "gears.md").write_text("# Gears\n\nGrease the gears every spring equinox.\n")
    subprocess.run(git + ["commit", "-qam", "two"], check=True)

    with http_server(twinmcp_bin, data, "--refresh", "1s") as (url_base, _):
        async def ask():
            async with httpx.AsyncClient(timeout=30) as client, \
                    streamable_http_client(url_base + "/mcp", http_client=client) as (read, write, _):
                async with ClientSession(read, write) as s:
                    await s.initialize()
                    r = await s.call_tool("query-docs", {"libraryId": "/acme/sprockets",
                                                         "query": "how often to grease the gears"})
                    return r.content[0].text

        # The server answers throughout; the new commit shows up without a restart.
        deadline = time.time() + 90
        answer = asyncio.run(ask())
        while "spring equinox" not in answer and time.time() < deadline:
            time.sleep(0.5)
            answer = asyncio.run(ask())
        assert "spring equinox" in answer
        jobs = httpx.get(url_base + "/health").json()["jobs"]
        assert jobs[0]["library"] == "/acme/sprockets", jobs
        assert jobs[0]["state"] in ("running", "done"), jobs

    listed = json.loads(subprocess.run([twinmcp_bin, "--data-dir", str(data), "list", "--json"],
                                       check=True, capture_output=True, text=True).stdout)
    assert listed[0]["last_update"]["state"] in ("running", "done"), listed[0]
