"""Context7's HTTP API beside /mcp: the REST endpoints directly (fields,
errors, keys, the `@version` spelling), then the unmodified official
Context7 MCP server from npm (`@upstash/context7-mcp`), started with
CONTEXT7_API_URL and CONTEXT7_API_KEY pointing at a running TwinMCP and
driven over stdio by the Python MCP SDK."""
import asyncio
import os
import shutil
import subprocess

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import LIBRARY_ID
from test_mcp_http import http_server, keys
from test_node_clients import node_env  # noqa: F401  (fixture)

QUESTION = "retry a failing job with exponential backoff"


@pytest.fixture(scope="module")
def keyed(twinmcp_bin, data_dir, tmp_path_factory):
    """A running server over a copy of the fixture data dir that needs a key."""
    data = tmp_path_factory.mktemp("context7") / "data"
    shutil.copytree(data_dir, data)
    key = keys(twinmcp_bin, data, "create", "--name", "editor")
    with http_server(twinmcp_bin, data) as (url, _):
        DATA_DIRS[url] = data
        yield url, key


DATA_DIRS = {}


def keyed_data(url):
    """The data dir of the server at `url` (to create more keys while it runs)."""
    return DATA_DIRS[url]


def test_rest_search_and_context(keyed):
    url, key = keyed
    auth = {"Authorization": f"Bearer {key}"}
    found = httpx.get(url + "/api/v2/libs/search", params={"libraryName": "lanternfish", "query": QUESTION},
                      headers=auth)
    assert found.status_code == 200, found.text
    first = found.json()["results"][0]
    assert first["id"] == LIBRARY_ID and first["state"] == "finalized"
    assert first["totalSnippets"] > 10 and first["totalTokens"] > 0
    assert first["lastUpdateDate"].endswith("Z") and isinstance(first["versions"], list)

    text = httpx.get(url + "/api/v2/context", params={"libraryId": LIBRARY_ID, "query": QUESTION}, headers=auth)
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert "Source: docs/guide/workers.md" in text.text and "<documentation boundary=" in text.text

    as_json = httpx.get(url + "/api/v2/context", headers=auth,
                        params={"libraryId": LIBRARY_ID, "query": QUESTION, "type": "json", "tokens": "2000"}).json()
    snippets = as_json["codeSnippets"] + as_json["infoSnippets"]
    assert snippets, as_json
    for s in as_json["codeSnippets"]:
        assert {"codeTitle", "codeDescription", "codeLanguage", "codeTokens", "codeId", "pageTitle",
                "codeList"} <= set(s) and s["codeList"][0]["code"]
    for s in as_json["infoSnippets"]:
        assert {"pageId", "breadcrumb", "content", "contentTokens"} <= set(s)
    assert sum(s.get("codeTokens", s.get("contentTokens", 0)) for s in snippets) <= 2000

    at_version = httpx.get(url + "/api/v2/context", headers=auth,
                           params={"libraryId": LIBRARY_ID + "@v9.9.9", "query": "x"})
    assert at_version.status_code == 404 and "no version `v9.9.9`" in at_version.json()["message"]
    unknown = httpx.get(url + "/api/v2/context", headers=auth, params={"libraryId": "/nobody/nothing", "query": "x"})
    assert unknown.status_code == 404 and "unknown library" in unknown.json()["message"]
    missing = httpx.get(url + "/api/v2/context", headers=auth, params={"libraryId": LIBRARY_ID})
    assert missing.status_code == 400 and "`query`" in missing.json()["message"]
    bad_tokens = httpx.get(url + "/api/v2/context", headers=auth,
                           params={"libraryId": LIBRARY_ID, "query": "x", "tokens": "lots"})
    assert bad_tokens.status_code == 400
    for headers in ({}, {"Authorization": "Bearer tmcp_wrong"}, {"Context7-API-Key": "tmcp_wrong"}):
        refused = httpx.get(url + "/api/v2/libs/search", params={"libraryName": "x"}, headers=headers)
        assert refused.status_code == 401 and refused.json()["message"], headers
    assert httpx.get(url + "/api/v2/libs/search", headers={"X-API-Key": key},
                     params={"libraryName": "lanternfish"}).status_code == 200


def official_server_call(node_env, url, key):  # noqa: F811
    env = dict(node_env, CONTEXT7_API_URL=url + "/api", CONTEXT7_API_KEY=key, OTEL_SDK_DISABLED="true")
    params = StdioServerParameters(command="context7-mcp", args=[], env=env)

    async def go():
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as s:
                await s.initialize()
                tools = {t.name for t in (await s.list_tools()).tools}
                resolved = await s.call_tool("resolve-library-id", {"libraryName": "lanternfish", "query": QUESTION})
                answer = await s.call_tool("query-docs", {"libraryId": LIBRARY_ID, "query": QUESTION})
                return tools, resolved, answer
    return asyncio.run(go())


def test_the_official_context7_server_runs_on_twinmcp(node_env, keyed):  # noqa: F811
    if not shutil.which("context7-mcp", path=node_env["PATH"]):
        pytest.skip("@upstash/context7-mcp is not installed; run the tests with `bash .ci/test`")
    url, key = keyed
    tools, resolved, answer = official_server_call(node_env, url, key)
    assert {"resolve-library-id", "query-docs"} <= tools
    listed = resolved.content[0].text
    assert LIBRARY_ID in listed and "Lanternfish" in listed, listed
    text = answer.content[0].text
    assert "Source: docs/guide/workers.md" in text, text
    direct = httpx.get(url + "/api/v2/context", params={"libraryId": LIBRARY_ID, "query": QUESTION},
                       headers={"Authorization": f"Bearer {key}"}).text
    assert direct.strip() in text, "the official server passes TwinMCP's answer through"

    _, resolved, answer = official_server_call(node_env, url, "tmcp_wrong_key")
    for result in (resolved, answer):
        said = result.content[0].text
        assert "API key is not valid" in said, said


def test_a_key_limited_to_some_libraries_sees_no_others(twinmcp_bin, keyed, tmp_path):
    """`keys create --libraries`: for that key, other libraries do not exist,
    over MCP, over REST and on /health; names never leak into its errors."""
    from mcp.client.streamable_http import streamable_http_client
    url, _ = keyed
    data = keyed_data(url)
    other = keys(twinmcp_bin, data, "create", "--name", "other-team", "--libraries", "/other-org/*")
    mine = keys(twinmcp_bin, data, "create", "--name", "fish-team", "--libraries", "/Lanternfish-Org/*")

    async def tools(key):
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as client, \
                streamable_http_client(url + "/mcp", http_client=client) as (read, write, _):
            async with ClientSession(read, write) as s:
                await s.initialize()
                resolved = await s.call_tool("resolve-library-id", {"libraryName": "lanternfish"})
                answer = await s.call_tool("query-docs", {"libraryId": LIBRARY_ID, "query": QUESTION})
                return resolved, answer

    resolved, answer = asyncio.run(tools(other))
    assert resolved.structuredContent["libraries"] == []
    assert "lanternfish-org" not in resolved.content[0].text.lower()
    assert answer.isError and "unknown library" in answer.content[0].text
    assert "Indexed libraries: none" in answer.content[0].text, answer.content[0].text
    auth = {"Authorization": f"Bearer {other}"}
    assert httpx.get(url + "/api/v2/libs/search", params={"libraryName": "lanternfish"},
                     headers=auth).json()["results"] == []
    hidden = httpx.get(url + "/api/v2/context", params={"libraryId": LIBRARY_ID, "query": "x"}, headers=auth)
    assert hidden.status_code == 404
    assert httpx.get(url + "/health", headers=auth).json()["libraries"] == []

    resolved, answer = asyncio.run(tools(mine))
    assert resolved.structuredContent["libraries"][0]["id"] == LIBRARY_ID
    assert not answer.isError


def test_the_audit_log_has_a_line_per_call_and_no_secret(twinmcp_bin, data_dir, tmp_path):
    import json
    from mcp.client.streamable_http import streamable_http_client
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    key = keys(twinmcp_bin, data, "create", "--name", "auditor")
    log = tmp_path / "audit.jsonl"
    with http_server(twinmcp_bin, data, "--audit-log", str(log)) as (url, _):
        auth = {"Authorization": f"Bearer {key}"}

        async def calls():
            async with httpx.AsyncClient(headers=auth, timeout=30) as client, \
                    streamable_http_client(url + "/mcp", http_client=client) as (read, write, _):
                async with ClientSession(read, write) as s:
                    await s.initialize()
                    await asyncio.gather(*[
                        s.call_tool("query-docs", {"libraryId": LIBRARY_ID, "query": f"{QUESTION} {n}"})
                        for n in range(8)])
                    await s.call_tool("query-docs", {"libraryId": "/nobody/nothing", "query": "x"})
        asyncio.run(calls())
        httpx.get(url + "/api/v2/context", params={"libraryId": LIBRARY_ID, "query": QUESTION}, headers=auth)
    text = log.read_text()
    assert key not in text and key[:12] not in text, "never the key"
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 10, lines
    tools = [line for line in lines if line["tool"] == "query-docs"]
    assert len(tools) == 9 and all(line["caller"] == "key:auditor" for line in lines)
    assert sum(line["status"] == "error" for line in tools) == 1
    ok = [line for line in tools if line["status"] == "ok"]
    assert all(line["library"] == LIBRARY_ID and line["results"] > 0 and line["latency_ms"] > 0
               and line["query_bytes"] > len(QUESTION) for line in ok), ok
    rest = [line for line in lines if line["tool"] == "GET /api/v2/context"]
    assert rest and rest[0]["status"] == "ok" and rest[0]["results"] > 0


def test_many_concurrent_uncached_requests_all_succeed(keyed):
    """48 distinct questions at once: their query embeddings share passes
    and finish together, so their vector searches run side by side (usearch
    refuses searches past the contexts it reserved); every answer is a 200."""
    url, key = keyed

    async def go():
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            return await asyncio.gather(*[
                client.get(url + "/api/v2/context", params={"libraryId": LIBRARY_ID, "query": f"{QUESTION} {n}"})
                for n in range(48)])
    statuses = [r.status_code for r in asyncio.run(go())]
    assert statuses == [200] * 48, statuses
