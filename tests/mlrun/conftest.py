"""Fixtures for the MLRun compatibility tests: the real Artigraph server.

The server binary is ARTIGRAPH_BIN when set, else built once per session
from the checkout. Each `server` runs on a free loopback port with a fresh
data directory and is stopped at the end of its test.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def artigraph_bin(tmp_path_factory):
    given = os.environ.get("ARTIGRAPH_BIN")
    if given:
        return given
    out = tmp_path_factory.mktemp("bin") / "artigraph"
    subprocess.run(["go", "build", "-o", str(out), "."], cwd=REPO, check=True)
    return str(out)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url, data_dir, log_path, proc):
        self.url, self.data_dir, self.log_path, self.proc = url, data_dir, log_path, proc

    def log(self):
        return Path(self.log_path).read_text(errors="replace")


@pytest.fixture
def server(artigraph_bin, tmp_path):
    """A running server: .url, .data_dir, .log()."""
    data_dir = tmp_path / "data"
    log_path = tmp_path / "server.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTIGRAPH_", "NEO4J_", "MLRUN_"))}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [artigraph_bin, "--addr", f"127.0.0.1:{port}", "--data-dir", str(data_dir), "--auth", "none"],
            stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)  # the server is starting; nothing to wait on but its port
    yield Server(url, data_dir, log_path, proc)
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def mlrun_env(server, tmp_path, monkeypatch):
    """MLRun's client pointed at the server, with nothing else configured."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MLRUN_DBPATH", server.url)
    for k in list(os.environ):
        if k.startswith("MLRUN_") and k != "MLRUN_DBPATH":
            monkeypatch.delenv(k)
    return server


ADMIN_TOKEN = "mlrun-tests-admin-token"


@pytest.fixture
def token_server(artigraph_bin, tmp_path):
    """A running server with --auth token and ADMIN_TOKEN as its admin token."""
    data_dir = tmp_path / "data"
    log_path = tmp_path / "server.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTIGRAPH_", "NEO4J_", "MLRUN_"))}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [artigraph_bin, "--addr", f"127.0.0.1:{port}", "--data-dir", str(data_dir),
             "--auth", "token", "--admin-token", ADMIN_TOKEN],
            stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)  # the server is starting; nothing to wait on but its port
    yield Server(url, data_dir, log_path, proc)
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
