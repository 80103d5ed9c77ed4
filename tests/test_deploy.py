"""The deploy/ examples: the Kubernetes manifests pass kubernetes-validate
(strict: no unknown fields) and ask for what the replica test measured, the
HAProxy configuration passes `haproxy -c`, and the Dockerfile builds the
binary with the model bundled and runs it as a non-root user."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_kubernetes_manifests_validate():
    validator = Path(sys.executable).with_name("kubernetes-validate")
    assert validator.exists(), "kubernetes-validate is not installed; run the tests with `bash .ci/test`"
    manifests = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
    out = subprocess.run([str(validator), "--strict", "-k", "1.31.0", *map(str, manifests)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    docs = [d for m in manifests for d in yaml.safe_load_all(m.read_text()) if d]
    kinds = {d["kind"]: d for d in docs}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= set(kinds)
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    [server] = pod["containers"]
    assert server["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert server["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert server["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert "--snapshot-dir" in server["args"]
    assert server["resources"]["requests"]["memory"] and server["resources"]["limits"]["memory"]


def test_haproxy_config_is_valid():
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    assert Path(binary).exists(), "HAProxy is not installed; run the tests with `bash .ci/test`"
    out = subprocess.run([binary, "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_dockerfile_bundles_the_model_and_drops_root():
    text = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) == 2, "multi-stage"
    assert "--features bundled-model" in text and "--require-hashes" in text
    assert re.search(r"^USER 10001", text, re.M)
