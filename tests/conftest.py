"""Shared fixtures for the MCP client tests: the built binary, the model and
an indexed git repository made from fixtures/lanternfish in a temp dir."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_ID = "/lanternfish-org/lanternfish"


def _bin() -> str:
    path = os.environ.get("TWINMCP_BIN", str(ROOT / "target" / "debug" / "twinmcp"))
    assert Path(path).exists(), f"build twinmcp first (cargo build); not found: {path}"
    return path


def _model() -> str:
    model = os.environ.get("TWINMCP_MODEL")
    assert model and Path(model, "model.safetensors").exists(), (
        "TWINMCP_MODEL must name the installed model; run the tests with `bash .ci/test`"
    )
    return model


def sprockets_origin(tmp_path: Path):
    """A one-commit git repository of two small docs, to be indexed and then
    changed upstream; returns its folder and the git command prefix for it."""
    origin = tmp_path / "origin"
    origin.mkdir()
    git = ["git", "-C", str(origin), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    (origin / "README.md").write_text("# Sprockets\n\nSprockets turn gears for tiny machines.\n")
    (origin / "gears.md").write_text("# Gears\n\nOil the gears monthly.\n")
    subprocess.run(git + ["init", "-q", "-b", "main"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "one"], check=True)
    return origin, git


@pytest.fixture(scope="session")
def twinmcp_bin() -> str:
    return _bin()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """A data dir holding the fixture library, indexed from a real git repository."""
    tmp = tmp_path_factory.mktemp("twinmcp")
    repo = tmp / "repo"
    shutil.copytree(ROOT / "fixtures" / "lanternfish", repo)
    git = ["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["remote", "add", "origin", "git@git.example.com:lanternfish-org/lanternfish.git"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "docs"], check=True)
    data = tmp / "data"
    env = dict(os.environ, TWINMCP_MODEL=_model())
    subprocess.run([_bin(), "--data-dir", str(data), "index", str(repo)], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return data
