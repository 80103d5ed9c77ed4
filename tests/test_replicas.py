"""Replicas: three `serve --http --snapshot-dir` processes on loopback behind
HAProxy (the Debian package; round-robin, retry on connection failure), 32
clients for 30 s of stateless MCP 2026-07-28 calls. During the run a new
snapshot is copied into the folder and renamed in, and one replica is killed
with SIGKILL and restarted. Pass: no client request fails, and every replica
serves the new snapshot within two poll intervals. Also: a damaged file is
refused while the rest stays served, a removed file's library goes away,
and /health/ready follows the folder. Figures go to
target/replicas/report.json."""
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from conftest import LIBRARY_ID, ROOT, sprockets_origin

POLL = 2.0
CLIENTS = 32
DURATION = 30.0
SPROCKETS = "/local/sprockets"
QUESTIONS = ["retry a failing job with exponential backoff", "graceful shutdown of workers",
             "how do I enqueue a job", "dead letter queue", "job priorities", "visibility timeout",
             "cancel a running job", "configure concurrency"]
REPORT = ROOT / "target" / "replicas" / "report.json"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(name, arguments, id=1):
    return {"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": name, "arguments": arguments,
                       "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                 "io.modelcontextprotocol/clientCapabilities": {},
                                 "io.modelcontextprotocol/clientInfo": {"name": "replicas", "version": "1"}}}}


HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
           "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call"}


def query(client, base, library, question, id=1):
    """One stateless query-docs call; returns (HTTP status, result or None)."""
    r = client.post(base + "/mcp", json=call("query-docs", {"libraryId": library, "query": question}, id),
                    headers={**HEADERS, "Mcp-Name": "query-docs"})
    if r.status_code != 200:
        return r.status_code, None
    text = r.text
    if r.headers["content-type"].startswith("text/event-stream"):
        text = next(line[5:] for line in text.splitlines() if line.startswith("data:"))
    return 200, json.loads(text).get("result")


class Replica:
    def __init__(self, twinmcp_bin, data, folder, port, log):
        self.args = [twinmcp_bin, "--data-dir", str(data), "serve", "--http", f"127.0.0.1:{port}",
                     "--snapshot-dir", str(folder), "--snapshot-poll", f"{POLL}s"]
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.log.open("a"),
                                     env=dict(os.environ, TWINMCP_LOG="info"))

    def ready(self):
        try:
            return httpx.get(self.base + "/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while not self.ready():
            assert time.time() < deadline and self.proc.poll() is None, self.log.read_text()
            time.sleep(0.1)

    def rss_mib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def haproxy(tmp_path, ports):
    """HAProxy with deploy/haproxy.cfg's settings, on this test's ports."""
    front = free_port()
    config = (ROOT / "deploy" / "haproxy.cfg").read_text()
    config = config.replace("bind 127.0.0.1:7700", f"bind 127.0.0.1:{front}")
    for n, port in enumerate(ports, 1):
        config = config.replace(f"server r{n} 127.0.0.1:770{n}", f"server r{n} 127.0.0.1:{port}")
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    assert Path(binary).exists(), "HAProxy is not installed; run the tests with `bash .ci/test`"
    proc = subprocess.Popen([binary, "-db", "-f", str(path)], stdout=subprocess.DEVNULL,
                            stderr=(tmp_path / "haproxy.log").open("w"))
    try:
        base = f"http://127.0.0.1:{front}"
        deadline = time.time() + 20
        while True:
            try:
                if query(httpx.Client(timeout=5), base, LIBRARY_ID, "x")[0] == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline and proc.poll() is None, (tmp_path / "haproxy.log").read_text()
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def publish(src: Path, folder: Path, name: str):
    """The documented way: copy under a hidden name, then rename in."""
    partial = folder / f".{name}.partial"
    shutil.copyfile(src, partial)
    os.rename(partial, folder / name)


def snapshots(twinmcp_bin, data_dir, tmp_path):
    """The fixture library's snapshot, and a second library's."""
    first = tmp_path / "lanternfish.twinmcp"
    subprocess.run([twinmcp_bin, "--data-dir", str(data_dir), "snapshot", "export", "-o", str(first)],
                   check=True, capture_output=True)
    origin, _ = sprockets_origin(tmp_path)
    other = tmp_path / "other-data"
    subprocess.run([twinmcp_bin, "--data-dir", str(other), "index", str(origin), "--id", SPROCKETS],
                   check=True, capture_output=True)
    second = tmp_path / "sprockets.twinmcp"
    subprocess.run([twinmcp_bin, "--data-dir", str(other), "snapshot", "export", "-o", str(second)],
                   check=True, capture_output=True)
    return first, second


def serves(replica, library):
    try:
        status, result = query(httpx.Client(timeout=5), replica.base, library, "oil the gears")
    except httpx.HTTPError:
        return False
    return status == 200 and result is not None and not result.get("isError")


def test_three_replicas_behind_haproxy_swap_a_snapshot_and_survive_a_kill(twinmcp_bin, data_dir, tmp_path):
    first, second = snapshots(twinmcp_bin, data_dir, tmp_path)
    folder = tmp_path / "snapshots"
    folder.mkdir()
    publish(first, folder, "lanternfish.twinmcp")
    ports = [free_port() for _ in range(3)]
    replicas = [Replica(twinmcp_bin, tmp_path / f"data{n}", folder, port, tmp_path / f"replica{n}.log")
                for n, port in enumerate(ports)]
    try:
        for r in replicas:
            r.wait_ready()
        with haproxy(tmp_path, ports) as base:
            latencies, failures, lock = [], [], threading.Lock()
            stop = threading.Event()

            def client(n):
                with httpx.Client(timeout=30) as http:
                    i = n
                    while not stop.is_set():
                        i += 1
                        started = time.perf_counter()
                        try:
                            status, result = query(http, base, LIBRARY_ID, QUESTIONS[i % len(QUESTIONS)], i)
                            ok = status == 200 and result is not None and not result.get("isError")
                            why = f"HTTP {status}: {result}"
                        except httpx.HTTPError as e:
                            ok, why = False, repr(e)
                        elapsed = time.perf_counter() - started
                        with lock:
                            (latencies.append(elapsed) if ok else failures.append(why))

            threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
            started = time.time()
            for t in threads:
                t.start()

            time.sleep(6)
            published = time.time()
            publish(second, folder, "sprockets.twinmcp")
            seen = {}
            while len(seen) < len(replicas) and time.time() - published < 4 * POLL:
                for n, r in enumerate(replicas):
                    if n not in seen and serves(r, SPROCKETS):
                        seen[n] = time.time() - published
                time.sleep(0.1)

            time.sleep(max(0.0, 14 - (time.time() - started)))
            victim = replicas[1]
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait()
            killed = time.time()
            time.sleep(1)
            victim.start()
            victim.wait_ready()
            back = time.time() - killed
            assert serves(victim, SPROCKETS) and serves(victim, LIBRARY_ID)

            time.sleep(max(0.0, DURATION - (time.time() - started)))
            stop.set()
            for t in threads:
                t.join(60)
            elapsed = time.time() - started
            rss = [round(r.rss_mib(), 1) for r in replicas]

        latencies.sort()
        report = {
            "clients": CLIENTS, "seconds": round(elapsed, 1), "requests": len(latencies),
            "failed": len(failures), "throughput_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1),
            "new_snapshot_served_after_s": {f"r{n + 1}": round(s, 2) for n, s in sorted(seen.items())},
            "killed_replica_ready_again_after_s": round(back, 2),
            "poll_s": POLL, "rss_mib": rss,
        }
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report))
        assert not failures, f"{len(failures)} failed requests, e.g. {failures[:3]}"
        assert len(seen) == 3 and all(s <= 2 * POLL for s in seen.values()), report
        assert len(latencies) > 100, report
    finally:
        for r in replicas:
            r.stop()


def test_a_damaged_or_removed_file_and_readiness(twinmcp_bin, data_dir, tmp_path):
    first, second = snapshots(twinmcp_bin, data_dir, tmp_path)
    folder = tmp_path / "snapshots"
    folder.mkdir()
    replica = Replica(twinmcp_bin, tmp_path / "data", folder, free_port(), tmp_path / "replica.log")
    try:
        # Nothing to serve: alive, not ready, and queries say 503 (a load
        # balancer tries another replica) rather than "unknown library".
        deadline = time.time() + 30
        while True:
            try:
                r = httpx.get(replica.base + "/health/ready")
                if r.status_code == 503 and "no snapshot is served" in r.json()["reason"]:
                    break
            except httpx.ConnectError:  # not listening yet
                pass
            assert time.time() < deadline, replica.log.read_text()
            time.sleep(0.1)
        assert httpx.get(replica.base + "/health/live").status_code == 200
        status, _ = query(httpx.Client(), replica.base, LIBRARY_ID, "x")
        assert status == 503

        publish(first, folder, "lanternfish.twinmcp")
        replica.wait_ready(timeout=4 * POLL)
        assert serves(replica, LIBRARY_ID)

        # A damaged copy of the second snapshot is refused; the first stays.
        damaged = tmp_path / "damaged.twinmcp"
        data = bytearray(second.read_bytes())
        data[len(data) // 2] ^= 0xFF
        damaged.write_bytes(bytes(data))
        publish(damaged, folder, "sprockets.twinmcp")
        deadline = time.time() + 4 * POLL
        while "refused" not in replica.log.read_text():
            assert time.time() < deadline, replica.log.read_text()
            time.sleep(0.1)
        assert not serves(replica, SPROCKETS) and serves(replica, LIBRARY_ID)

        # Replaced by a good copy: served.
        publish(second, folder, "sprockets.twinmcp")
        deadline = time.time() + 2 * POLL + 1
        while not serves(replica, SPROCKETS):
            assert time.time() < deadline, replica.log.read_text()
            time.sleep(0.1)

        # Removed: its library goes away, the other stays.
        (folder / "lanternfish.twinmcp").unlink()
        deadline = time.time() + 2 * POLL + 1
        while serves(replica, LIBRARY_ID):
            assert time.time() < deadline, replica.log.read_text()
            time.sleep(0.1)
        assert serves(replica, SPROCKETS)

        # The same library in two files: removing the one served from keeps
        # the library, read again from the other, without a gap.
        publish(second, folder, "z-sprockets.twinmcp")
        deadline = time.time() + 2 * POLL + 1
        while "z-sprockets.twinmcp (1 builds, replacing" not in replica.log.read_text():
            assert time.time() < deadline, replica.log.read_text()
            time.sleep(0.1)
        (folder / "z-sprockets.twinmcp").unlink()
        deadline = time.time() + 2 * POLL + 1
        while "z-sprockets.twinmcp is gone" not in replica.log.read_text():
            assert serves(replica, SPROCKETS)
            assert time.time() < deadline, replica.log.read_text()
            time.sleep(0.05)
        time.sleep(0.5)
        assert serves(replica, SPROCKETS)
        private = [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob(f"twinmcp-serve-{replica.proc.pid}")]
        assert len(private) == 1
        builds = list((private[0] / "builds").iterdir())
        assert len(builds) == 1, f"the removed file's build files are deleted: {builds}"
    finally:
        replica.stop()
