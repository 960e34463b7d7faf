"""`--latest` against a package index served on localhost (PyPI's JSON API shape).

The tests stay offline: the index is a real HTTP server in this process, and the
project's `index-url` points at it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from conftest import init_repo, run_cli, write_tree

RELEASES = {
    "websockets": {
        "13.1": [{"yanked": False}],
        "14.1": [{"yanked": False}],
        "14.2": [{"yanked": True}],  # yanked: never chosen
        "15.0rc1": [{"yanked": False}],  # a pre-release: only when the range asks for one
        "16.0": [],  # no files: nothing to install
    },
    "requests": {"2.31.0": [{"yanked": False}], "2.32.3": [{"yanked": False}], "3.0.0": [{"yanked": False}]},
}


class _Index(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        name = self.path.strip("/").split("/")[0]
        if name not in RELEASES or not self.path.endswith("/json"):
            self.send_error(404)
            return
        body = json.dumps({"info": {"name": name}, "releases": RELEASES[name]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def index_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _project(tmp_path: Path, requirements: str, index: str, mode: str = "bare") -> Path:
    pyproject = f'[tool.codemods.pin-requirements]\nindex-url = "{index}"\nmode = "{mode}"\n'
    return init_repo(write_tree(tmp_path / "app", {"requirements.txt": requirements, "pyproject.toml": pyproject}))


def test_newest_release_that_is_not_yanked_or_a_prerelease(tmp_path: Path, index_url: str) -> None:
    root = _project(tmp_path, "websockets\nunknown-package\n", index_url)
    result = run_cli("apply", "--only", "pin-requirements", "--latest", cwd=root)
    assert result.code == 0, result
    assert (root / "requirements.txt").read_text() == "websockets==14.1\nunknown-package\n"
    assert "websockets pinned to 14.1 (from the newest release on 127.0.0.1:" in result.err
    assert "requirements.txt:2: pin-requirements: unknown-package not pinned: --latest: not on the index" in result.err


def test_the_lines_own_range_is_honoured(tmp_path: Path, index_url: str) -> None:
    root = _project(tmp_path, "requests>=2.28,<3  # http\nwebsockets>=15.0rc1\n", index_url, mode="ranges")
    result = run_cli("apply", "--only", "pin-requirements", "--latest", cwd=root)
    assert result.code == 0, result
    assert (root / "requirements.txt").read_text() == "requests==2.32.3  # http\nwebsockets==15.0rc1\n"


def test_without_latest_the_index_is_not_asked(tmp_path: Path, index_url: str) -> None:
    root = _project(tmp_path, "websockets\n", index_url)
    result = run_cli("diff", "--only", "pin-requirements", cwd=root)
    assert result.out == b"", result
    assert "websockets not pinned: no version source (use --pin or --python)" in result.err


def test_unreachable_index_is_reported_per_line(tmp_path: Path) -> None:
    root = _project(tmp_path, "websockets\n", "http://127.0.0.1:9")  # the discard port: nothing listens
    result = run_cli("diff", "--only", "pin-requirements", "--latest", cwd=root)
    assert result.code == 0 and result.out == b"", result
    assert "websockets not pinned: --latest: cannot reach 127.0.0.1:9" in result.err
    assert "Traceback" not in result.err
