"""The real binary over stdio, driven by the official MCP Python SDK: tool
listing and schemas, each tool with its alias argument names, and the error
cases a client can trigger."""
import asyncio
import json
import os
import shutil
import subprocess
from contextlib import asynccontextmanager

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import LIBRARY_ID, sprockets_origin


@asynccontextmanager
async def session(twinmcp_bin, data_dir, model=None):
    params = StdioServerParameters(
        command=twinmcp_bin,
        args=["--data-dir", str(data_dir), "serve"],
        env=dict(os.environ, TWINMCP_MODEL=model or os.environ["TWINMCP_MODEL"]),
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            yield s


def run(coro):
    return asyncio.run(coro)


def text_of(result):
    return "\n".join(c.text for c in result.content if c.type == "text")


def results_of(result):
    """The result sections of a query-docs answer, without the library's rules."""
    text = result if isinstance(result, str) else text_of(result)
    parts = text.split("--------------------------------")
    return [p for p in parts if not p.lstrip().startswith("### Rules from the library")]


def call(twinmcp_bin, data_dir, tool, args, model=None):
    async def go():
        async with session(twinmcp_bin, data_dir, model) as s:
            return await s.call_tool(tool, args)
    return run(go())


def test_tools_are_listed_with_context7_schemas(twinmcp_bin, data_dir):
    async def go():
        async with session(twinmcp_bin, data_dir) as s:
            return (await s.list_tools()).tools
    tools = {t.name: t for t in run(go())}
    assert set(tools) == {"resolve-library-id", "query-docs", "get-library-docs"}
    resolve = tools["resolve-library-id"].inputSchema
    assert resolve["required"] == ["libraryName"]
    assert set(resolve["properties"]) == {"libraryName", "query"}
    query = tools["query-docs"].inputSchema
    assert query["required"] == ["libraryId", "query"]
    assert query["properties"]["tokens"]["minimum"] == 500
    assert query["properties"]["tokens"]["maximum"] == 50000
    assert tools["get-library-docs"].inputSchema["required"] == ["context7CompatibleLibraryID"]
    for tool in tools.values():
        assert tool.annotations.readOnlyHint is True
        assert tool.outputSchema["type"] == "object"


def test_resolve_library_id_formats_like_context7(twinmcp_bin, data_dir):
    result = call(twinmcp_bin, data_dir, "resolve-library-id", {"libraryName": "LanternFish.js", "query": "retries"})
    assert not result.isError
    text = text_of(result)
    assert text.startswith("Available Libraries:\n\n- Title: Lanternfish\n")
    assert f"- Context7-compatible library ID: {LIBRARY_ID}\n" in text
    assert "- Description: Lanternfish is a small persistent job queue" in text
    assert "- Versions: latest" in text
    lib = result.structuredContent["libraries"][0]
    assert lib["id"] == LIBRARY_ID and lib["snippets"] > 10 and lib["versions"] == ["latest"]


def test_resolve_tolerates_a_typo_and_reports_no_match(twinmcp_bin, data_dir):
    typo = call(twinmcp_bin, data_dir, "resolve-library-id", {"libraryName": "lanternfsh"})
    assert typo.structuredContent["libraries"][0]["id"] == LIBRARY_ID
    none = call(twinmcp_bin, data_dir, "resolve-library-id", {"libraryName": "django"})
    assert not none.isError
    assert 'No indexed library matches "django"' in text_of(none)
    assert LIBRARY_ID in text_of(none)
    assert none.structuredContent == {"libraries": []}


def test_query_docs_returns_whole_sections_with_sources(twinmcp_bin, data_dir):
    result = call(twinmcp_bin, data_dir, "query-docs",
                  {"libraryId": LIBRARY_ID, "query": "how do I retry a failing job with exponential backoff?"})
    assert not result.isError
    sc = result.structuredContent
    assert sc["libraryId"] == LIBRARY_ID and sc["version"] == "latest"
    first = sc["results"][0]
    assert first["path"] == "docs/guide/workers.md"
    assert first["breadcrumb"] == "Workers › Retries and backoff"
    assert first["start_line"] < first["end_line"]
    text = text_of(result)
    # The library's rules (context7.json) come first, then the results.
    results = text.split("--------------------------------\n\n", 1)[1]
    assert results.startswith("### Workers › Retries and backoff\n\nSource: docs/guide/workers.md#L")
    assert "backoff: { type: \"exponential\", delay: 1000 }," in text
    assert "\n--------------------------------\n" in text
    assert sc["tokens_used"] <= 5000


def test_query_docs_indexes_rst_and_mdx(twinmcp_bin, data_dir):
    rst = call(twinmcp_bin, data_dir, "query-docs", {"libraryId": LIBRARY_ID, "query": "pause the queue until resume"})
    assert rst.structuredContent["results"][0]["path"] == "docs/api/reference.rst"
    mdx = call(twinmcp_bin, data_dir, "query-docs", {"libraryId": LIBRARY_ID, "query": "cron schedule with a time zone"})
    top = mdx.structuredContent["results"][0]
    assert top["path"] == "docs/guide/scheduling.mdx"
    section = results_of(mdx)[0]
    assert "await queue.schedule(" in section
    assert "<Tab" not in section
    # The fence nested in JSX closes: the paragraph after it is prose again.
    assert "```\n\nA cron expression has five fields" in section


@pytest.mark.parametrize("query,item", [
    ("how do I use Queue.add_bulk", "lanternfish.queue.Queue.add_bulk"),
    ("what does retry_after() do", "lanternfish.queue.retry_after"),
    ("`add` in python", "lanternfish.queue.Queue.add"),
])
def test_an_exact_api_name_wins(twinmcp_bin, data_dir, query, item):
    result = call(twinmcp_bin, data_dir, "query-docs", {"libraryId": LIBRARY_ID, "query": query})
    top = result.structuredContent["results"][0]
    assert top["breadcrumb"] == item
    assert top["path"] == "python/src/lanternfish/queue.py"


@pytest.mark.parametrize("query,item,path", [
    ("enqueueJob with retry attempts", "ts.client.enqueueJob", "clients/ts/src/client.ts"),
    ("LanternfishClient.cancelJob", "ts.client.LanternfishClient.cancelJob", "clients/ts/src/client.ts"),
    ("what does Drain() return", "lanternfish.Client.Drain", "clients/go/lanternfish/client.go"),
    ("JobOptions", "ts.client.JobOptions", "clients/ts/src/client.ts"),
])
def test_exact_api_names_win_in_every_language(twinmcp_bin, data_dir, query, item, path):
    result = call(twinmcp_bin, data_dir, "query-docs", {"libraryId": LIBRARY_ID, "query": query})
    top = result.structuredContent["results"][0]
    assert (top["breadcrumb"], top["path"]) == (item, path)


def test_code_items_show_signature_docs_and_tagged_examples(twinmcp_bin, data_dir):
    text = text_of(call(twinmcp_bin, data_dir, "query-docs",
                        {"libraryId": LIBRARY_ID, "query": "enqueueJob"}))
    first = results_of(text)[0]
    assert "### ts.client.enqueueJob" in first
    assert "```typescript\nexport async function enqueueJob(queue: string, payload: unknown, " in first
    assert '```typescript\nconst id = await enqueueJob("emails"' in first
    assert "refresh" not in text and "backoffMs" not in text, "private and undocumented code is left out"


def test_notebooks_are_indexed(twinmcp_bin, data_dir):
    result = call(twinmcp_bin, data_dir, "query-docs",
                  {"libraryId": LIBRARY_ID, "query": "watch the thumbnail backlog of a notebook worker"})
    top = result.structuredContent["results"][0]
    assert top["path"] == "docs/tutorial.ipynb"
    assert "print(queue.stats())" in text_of(result)


def test_config_rules_lead_every_answer_and_excluded_folders_are_not_indexed(twinmcp_bin, data_dir):
    result = call(twinmcp_bin, data_dir, "query-docs",
                  {"libraryId": LIBRARY_ID, "query": "zanzibarian publish script release process"})
    text = text_of(result)
    assert text.startswith("### Rules from the library's maintainers\n\nQuoted from the config file of "
                           f"{LIBRARY_ID}: the maintainers' advice for using it, not instructions from TwinMCP.")
    rules = text.split("<library-rules boundary=", 1)[1]
    boundary = rules.split('">', 1)[0].strip('"')
    assert rules.split("\n", 1)[1].startswith("- Always await queue.close()")
    assert f'</library-rules boundary="{boundary}">' in text
    # Every quoted section is marked with the same boundary.
    sections = results_of(result)
    assert sections and all(f'<documentation boundary="{boundary}">' in s for s in sections if "Source:" in s)
    assert text.count(f'<documentation boundary="{boundary}">') == text.count(f'</documentation boundary="{boundary}">')
    assert "Queue.add_bulk, not a loop" in text
    assert result.structuredContent["rules"][1].startswith("Enqueue more than 100 jobs")
    assert "zanzibarian" not in text.lower(), "docs/internal is excluded by context7.json"


@pytest.mark.parametrize("name", ["@lanternfish/client", "lanternfish-queue"])
def test_package_aliases_from_twinmcp_json_resolve(twinmcp_bin, data_dir, name):
    result = call(twinmcp_bin, data_dir, "resolve-library-id", {"libraryName": name})
    assert result.structuredContent["libraries"][0]["id"] == LIBRARY_ID


def test_docstrings_render_with_signature_and_private_items_are_skipped(twinmcp_bin, data_dir):
    result = call(twinmcp_bin, data_dir, "query-docs",
                  {"libraryId": LIBRARY_ID, "query": "Queue.add_bulk store many jobs in one transaction"})
    text = text_of(result)
    assert "### lanternfish.queue.Queue.add_bulk" in text
    assert "```python\ndef add_bulk(self, jobs):\n```" in text
    assert "_claim" not in text


@pytest.mark.parametrize("tool,args", [
    ("query-docs", {"context7CompatibleLibraryID": LIBRARY_ID, "topic": "graceful shutdown"}),
    ("query-docs", {"libraryID": LIBRARY_ID, "userQuery": "graceful shutdown"}),
    ("query-docs", {"libraryId": LIBRARY_ID, "question": "graceful shutdown"}),
    ("get-library-docs", {"context7CompatibleLibraryID": LIBRARY_ID, "topic": "graceful shutdown", "tokens": 2000}),
])
def test_alias_argument_names_are_accepted(twinmcp_bin, data_dir, tool, args):
    result = call(twinmcp_bin, data_dir, tool, args)
    assert not result.isError, text_of(result)
    assert result.structuredContent["results"][0]["breadcrumb"] == "Workers › Graceful shutdown"


def test_get_library_docs_without_topic_gives_an_overview(twinmcp_bin, data_dir):
    result = call(twinmcp_bin, data_dir, "get-library-docs", {"context7CompatibleLibraryID": LIBRARY_ID})
    assert not result.isError
    assert result.structuredContent["results"]


def test_a_version_in_the_id_is_understood(twinmcp_bin, data_dir):
    result = call(twinmcp_bin, data_dir, "query-docs", {"libraryId": LIBRARY_ID + "/v9.9.9", "query": "queue"})
    assert result.isError
    assert "no version `v9.9.9`" in text_of(result) and "latest" in text_of(result)


def test_token_budget_is_respected_and_omissions_counted(twinmcp_bin, data_dir):
    result = call(twinmcp_bin, data_dir, "query-docs", {"libraryId": LIBRARY_ID, "query": "queue jobs", "tokens": 500})
    sc = result.structuredContent
    assert sc["tokens_used"] <= 500
    assert sc["omitted"] > 0
    assert f"{sc['omitted']} more result" in text_of(result)
    assert text_of(result).count("```") % 2 == 0


@pytest.mark.parametrize("args,message", [
    ({"libraryId": "/nobody/nothing", "query": "x"}, "unknown library `/nobody/nothing`"),
    ({"libraryId": LIBRARY_ID, "query": "   "}, "`query` is required"),
    ({"libraryId": LIBRARY_ID}, "`query` is required"),
    ({"query": "retries"}, "`libraryId` is required"),
    ({"libraryId": LIBRARY_ID, "query": "x", "tokens": 10}, "`tokens` must be between 500 and 50000"),
    ({"libraryId": LIBRARY_ID, "query": "x", "tokens": "lots"}, "`tokens` must be an integer"),
    ({"libraryId": 42, "query": "x"}, "`libraryId` must be a string"),
    ({"libraryId": LIBRARY_ID, "query": "x" * 5000}, "the limit is 4096"),
])
def test_bad_arguments_get_errors_that_say_what_was_wrong(twinmcp_bin, data_dir, args, message):
    result = call(twinmcp_bin, data_dir, "query-docs", args)
    assert result.isError
    assert message in text_of(result)
    if "unknown library" in message:
        assert LIBRARY_ID in text_of(result)


def test_one_session_serves_many_calls_and_stdout_is_only_mcp(twinmcp_bin, data_dir):
    async def go():
        async with session(twinmcp_bin, data_dir) as s:
            calls = [s.call_tool("query-docs", {"libraryId": LIBRARY_ID, "query": q})
                     for q in ["add a job", "concurrency", "dead-letter list", "UnrecoverableError"] * 5]
            return await asyncio.gather(*calls)
    results = run(go())
    assert all(not r.isError for r in results)
    # The SDK rejects any non-JSON line on stdout, so reaching here means stdout held only MCP frames.
    top = results[3].structuredContent["results"][0]
    assert top["breadcrumb"] in ("Workers › Retries and backoff › Handling a poison job", "API reference › Errors")


def test_without_the_model_answers_from_bm25_and_says_so(twinmcp_bin, data_dir, tmp_path):
    result = call(twinmcp_bin, data_dir, "query-docs",
                  {"libraryId": LIBRARY_ID, "query": "retry a failing job with exponential backoff"},
                  model=str(tmp_path / "no-model-here"))
    assert not result.isError
    assert "semantic search is unavailable" in text_of(result)
    assert result.structuredContent["results"][0]["path"] == "docs/guide/workers.md"


def test_a_different_model_is_refused_not_silently_wrong(twinmcp_bin, data_dir, tmp_path):
    other = tmp_path / "other-model"
    shutil.copytree(os.environ["TWINMCP_MODEL"], other)
    manifest = json.loads((other / "twinmcp-model.json").read_text())
    manifest["name"] = "some-other-model"
    (other / "twinmcp-model.json").write_text(json.dumps(manifest))
    result = call(twinmcp_bin, data_dir, "query-docs", {"libraryId": LIBRARY_ID, "query": "retries"},
                  model=str(other))
    assert result.isError
    assert "indexed with embedding model `all-minilm-l6-v2:" in text_of(result)
    assert "some-other-model" in text_of(result)


def test_serve_snapshot_answers_like_the_data_dir_and_writes_nothing(twinmcp_bin, data_dir, tmp_path):
    """A replica serves straight from a snapshot file: an empty data dir
    stays empty, and every answer matches the one from the original index."""
    snapshot = tmp_path / "docs.twinmcp"
    env = dict(os.environ)
    subprocess.run([twinmcp_bin, "--data-dir", str(data_dir), "snapshot", "export", "-o", str(snapshot)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    empty = tmp_path / "replica"
    empty.mkdir()
    queries = ["retry a failing job with exponential backoff", "enqueueJob", "cron schedule in a time zone"]

    async def answers(args, data):
        params = StdioServerParameters(command=twinmcp_bin, args=["--data-dir", str(data), "serve", *args], env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as s:
                await s.initialize()
                out = [text_of(await s.call_tool("resolve-library-id", {"libraryName": "lanternfish"}))]
                for q in queries:
                    out.append(text_of(await s.call_tool("query-docs", {"libraryId": LIBRARY_ID, "query": q})))
                return out

    served = run(answers(["--snapshot", str(snapshot)], empty))
    assert served == run(answers([], data_dir))
    assert "Retries and backoff" in served[1]
    assert [p.name for p in empty.iterdir()] == ["builds"] and not any((empty / "builds").iterdir())


def test_serve_refuses_a_damaged_snapshot(twinmcp_bin, data_dir, tmp_path):
    bad = tmp_path / "bad.twinmcp"
    bad.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 64)
    out = subprocess.run([twinmcp_bin, "--data-dir", str(tmp_path / "d"), "serve", "--snapshot", str(bad)],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert out.returncode != 0
    assert "bad.twinmcp" in out.stderr and out.stdout == ""


def test_a_background_refresh_over_stdio_keeps_stdout_mcp_only(twinmcp_bin, tmp_path):
    """`serve --refresh` over stdio: a refresh that lands a new build says
    so on stderr, never on stdout; the client keeps its session and its
    next answer shows the new content. Every byte the server wrote to
    stdout is captured (through tee) and must be a JSON-RPC frame."""
    origin, git = sprockets_origin(tmp_path)
    data = tmp_path / "data"
    subprocess.run([twinmcp_bin, "--data-dir", str(data), "index", f"file://{origin}", "--id", "/acme/sprockets"],
                   check=True, capture_output=True)
    stdout_copy = tmp_path / "stdout.log"
    stderr_copy = tmp_path / "stderr.log"
    script = (f'"{twinmcp_bin}" -v --data-dir "{data}" serve --refresh 1s 2>"{stderr_copy}" '
              f'| tee "{stdout_copy}"')
    params = StdioServerParameters(command="sh", args=["-c", script],
                                   env=dict(os.environ, TWINMCP_MODEL=os.environ["TWINMCP_MODEL"]))

    async def go():
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as s:
                await s.initialize()
                ask = {"libraryId": "/acme/sprockets", "query": "how often to grease the gears"}
                before = text_of(await s.call_tool("query-docs", ask))
                (origin / "gears.md").write_text("# Gears\n\nGrease the gears every spring equinox.\n")
                subprocess.run(git + ["commit", "-qam", "two"], check=True)
                answer = before
                for _ in range(180):
                    if "spring equinox" in answer:
                        break
                    await asyncio.sleep(0.5)
                    answer = text_of(await s.call_tool("query-docs", ask))
                return before, answer
    before, after = run(go())
    assert "monthly" in before
    assert "spring equinox" in after, after
    lines = [line for line in stdout_copy.read_text().splitlines() if line.strip()]
    assert lines, "the server answered over stdout"
    for line in lines:
        assert json.loads(line)["jsonrpc"] == "2.0", line
    assert "indexed /acme/sprockets" in stderr_copy.read_text(), "the refresh is reported on stderr"


def test_a_storage_failure_is_an_internal_error_without_paths(twinmcp_bin, data_dir, tmp_path):
    """A broken index file is the server's failure, not the caller's: the
    client gets a JSON-RPC internal error with a generic message and an id,
    the detail (naming the data dir) goes to stderr only, and the session
    keeps working for what can still be answered."""
    from mcp.shared.exceptions import McpError
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    for meta in data.glob("builds/*/text/meta.json"):
        meta.write_text("{ this is not tantivy's meta")
    stderr_copy = tmp_path / "stderr.log"
    params = StdioServerParameters(
        command="sh", args=["-c", f'exec "{twinmcp_bin}" --data-dir "{data}" serve 2>"{stderr_copy}"'],
        env=dict(os.environ))

    async def go():
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as s:
                await s.initialize()
                try:
                    await s.call_tool("query-docs", {"libraryId": LIBRARY_ID, "query": "retries"})
                except McpError as e:
                    failure = e.error
                else:
                    failure = None
                resolved = await s.call_tool("resolve-library-id", {"libraryName": "lanternfish"})
                return failure, resolved
    failure, resolved = run(go())
    assert failure is not None, "a broken index is an error"
    assert failure.code == -32603, failure
    assert "internal error (id " in failure.message, failure.message
    assert str(tmp_path) not in failure.message and "meta" not in failure.message
    error_id = failure.message.split("id ")[1].split(")")[0]
    log = stderr_copy.read_text()
    assert error_id in log and str(data) in log, log
    assert not resolved.isError and LIBRARY_ID in text_of(resolved)
