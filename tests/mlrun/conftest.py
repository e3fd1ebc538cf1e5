"""Fixtures for the MLRun compatibility tests: the real Artigraph server,
and MLRun's client pointed at it."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import artigraph_server  # noqa: E402


@pytest.fixture(scope="session")
def artigraph_bin(tmp_path_factory):
    return artigraph_server.binary(tmp_path_factory.mktemp("bin"))


@pytest.fixture
def server(artigraph_bin, tmp_path):
    """A running server under --auth none: .url, .data_dir, .log()."""
    with artigraph_server.serve(artigraph_bin, tmp_path, drop_env=("MLRUN_",)) as s:
        yield s


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
    with artigraph_server.serve(artigraph_bin, tmp_path, admin_token=ADMIN_TOKEN, drop_env=("MLRUN_",)) as s:
        yield s
