"""Fixtures for the OpenLineage ingestion tests: the real Artigraph server
under --auth token, and an EDITOR token made with its admin token.

The server binary is ARTIGRAPH_BIN when set, else built once per session
from the checkout. Each `server` runs on a free loopback port with a fresh
data directory and is stopped at the end of its test.
"""

import json
import os
import secrets
import socket
import subprocess
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
    def __init__(self, url, admin_token, log_path, proc):
        self.url, self.admin_token, self.log_path, self.proc = url, admin_token, log_path, proc

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def graphql(self, query, variables=None, token=None):
        """POSTs a GraphQL request and returns its data; fails on errors."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(self.url + "/graphql", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token or self.admin_token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            out = json.load(r)
        assert not out.get("errors"), out["errors"]
        return out["data"]


@pytest.fixture
def server(artigraph_bin, tmp_path):
    """A running server under --auth token: .url, .admin_token, .graphql(), .log()."""
    data_dir = tmp_path / "data"
    log_path = tmp_path / "server.log"
    port = _free_port()
    admin = secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTIGRAPH_", "NEO4J_", "OPENLINEAGE_"))}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [artigraph_bin, "--addr", f"127.0.0.1:{port}", "--data-dir", str(data_dir),
             "--auth", "token", "--admin-token", admin],
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
    yield Server(url, admin, log_path, proc)
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def editor_token(server):
    """An EDITOR token for the project "fraud", made with the admin token."""
    data = server.graphql(
        'mutation { createToken(input: {name: "openlineage", role: EDITOR, projects: ["fraud"]}) { token } }')
    return data["createToken"]["token"]
