"""The patch format: `git apply` must reproduce the new bytes exactly."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codemods.diffing import patch, split_lines, unified_diff

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git_apply(directory: Path, data: bytes) -> subprocess.CompletedProcess[bytes]:
    (directory / "change.patch").write_bytes(data)
    return subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "change.patch"], cwd=directory, capture_output=True
    )


def test_split_lines_splits_on_newline_only() -> None:
    assert split_lines(b"a\r\nb\rc\nd") == [b"a\r\n", b"b\rc\n", b"d"]
    assert split_lines(b"") == []


def test_identical_inputs_give_no_diff() -> None:
    assert unified_diff("x.py", b"a\n", b"a\n") == b""


def test_missing_final_newline_is_marked() -> None:
    out = unified_diff("x.py", b"a\nb", b"a\nc")
    assert b"-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n" in out


def test_created_file_header() -> None:
    out = unified_diff("pkg/new.py", None, b"x = 1\n")
    assert out.splitlines()[:4] == [
        b"diff --git a/pkg/new.py b/pkg/new.py",
        b"new file mode 100644",
        b"--- /dev/null",
        b"+++ b/pkg/new.py",
    ]
    assert b"@@ -0,0 +1 @@" in out


LINE = st.sampled_from(
    [b"x = 1", b"y = 2", b"", b"  # comment", b"z = 'caf\xc3\xa9'", b"\tw = 3", b"a = b\rc"]
)
ENDING = st.sampled_from([b"\n", b"\r\n"])
CONTENT = st.lists(st.tuples(LINE, ENDING), max_size=12).flatmap(
    lambda lines: st.booleans().map(
        lambda drop_last: b"".join(l + e for l, e in lines)[: -len(lines[-1][1])]
        if drop_last and lines
        else b"".join(l + e for l, e in lines)
    )
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=CONTENT, after=CONTENT)
def test_git_apply_reproduces_after_exactly(tmp_path: Path, before: bytes, after: bytes) -> None:
    work = tmp_path / "w"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    target = work / "f.py"
    target.write_bytes(before)
    data = unified_diff("f.py", before, after)
    if before == after:
        assert data == b""
        return
    result = git_apply(work, data)
    assert result.returncode == 0, result.stderr.decode()
    assert target.read_bytes() == after


def test_patch_of_several_files_applies(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"one\r\ntwo\r\n")
    (tmp_path / "b.py").write_bytes(b"x\n")
    data = patch(
        [("a.py", b"one\r\ntwo\r\n", b"one\r\n2\r\n"), ("b.py", b"x\n", b"y"), ("c/new.py", None, b"n = 1\n")]
    )
    result = git_apply(tmp_path, data)
    assert result.returncode == 0, result.stderr.decode()
    assert (tmp_path / "a.py").read_bytes() == b"one\r\n2\r\n"
    assert (tmp_path / "b.py").read_bytes() == b"y"
    assert (tmp_path / "c" / "new.py").read_bytes() == b"n = 1\n"
