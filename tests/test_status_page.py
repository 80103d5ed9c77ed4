"""The status page at `/` in a real browser (headless Chromium): the key form,
the key kept in an HttpOnly SameSite=Strict cookie, the libraries table, a
search that shows exactly what `query-docs` returns, sign-out and a revoked
key; then the page's routes over plain HTTP (the cookie counts nowhere else,
foreign origins are refused, a limited key sees only its libraries). The
screenshot is kept at target/screenshots/status-page.png."""
import asyncio
import json
import shutil
import time

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from browser import Browser
from conftest import LIBRARY_ID, ROOT
from test_mcp_http import http_server, keys

QUESTION = "retry a failing job with exponential backoff"
SCREENSHOT = ROOT / "target" / "screenshots" / "status-page.png"


def query_docs_over_mcp(url, key, query, tokens):
    async def go():
        client = httpx.AsyncClient(headers={"X-API-Key": key}, timeout=30)
        async with client, streamable_http_client(url + "/mcp", http_client=client) as (read, write, _):
            async with ClientSession(read, write) as s:
                await s.initialize()
                result = await s.call_tool("query-docs", {"libraryId": LIBRARY_ID, "query": query,
                                                          "tokens": tokens})
                return result.content[0].text, result.structuredContent
    return asyncio.run(go())


def wait_for_model(url, key):
    for _ in range(300):
        if httpx.get(url + "/health").json()["model"] != "loading":
            return
        time.sleep(0.1)


def test_status_page_in_a_browser(twinmcp_bin, data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    secret = keys(twinmcp_bin, data, "create", "--name", "ops").split()[-1]
    assert secret.startswith("tmcp_")
    # Another key, so that keys are still required once `ops` is revoked.
    keys(twinmcp_bin, data, "create", "--name", "ci")
    log = tmp_path / "audit.jsonl"
    with http_server(twinmcp_bin, data, "--audit-log", str(log)) as (url, _):
        wait_for_model(url, secret)
        browser = Browser(tmp_path / "profile")
        try:
            browser.goto(url + "/")
            assert browser.wait_for("!!document.getElementById('login')")
            assert browser.evaluate("document.getElementById('libraries') === null"), "nothing before a key"

            browser.type_into("#key", "tmcp_wrong")
            browser.evaluate("document.getElementById('login').requestSubmit()")
            error = browser.wait_for("document.getElementById('login-error')?.textContent")
            assert "not valid" in error

            browser.evaluate("document.getElementById('key').value = ''")
            browser.type_into("#key", secret)
            browser.evaluate("document.getElementById('login').requestSubmit()")
            browser.wait_for("!!document.getElementById('libraries')")
            rows = browser.evaluate("""[...document.querySelectorAll('#libraries tr.library')].map(r => ({
                id: r.dataset.id, version: r.querySelector('.version').textContent,
                chunks: Number(r.querySelector('.chunks').textContent)}))""")
            assert rows[0]["id"] == LIBRARY_ID and rows[0]["chunks"] > 0, rows
            assert browser.evaluate("document.getElementById('key-name').textContent") == "ops"
            assert browser.evaluate("document.getElementById('model-state').textContent") == "loaded"
            assert browser.evaluate("document.getElementById('model').textContent").startswith("all-minilm-l6-v2")
            # The key is in no URL, in no script-readable cookie, nowhere on the page.
            assert browser.evaluate("document.cookie") == ""
            assert secret not in browser.evaluate("location.href + document.documentElement.outerHTML")
            cookies = browser.send("Network.getCookies", urls=[url + "/"])["cookies"]
            [cookie] = [c for c in cookies if c["name"] == "twinmcp_key"]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"

            browser.type_into("#query", QUESTION)
            browser.evaluate("document.getElementById('tokens').value = '2000'")
            browser.evaluate("document.getElementById('search-form').requestSubmit()")
            browser.wait_for("document.querySelectorAll('#results tr.result').length > 0")
            shown = browser.evaluate("""({
                text: document.getElementById('answer').textContent,
                rows: [...document.querySelectorAll('#results tr.result')].map(r => ({
                    source: r.cells[2].textContent, score: Number(r.cells[3].textContent),
                    tokens: Number(r.cells[4].textContent)})),
                status: document.getElementById('search-status').textContent})""")
            browser.screenshot(SCREENSHOT)

            text, structured = query_docs_over_mcp(url, secret, QUESTION, 2000)
            assert shown["text"] == text, "the page shows the text query-docs returns"
            # Each result's source names the lines of each part it shows.
            expected = [(", ".join(f"{r['path']}#L{g['start_line']}-L{g['end_line']}" for g in r["ranges"]),
                         r["score"], r["tokens"])
                        for r in structured["results"]]
            for r in structured["results"]:
                assert r["ranges"][0]["start_line"] == r["start_line"], r
                assert r["ranges"][-1]["end_line"] == r["end_line"], r
            assert [(r["source"], r["score"], r["tokens"]) for r in shown["rows"]] == expected
            # The text's Source: lines name the same lines as the rows.
            sources = [line.removeprefix("Source: ") for line in text.splitlines() if line.startswith("Source: ")]
            assert sources == [row[0] for row in expected]
            assert shown["rows"][0]["source"].startswith("docs/guide/workers.md")
            assert f"{len(expected)} sections from {LIBRARY_ID}" in shown["status"]

            # Sign out: the form again, and the cookie is gone.
            browser.evaluate("document.querySelector('form.signout').requestSubmit()")
            browser.wait_for("!!document.getElementById('login')")
            assert not [c for c in browser.send("Network.getCookies", urls=[url + "/"])["cookies"]
                        if c["name"] == "twinmcp_key"]

            # A key revoked while the browser holds it: asked for a key again.
            browser.type_into("#key", secret)
            browser.evaluate("document.getElementById('login').requestSubmit()")
            browser.wait_for("!!document.getElementById('libraries')")
            keys(twinmcp_bin, data, "revoke", "ops")
            browser.goto(url + "/")
            note = browser.wait_for("document.getElementById('login-error')?.textContent")
            assert "no longer valid" in note
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000
    searches = [json.loads(line) for line in log.read_text().splitlines()
                if json.loads(line)["tool"] == "GET /status/search"]
    assert len(searches) == 1 and searches[0]["caller"] == "key:ops" and searches[0]["results"] > 0
    assert secret not in log.read_text()


def test_status_routes_over_http(twinmcp_bin, data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    ops = keys(twinmcp_bin, data, "create", "--name", "ops").split()[-1]
    other = keys(twinmcp_bin, data, "create", "--name", "acme", "--libraries", "/acme/*").split()[-1]
    with http_server(twinmcp_bin, data) as (url, _):
        search = f"{url}/status/search?libraryId={LIBRARY_ID}&query=retry"
        assert httpx.get(search).status_code == 401
        cookie = {"Cookie": f"twinmcp_key={ops}"}
        found = httpx.get(search, headers=cookie).json()
        assert not found["isError"] and found["structuredContent"]["results"]
        assert httpx.get(search + "&tokens=lots", headers=cookie).status_code == 400
        # The cookie counts on the page's routes only.
        for path in ("/mcp", "/api/v2/context?libraryId=/x/y&query=q"):
            assert httpx.post(url + path, headers={**cookie, "Content-Type": "application/json"},
                              content="{}").status_code == 401, path
        # Signing in from another site's page is refused; from this one it works.
        foreign = httpx.post(url + "/status/login", data={"key": ops}, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
        same = httpx.post(url + "/status/login", data={"key": ops}, headers={"Origin": url})
        assert same.status_code == 303 and "HttpOnly" in same.headers["set-cookie"]
        # A key limited to other libraries sees none of these.
        limited = {"Cookie": f"twinmcp_key={other}"}
        page = httpx.get(url + "/", headers=limited).text
        assert LIBRARY_ID not in page and "no-libraries" in page
        hidden = httpx.get(search, headers=limited).json()
        assert hidden["isError"] and "unknown library" in hidden["text"]
        assert "Indexed libraries: none" in hidden["text"], hidden["text"]
