"""Fixtures for the OpenLineage ingestion tests: the real Artigraph server
under --auth token, and an EDITOR token made with its admin token."""

import secrets
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
    """A running server under --auth token: .url, .admin_token, .graphql(), .log()."""
    with artigraph_server.serve(artigraph_bin, tmp_path, admin_token=secrets.token_urlsafe(32),
                                drop_env=("OPENLINEAGE_",)) as s:
        yield s


@pytest.fixture
def editor_token(server):
    """An EDITOR token for the project "fraud", made with the admin token."""
    data = server.graphql(
        'mutation { createToken(input: {name: "openlineage", role: EDITOR, projects: ["fraud"]}) { token } }')
    return data["createToken"]["token"]
