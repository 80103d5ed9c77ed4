# Shared by the HTTP load benchmarks (source it after setting bin, url,
# port and work): a scratch copy of the data dir, MCP sessions, the server.

# Copies the data dir to bench against into $work/data, without keys.
copy_data() {
    cp -r "$1/." "$work/data"
    rm -f "$work/data/keys.sqlite"*
}

# Prints a new initialised MCP session id; $1, if given, is an API key.
session() {
    local key_header=()
    [[ -n "${1:-}" ]] && key_header=(-H "Authorization: Bearer $1")
    local headers id
    headers=$(curl -s -D - -o /dev/null "$url/mcp" "${key_header[@]}" \
        -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"wrk","version":"1"}}}')
    id=$(printf '%s' "$headers" | tr -d '\r' | awk -F': ' 'tolower($1)=="mcp-session-id"{print $2}')
    curl -s -o /dev/null "$url/mcp" "${key_header[@]}" -H "Mcp-Session-Id: $id" \
        -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        -H 'Mcp-Protocol-Version: 2025-06-18' \
        -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    printf '%s' "$id"
}

# Prints $1 new session ids, comma-separated.
sessions() {
    local out=()
    for _ in $(seq "$1"); do out+=("$(session)"); done
    (IFS=,; printf '%s' "${out[*]}")
}

# Starts the server on $work/data (pid in $server), waits until it answers.
start() {
    "$bin" --data-dir "$work/data" serve --http "127.0.0.1:$port" 2>"$work/server.log" &
    server=$!
    for _ in $(seq 50); do curl -sf "$url/health" >/dev/null && return; sleep 0.2; done
    cat "$work/server.log" >&2; exit 1
}
