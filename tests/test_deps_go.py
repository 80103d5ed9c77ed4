"""Go modules through the real toolchain: a module published at two versions
on a file-based GOPROXY (the layout `go` reads from any proxy) is fetched by
`go mod tidy` into a module cache made for the test, the project is
built with `go build`, then `twinmcp deps` indexes the version its go.mod
requires, from that cache, under its case-encoded path. A requirement the
cache lacks is reported as missing and the rest is indexed. `go get` moves
the project to the next version, the next `deps` indexes that one, and a real
MCP client asking `serve --project` gets its docs without naming a version."""
import asyncio
import json
import os
import shutil
import subprocess
import zipfile

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

MODULE = "github.com/LanternFish/glow"
# Go's module cache and proxy spell capitals as '!' and the lowercase letter.
ESCAPED = "github.com/!lantern!fish/glow"
LIBRARY = "/LanternFish/glow"


def publish(proxy, version):
    """One version of the module in the proxy protocol's layout."""
    base = proxy / ESCAPED / "@v"
    base.mkdir(parents=True, exist_ok=True)
    go_mod = f"module {MODULE}\n\ngo 1.19\n"
    (base / f"{version}.mod").write_text(go_mod)
    (base / f"{version}.info").write_text(json.dumps({"Version": version, "Time": "2026-01-02T03:04:05Z"}))
    with zipfile.ZipFile(base / f"{version}.zip", "w") as z:
        prefix = f"{MODULE}@{version}/"
        z.writestr(prefix + "go.mod", go_mod)
        z.writestr(prefix + "README.md",
                   f"# glow {version}\n\nGlow makes lanterns shine.\n\n"
                   "## Brightness\n\nCall `glow.Brightness(watts)` to learn how many lumens a lantern gives.\n")
        z.writestr(prefix + "glow.go",
                   "// Package glow lights lanterns.\npackage glow\n\n"
                   "// Brightness returns how bright a lantern shines, in lumens.\n"
                   "func Brightness(watts int) int { return watts * 80 }\n")
    with open(base / "list", "a") as f:
        f.write(version + "\n")


def go(project, env, *args):
    out = subprocess.run(["go", *args], cwd=project, env=env, capture_output=True, text=True)
    assert out.returncode == 0, f"go {' '.join(args)}: {out.stderr}"
    return out.stdout


def deps(twinmcp_bin, data, project, env):
    out = subprocess.run([twinmcp_bin, "--data-dir", str(data), "deps", str(project), "--no-vectors", "--json"],
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def test_go_modules_come_from_the_module_cache(twinmcp_bin, tmp_path):
    if shutil.which("go") is None:
        if os.environ.get("CI"):
            pytest.fail("go is not installed (.ci/setup.sh installs golang-go)")
        pytest.skip("go is not installed")
    proxy, cache, project, data = (tmp_path / n for n in ("proxy", "modcache", "app", "data"))
    for version in ("v1.2.0", "v1.3.0"):
        publish(proxy, version)
    env = dict(os.environ, GOPROXY=proxy.as_uri(), GOSUMDB="off", GOFLAGS="-modcacherw",
               GOMODCACHE=str(cache), GOPATH=str(tmp_path / "gopath"), GOCACHE=str(tmp_path / "gocache"),
               GOTOOLCHAIN="local", GO111MODULE="on")
    project.mkdir()
    (project / "go.mod").write_text(f"module example.com/app\n\ngo 1.19\n\nrequire {MODULE} v1.2.0\n")
    (project / "main.go").write_text(
        f'package main\n\nimport "{MODULE}"\n\nfunc main() {{ println(glow.Brightness(3)) }}\n')
    go(project, env, "mod", "tidy")
    go(project, env, "build", "-o", str(tmp_path / "app-bin"), ".")
    assert (cache / f"{ESCAPED}@v1.2.0" / "README.md").is_file()

    # A requirement the cache lacks (a fresh clone before `go mod download`).
    with open(project / "go.mod", "a") as f:
        f.write("require github.com/LanternFish/dim v0.1.0\n")
    events = deps(twinmcp_bin, data, project, env)
    found = {e["name"]: e for e in events if e.get("event") == "dependency"}
    glow = found[MODULE]
    assert glow["state"] == "indexed", glow
    assert glow["library"] == f"{LIBRARY}/v1.2.0", glow
    assert glow["path"] == str(cache / f"{ESCAPED}@v1.2.0"), glow
    dim = found["github.com/LanternFish/dim"]
    assert dim["state"] == "missing" and "module cache" in dim["message"], dim
    done = events[-1]
    assert done["event"] == "done" and done["indexed"] == 1 and done["missing"] == 1, done
    # Without a module cache at all, each module says so.
    bare = dict(env, GOMODCACHE=str(tmp_path / "nowhere"))
    missing = [e for e in deps(twinmcp_bin, tmp_path / "data2", project, bare) if e.get("event") == "dependency"]
    assert all(e["state"] == "missing" for e in missing), missing

    (project / "go.mod").write_text(f"module example.com/app\n\ngo 1.19\n\nrequire {MODULE} v1.2.0\n")
    go(project, env, "get", f"{MODULE}@v1.3.0")
    assert f"{MODULE} v1.3.0" in (project / "go.mod").read_text()
    events = deps(twinmcp_bin, data, project, env)
    glow = next(e for e in events if e.get("name") == MODULE)
    assert glow["state"] == "indexed" and glow["library"] == f"{LIBRARY}/v1.3.0", glow

    async def ask():
        params = StdioServerParameters(
            command=twinmcp_bin, args=["--data-dir", str(data), "serve", "--project", str(project)], env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as s:
                await s.initialize()
                resolved = await s.call_tool("resolve-library-id", {"libraryName": "glow"})
                answer = await s.call_tool("query-docs", {"libraryId": LIBRARY, "query": "how bright is a lantern"})
                return resolved, answer

    resolved, answer = asyncio.run(ask())
    lib = resolved.structuredContent["libraries"][0]
    assert lib["id"] == LIBRARY and lib["projectVersion"] == "v1.3.0", lib
    assert not answer.isError, answer.content[0].text
    assert answer.structuredContent["version"] == "v1.3.0", answer.structuredContent
    assert "glow v1.3.0" in answer.content[0].text and "lumens" in answer.content[0].text
