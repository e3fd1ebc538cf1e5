"""The real Artigraph server for the Python client suites (tests/<suite>).

Each suite's conftest.py imports this: `serve()` runs the binary (ARTIGRAPH_BIN,
else one built from the checkout) on a free loopback port with a fresh data
directory, waits for /readyz, and stops it at the end.
"""

import contextlib
import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def binary(tmp_dir):
    """ARTIGRAPH_BIN, or the server built from the checkout into tmp_dir."""
    given = os.environ.get("ARTIGRAPH_BIN")
    if given:
        return given
    out = Path(tmp_dir) / "artigraph"
    subprocess.run(["go", "build", "-o", str(out), "."], cwd=REPO, check=True)
    return str(out)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running server: .url, .data_dir, .admin_token (None under --auth none)."""

    def __init__(self, url, data_dir, admin_token, log_path, proc):
        self.url, self.data_dir, self.admin_token = url, data_dir, admin_token
        self.log_path, self.proc = log_path, proc

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def graphql(self, query, variables=None, token=None):
        """POSTs a GraphQL request (with token, else the admin token) and returns its data; fails on errors."""
        headers = {"Content-Type": "application/json"}
        if token or self.admin_token:
            headers["Authorization"] = f"Bearer {token or self.admin_token}"
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(self.url + "/graphql", data=body, method="POST", headers=headers)
        with urllib.request.urlopen(req, timeout=30) as r:
            out = json.load(r)
        assert not out.get("errors"), out["errors"]
        return out["data"]


@contextlib.contextmanager
def serve(bin_path, tmp_path, admin_token=None, drop_env=()):
    """Runs a server, under --auth token when admin_token is given, else --auth none.

    Variables starting with ARTIGRAPH_, NEO4J_ or a prefix in drop_env are not
    passed on, so that the caller's configuration (CI's Neo4j) stays out.
    """
    data_dir = Path(tmp_path) / "data"
    log_path = Path(tmp_path) / "server.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTIGRAPH_", "NEO4J_", *drop_env))}
    auth = ["--auth", "token", "--admin-token", admin_token] if admin_token else ["--auth", "none"]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([bin_path, "--addr", f"127.0.0.1:{port}", "--data-dir", str(data_dir), *auth],
                                stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited ({proc.returncode}): {log_path.read_text()}")
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # the server is starting; nothing to wait on but its port
        yield Server(url, data_dir, admin_token, log_path, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
