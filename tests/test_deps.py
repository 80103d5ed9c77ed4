"""A project's locked dependency versions through a real MCP client (the
Python SDK over stdio): `twinmcp deps` indexes two versions of one crate
from two projects, then `serve --project` and the roots a client declares
each make `resolve-library-id` list that project's version first and
`query-docs` without a version answer from it; an explicit version wins."""
import asyncio
import os
import subprocess
import tomllib

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

from conftest import ROOT


def own_locked(name):
    lock = tomllib.loads((ROOT / "Cargo.lock").read_text())
    versions = [p["version"] for p in lock["package"] if p["name"] == name]
    return sorted(versions, key=lambda v: [int(x) for x in v.split(".")])


def cargo_project(path, version):
    (path / "src").mkdir(parents=True)
    (path / "src" / "lib.rs").write_text("")
    req = version.rsplit(".", 1)[0]
    (path / "Cargo.toml").write_text(
        f'[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ngetrandom = "{req}"\n')
    (path / "Cargo.lock").write_text(
        'version = 4\n\n[[package]]\nname = "demo"\nversion = "0.1.0"\n\n'
        f'[[package]]\nname = "getrandom"\nversion = "{version}"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n')


def ask(twinmcp_bin, data, extra_args=(), roots=None, version=None):
    params = StdioServerParameters(command=twinmcp_bin,
                                   args=["--data-dir", str(data), "serve", *extra_args], env=dict(os.environ))

    async def list_roots(_context):
        return types.ListRootsResult(roots=[types.Root(uri=f"file://{r}", name="project") for r in roots])

    async def go():
        async with stdio_client(params) as (read, write):
            kwargs = {"list_roots_callback": list_roots} if roots else {}
            async with ClientSession(read, write, **kwargs) as s:
                await s.initialize()
                resolved = await s.call_tool("resolve-library-id", {"libraryName": "getrandom"})
                # The server asks for roots once initialized, and reads them meanwhile.
                for _ in range(40 if roots else 0):
                    if resolved.structuredContent["libraries"][0].get("projectVersion"):
                        break
                    await asyncio.sleep(0.25)
                    resolved = await s.call_tool("resolve-library-id", {"libraryName": "getrandom"})
                library = "/rust-random/getrandom" + (f"/{version}" if version else "")
                answer = await s.call_tool("query-docs", {"libraryId": library, "query": "fill a buffer with random bytes"})
                return resolved, answer
    return asyncio.run(go())


def test_the_locked_version_answers_first(twinmcp_bin, tmp_path):
    old, new = own_locked("getrandom")[-2:]
    data = tmp_path / "data"
    for name, version in (("old", old), ("new", new)):
        cargo_project(tmp_path / name, version)
        subprocess.run([twinmcp_bin, "--data-dir", str(data), "deps", str(tmp_path / name), "--no-vectors"],
                       check=True, capture_output=True)

    for how, kwargs in (("--project", {"extra_args": ["--project", str(tmp_path / "old")]}),
                        ("roots", {"roots": [tmp_path / "old"]})):
        resolved, answer = ask(twinmcp_bin, data, **kwargs)
        lib = resolved.structuredContent["libraries"][0]
        assert lib["id"] == "/rust-random/getrandom", (how, lib)
        assert lib["projectVersion"] == old and lib["versions"][0] == old, (how, lib)
        assert f"Version used by this project: {old}" in resolved.content[0].text, how
        assert not answer.isError and answer.structuredContent["version"] == old, (how, answer)

    # Another project, another version; an explicit version always wins.
    resolved, answer = ask(twinmcp_bin, data, extra_args=["--project", str(tmp_path / "new")])
    assert resolved.structuredContent["libraries"][0]["projectVersion"] == new
    assert answer.structuredContent["version"] == new
    _, explicit = ask(twinmcp_bin, data, extra_args=["--project", str(tmp_path / "new")], version=old)
    assert explicit.structuredContent["version"] == old
    # Without a project, the newest indexed version answers.
    resolved, answer = ask(twinmcp_bin, data)
    assert resolved.structuredContent["libraries"][0]["projectVersion"] is None
    assert answer.structuredContent["version"] == new
