"""Fixtures for the example tests: the real Artigraph server."""

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
    with artigraph_server.serve(artigraph_bin, tmp_path) as s:
        yield s
