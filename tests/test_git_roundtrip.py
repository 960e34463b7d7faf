"""`codemods diff > p.patch && git apply p.patch` gives byte for byte what
`codemods apply` writes, in real git repositories, whatever the bytes are."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import (
    assert_plain_patch,
    clone,
    commit_all,
    git_status,
    init_repo,
    patch_files,
    run,
    run_cli,
    snapshot,
    write_tree,
)

PYPROJECT = '[tool.codemods.timestamp]\nhelper = "pkg.clock:get_timestamp"\n'
CLOCK = "import time\n\n\ndef get_timestamp() -> int:\n    return int(time.time() * 1000)\n"
IMPORT = "from pkg.clock import get_timestamp"


def _lf(text: str) -> bytes:
    return text.encode("utf-8")


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


# name -> (bytes in the repository, bytes `apply` must write, or None: see PROPERTIES)
CASES: dict[str, tuple[bytes, bytes | None]] = {
    "lf": (
        _lf("import time\n\n\ndef now_ms():\n    return int(time.time() * 1000)\n"),
        _lf(f"{IMPORT}\n\n\ndef now_ms():\n    return get_timestamp()\n"),
    ),
    "crlf": (
        _crlf("import time\n\n\ndef now_ms():\n    return int(time.time() * 1000)\n"),
        _crlf(f"{IMPORT}\n\n\ndef now_ms():\n    return get_timestamp()\n"),
    ),
    # `import time` stays, so a new import line is added: it must use CRLF too.
    "crlf_import_added": (
        _crlf("import time\n\n\ndef now_ms():\n    time.sleep(0)\n    return int(time.time() * 1000)\n"),
        None,
    ),
    "no_trailing_newline": (
        b"import time\n\nSTARTED = int(time.time() * 1000)",
        _lf(f"{IMPORT}\n\nSTARTED = get_timestamp()"),
    ),
    "mixed_endings": (
        b"import time\r\n\ndef now_ms():\r\n    return int(time.time() * 1000)\r\n\nX = 1\n",
        _lf(f"{IMPORT}\r\n\ndef now_ms():\r\n    return get_timestamp()\r\n\nX = 1\n"),
    ),
    "latin1_cookie": (
        '# -*- coding: latin-1 -*-\nimport time\n\nNAME = "caf\u00e9 cr\u00e8me"\n'
        "STARTED = int(time.time() * 1000)  # \u00b5s? no: ms\n".encode("latin-1"),
        f'# -*- coding: latin-1 -*-\n{IMPORT}\n\nNAME = "caf\u00e9 cr\u00e8me"\n'
        "STARTED = get_timestamp()  # \u00b5s? no: ms\n".encode("latin-1"),
    ),
    "utf8_bom": (
        b"\xef\xbb\xbf" + _lf('import time\n\nNAME = "\u00fcber"\nSTARTED = int(time.time() * 1000)\n'),
        b"\xef\xbb\xbf" + _lf(f'{IMPORT}\n\nNAME = "\u00fcber"\nSTARTED = get_timestamp()\n'),
    ),
}


@dataclass
class Roundtrip:
    repo: Path  # after `codemods apply`
    pristine: Path  # a clone of the committed state, untouched
    patched: Path  # a clone of the committed state after `git apply p.patch`
    patch: bytes
    patch_file: Path
    diff_code: int
    apply_code: int
    diff_result: object
    apply_result: object
    git_apply_error: str  # empty when `git apply p.patch` succeeded in `patched`


def _roundtrip(base: Path, files: dict[str, bytes | str], cwd: str = ".", args: tuple[str, ...] = ()) -> Roundtrip:
    repo = init_repo(base / "repo")
    write_tree(repo, files)
    commit_all(repo)
    pristine = clone(repo, base / "pristine")
    patched = clone(repo, base / "patched")
    diff = run_cli("diff", *args, cwd=repo / cwd)
    patch_file = base / "p.patch"
    patch_file.write_bytes(diff.out)
    proc = git_status(patched, "apply", str(patch_file))
    error = "" if proc.returncode == 0 else proc.stderr.decode("utf-8", "replace") or f"exit {proc.returncode}"
    applied = run_cli("apply", *args, cwd=repo / cwd)
    return Roundtrip(repo, pristine, patched, diff.out, patch_file, diff.code, applied.code, diff, applied, error)


@pytest.fixture(scope="module")
def encodings(tmp_path_factory: pytest.TempPathFactory) -> Roundtrip:
    files: dict[str, bytes | str] = {
        "pyproject.toml": PYPROJECT,
        "pkg/__init__.py": "",
        "pkg/clock.py": CLOCK,
        **{f"pkg/{name}.py": before for name, (before, _) in CASES.items()},
    }
    return _roundtrip(tmp_path_factory.mktemp("encodings"), files)


def test_encodings_run_succeeds(encodings: Roundtrip) -> None:
    assert encodings.diff_code == 0, encodings.diff_result
    assert encodings.apply_code == 0, encodings.apply_result
    assert_plain_patch(encodings.patch)
    assert patch_files(encodings.patch) == sorted(f"pkg/{name}.py" for name in CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_git_apply_check_accepts_each_file(encodings: Roundtrip, name: str) -> None:
    proc = git_status(encodings.pristine, "apply", "--check", f"--include=pkg/{name}.py", str(encodings.patch_file))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    # --include really selected a diff: the patch has a section for this file.
    assert f"diff --git a/pkg/{name}.py b/pkg/{name}.py\n".encode() in encodings.patch


def test_git_apply_check_accepts_whole_patch(encodings: Roundtrip) -> None:
    proc = git_status(encodings.pristine, "apply", "--check", str(encodings.patch_file))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")


@pytest.mark.parametrize("name", list(CASES))
def test_apply_writes_expected_bytes(encodings: Roundtrip, name: str) -> None:
    after = (encodings.repo / f"pkg/{name}.py").read_bytes()
    expected = CASES[name][1]
    if expected is not None:
        assert after == expected
        return
    # crlf_import_added: the exact placement of the import is the codemod's
    # business; the line endings are not.
    assert after.count(b"\n") == after.count(b"\r\n"), after
    assert IMPORT.encode() + b"\r\n" in after, after
    assert b"    time.sleep(0)\r\n    return get_timestamp()\r\n" in after, after
    assert after.startswith(b"import time\r\n"), after


@pytest.mark.parametrize("name", list(CASES))
def test_git_apply_matches_codemods_apply(encodings: Roundtrip, name: str) -> None:
    path = f"pkg/{name}.py"
    assert (encodings.patched / path).read_bytes() == (encodings.repo / path).read_bytes()
    assert (encodings.pristine / path).read_bytes() == CASES[name][0]


def test_whole_tree_identical_after_both(encodings: Roundtrip) -> None:
    assert not encodings.git_apply_error, encodings.git_apply_error
    assert snapshot(encodings.patched) == snapshot(encodings.repo)


# -- a created helper module --------------------------------------------------------------

@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory) -> Roundtrip:
    files: dict[str, bytes | str] = {
        "pyproject.toml": PYPROJECT,  # pkg/clock.py does not exist
        "pkg/__init__.py": "",
        "pkg/orders.py": "import time\n\n\ndef order_id():\n    return 'o-' + str(int(time.time() * 1000))\n",
    }
    return _roundtrip(tmp_path_factory.mktemp("created"), files)


def test_created_helper_patch_has_dev_null(created: Roundtrip) -> None:
    assert created.diff_code == 0, created.diff_result
    assert created.apply_code == 0, created.apply_result
    assert b"--- /dev/null\n+++ b/pkg/clock.py\n" in created.patch, created.diff_result
    assert sorted(patch_files(created.patch)) == ["pkg/clock.py", "pkg/orders.py"]
    assert not (created.pristine / "pkg/clock.py").exists()


def test_created_helper_git_apply_check(created: Roundtrip) -> None:
    proc = git_status(created.pristine, "apply", "--check", str(created.patch_file))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")


def test_created_helper_same_bytes_and_works(created: Roundtrip) -> None:
    assert (created.repo / "pkg/clock.py").is_file(), "apply did not create the helper module"
    assert not created.git_apply_error, created.git_apply_error
    assert (created.patched / "pkg/clock.py").is_file(), "git apply did not create the helper module"
    assert snapshot(created.patched) == snapshot(created.repo)
    assert b"from pkg.clock import get_timestamp" in (created.repo / "pkg/orders.py").read_bytes()
    # The created helper and the rewritten caller import and run.
    probe = run(
        [sys.executable, "-c", "import pkg.orders as o; v = o.order_id(); assert v.startswith('o-') and int(v[2:]) > 1_600_000_000_000, v; print(v)"],
        cwd=created.repo,
    )
    assert probe.code == 0, probe


def test_created_helper_not_recreated(created: Roundtrip) -> None:
    again = run_cli("diff", "--check", cwd=created.repo)
    assert again.code == 0, again
    assert again.out == b""


# -- run from a subdirectory: paths are relative to the repository root --------------------

SUB_FILES: dict[str, bytes | str] = {
    "pyproject.toml": '[tool.codemods.timestamp]\nhelper = "svc.clock:get_timestamp"\n',
    "svc/__init__.py": "",
    "svc/clock.py": CLOCK,
    "svc/api/__init__.py": "",
    "svc/api/handlers.py": "import time\n\n\ndef handle():\n    return {'ts': int(time.time() * 1000)}\n",
}


def test_subdirectory_paths_relative_to_repo_root(tmp_path: Path) -> None:
    trip = _roundtrip(tmp_path, SUB_FILES, cwd="svc/api")
    assert trip.diff_code == 0, trip.diff_result
    assert patch_files(trip.patch) == ["svc/api/handlers.py"], trip.diff_result
    assert b"--- a/svc/api/handlers.py\n+++ b/svc/api/handlers.py\n" in trip.patch
    proc = git_status(trip.pristine, "apply", "--check", str(trip.patch_file))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert trip.apply_code == 0, trip.apply_result
    assert not trip.git_apply_error, trip.git_apply_error
    assert snapshot(trip.patched) == snapshot(trip.repo)
    assert b"{'ts': get_timestamp()}" in (trip.repo / "svc/api/handlers.py").read_bytes()
    # A file named relative to another subdirectory gives the same root-relative patch.
    named = run_cli("diff", "api/handlers.py", cwd=trip.pristine / "svc")
    assert named.code == 0, named
    assert named.out == trip.patch
