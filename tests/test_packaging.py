"""The README's packaging claim: `pip install -e . --no-deps --no-build-isolation` gives a `qa` command and
`import qa` that work from any folder and still find the seeds, the index, the config and the reader."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project installed in place into a fresh virtual environment; its bin/ folder.

    The environment sees this interpreter's packages (torch and the rest are not installed twice) and
    has no pip of its own, so the system's pip and setuptools build the package, offline."""
    home = tmp_path_factory.mktemp("pkg")
    project = home / "project"
    project.mkdir()
    for name in ("pyproject.toml", "qa.json"):
        shutil.copy2(ROOT / name, project / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "other", ".lock")
    for name in ("qa", "seeds", "embeddings"):
        shutil.copytree(ROOT / name, project / name, ignore=ignore)
    env_dir = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", ".", "--no-deps", "--no-build-isolation",
                           "--no-index"], cwd=project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return env_dir / "bin"


def test_the_installed_qa_command_answers_from_any_folder(installed: Path, tmp_path: Path) -> None:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH="")
    done = subprocess.run([str(installed / "qa"), "ask", "When was Ahmad Massoud born?", "--json"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    ans = json.loads(done.stdout)
    assert ans["text"] == "10 July 1989" and ans["doc"] == "panjshir_resistance_ahmad_massoud.txt"
    assert not (tmp_path / "embeddings").exists()  # the project's index was used, not a new one here
    where = subprocess.run([str(installed / "python"), "-c", "import qa; print(qa.__file__)"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).parent.parent == installed.parent.parent / "project"
