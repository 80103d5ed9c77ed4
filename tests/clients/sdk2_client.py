"""Drives TwinMCP with the Python MCP SDK 2.x (run with the .venv-sdk2
interpreter; the 1.x SDK the other tests import cannot live in the same
environment). Reads one JSON job from argv[1] and prints one JSON report:

    {"url": "...", "headers": {...}}  or  {"command": [...]}   the server
    "mode": "auto" | "legacy" | "2026-07-28"                   negotiation
    "calls": [["tool-name", {arguments}], ...]                 tools to call

The report holds the negotiated protocol version, the tool names, and for
each call its text and isError; a failure to connect is reported as
{"error": {"type", "message", "code"}} instead of a traceback."""
import asyncio
import json
import os
import sys

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError


async def run(job):
    if "command" in job:
        server = StdioServerParameters(command=job["command"][0], args=job["command"][1:],
                                       env=dict(os.environ))
        http = None
    else:
        http = httpx2.AsyncClient(headers=job.get("headers", {}), timeout=60)
        server = streamable_http_client(job["url"], http_client=http)
    report = {}
    try:
        async with Client(server, mode=job.get("mode", "auto")) as client:
            report["protocol_version"] = client.protocol_version
            report["server"] = client.server_info.name if client.server_info else None
            report["tools"] = [t.name for t in (await client.list_tools()).tools]
            report["calls"] = []
            for name, arguments in job.get("calls", []):
                result = await client.call_tool(name, arguments)
                report["calls"].append({
                    "text": "\n".join(c.text for c in result.content if getattr(c, "text", None)),
                    "is_error": bool(result.is_error),
                    "structured": result.structured_content,
                })
    except Exception as e:  # noqa: BLE001 - the report names what went wrong
        while isinstance(e, BaseExceptionGroup) and e.exceptions:
            e = e.exceptions[0]
        report["error"] = {"type": type(e).__name__, "message": str(e),
                           "code": e.code if isinstance(e, MCPError) else None}
    finally:
        if http is not None:
            await http.aclose()
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))))
