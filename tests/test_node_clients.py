"""The official MCP Inspector CLI (over stdio and HTTP) and the
@modelcontextprotocol/conformance server suite, both on Node 22, against the
real binary. `.ci/test` installs them (TWINMCP_NODE_BIN); run alone, these
tests are skipped."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import LIBRARY_ID, ROOT
from test_mcp_http import http_server


@pytest.fixture(scope="module")
def node_env():
    bins = os.environ.get("TWINMCP_NODE_BIN")
    if not bins:
        pytest.skip("Node 22 tools not installed; run the tests with `bash .ci/test`")
    env = dict(os.environ, PATH=f"{bins}:{os.environ['PATH']}")
    version = subprocess.run(["node", "--version"], env=env, capture_output=True, text=True, check=True)
    assert int(version.stdout.strip().lstrip("v").split(".")[0]) >= 22, version.stdout
    return env


def inspector(env, *args):
    out = subprocess.run(["mcp-inspector", "--cli", *args], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


def test_inspector_cli_over_stdio(node_env, twinmcp_bin, data_dir):
    server = [twinmcp_bin, "--data-dir", str(data_dir), "serve"]
    model = ["-e", f"TWINMCP_MODEL={os.environ['TWINMCP_MODEL']}"]
    tools = inspector(node_env, *model, *server, "--method", "tools/list")
    assert {t["name"] for t in tools["tools"]} == {"resolve-library-id", "query-docs", "get-library-docs"}
    answer = inspector(node_env, *model, *server, "--method", "tools/call", "--tool-name", "query-docs",
                       "--tool-arg", f"libraryId={LIBRARY_ID}",
                       "--tool-arg", "query=retry a failing job with exponential backoff")
    assert answer["structuredContent"]["results"][0]["path"] == "docs/guide/workers.md"
    resolved = inspector(node_env, *model, *server, "--method", "tools/call", "--tool-name",
                         "resolve-library-id", "--tool-arg", "libraryName=lanternfish")
    assert resolved["structuredContent"]["libraries"][0]["id"] == LIBRARY_ID


def test_inspector_cli_over_http_with_a_key(node_env, twinmcp_bin, data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    key = subprocess.run([twinmcp_bin, "--data-dir", str(data), "keys", "create", "--name", "inspector"],
                         capture_output=True, text=True, check=True).stdout.strip()
    with http_server(twinmcp_bin, data) as (url, _):
        refused = subprocess.run(["mcp-inspector", "--cli", url + "/mcp", "--method", "tools/list"],
                                 env=node_env, capture_output=True, text=True, timeout=120)
        assert refused.returncode != 0, "no key, no tools"
        header = ["--header", f"Authorization: Bearer {key}"]
        tools = inspector(node_env, url + "/mcp", *header, "--method", "tools/list")
        assert len(tools["tools"]) == 3
        legacy = inspector(node_env, url + "/mcp", *header, "--method", "tools/call", "--tool-name",
                           "get-library-docs", "--tool-arg", f"context7CompatibleLibraryID={LIBRARY_ID}",
                           "--tool-arg", "topic=graceful shutdown")
        assert not legacy.get("isError")


# Scenarios each requirement set must pass: everything TwinMCP has (the
# handshake or stateless requests, tools, headers, transport checks).
REQUIRED = {
    "2025-11-25": ("server-initialize", "ping", "logging-set-level", "tools-list",
                   "server-sse-multiple-streams", "dns-rebinding-protection",
                   "server-session-lifecycle", "server-sse-polling"),
    "2026-07-28": ("tools-list", "server-sse-multiple-streams", "dns-rebinding-protection",
                   "input-required-result-unsupported-methods", "input-required-result-validate-input",
                   "http-header-validation"),
}


@pytest.mark.parametrize("revision", sorted(REQUIRED))
def test_conformance_suite_server_scenarios(node_env, twinmcp_bin, data_dir, tmp_path, revision):
    results = tmp_path / "results"
    with http_server(twinmcp_bin, data_dir) as (url, _):
        out = subprocess.run(
            ["conformance", "server", "--url", url + "/mcp", "--requirements", revision,
             "--expected-failures", str(ROOT / ".ci" / f"conformance-{revision}.yml"),
             "--output-dir", str(results)],
            env=node_env, capture_output=True, text=True, timeout=600)
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    for scenario in REQUIRED[revision]:
        assert f"✓ {scenario}:" in report, f"{scenario} did not pass:\n{report}"
    if revision == "2026-07-28":
        # server-stateless is in the baseline only for the checks that need
        # the suite's diagnostic tools; every other check of it must pass.
        [checks] = results.glob("server-server-stateless-*/checks.json")
        checks = json.loads(checks.read_text())
        failed = [c for c in checks if c["status"] == "FAILURE"]
        assert all(c["errorMessage"].startswith("Not testable") for c in failed), failed
        assert sum(c["status"] == "SUCCESS" for c in checks) >= 20, checks
        caching = json.loads(next(results.glob("server-caching-*/checks.json")).read_text())
        hints = {c["id"]: c for c in caching}
        assert hints["sep-2549-tools-list-caching-hints"]["status"] == "SUCCESS", hints
