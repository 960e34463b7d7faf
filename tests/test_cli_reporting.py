"""How a run is reported: JSON fidelity, write failures, skipped-file listing, paths outside git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from codemods import api
from codemods.models import Options, Status
from codemods.render import json_document
from codemods.transforms.timestamp import TimestampOptions
from conftest import run_cli, write_tree

HELPER = "import time\n\ndef get_timestamp():\n    return int(time.time() * 1000)\n"


def test_json_diff_of_a_latin1_file_is_lossless(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nimport time\nlabel = 'café'\nts = int(time.time() * 1000)\n".encode("latin-1")
    write_tree(tmp_path, {"clock.py": HELPER, "legacy.py": source})
    result = run_cli("diff", "--json", ".", cwd=tmp_path)
    document = json.loads(result.out)
    entry = next(f for f in document["files"] if f["path"] == "legacy.py")
    patch = entry["diff"].encode("utf-8", "surrogateescape")
    assert "café".encode("latin-1") in patch
    (tmp_path / "p.patch").write_bytes(patch)
    applied = subprocess.run(["git", "apply", "p.patch"], cwd=tmp_path, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert (tmp_path / "legacy.py").read_bytes() == source.replace(b"int(time.time() * 1000)", b"get_timestamp()").replace(
        b"import time\n", b"from clock import get_timestamp\n"
    )


def test_a_file_that_cannot_be_written_is_a_failure_everywhere(tmp_path: Path) -> None:
    write_tree(tmp_path, {"clock.py": HELPER, "a.py": "import time\nts = int(time.time() * 1000)\n"})
    options = Options(root=tmp_path, project_root=tmp_path, jobs=1)
    outcome = api.run_paths([tmp_path], options)
    (tmp_path / "a.py").unlink()
    (tmp_path / "a.py").mkdir()  # os.replace onto a directory fails, even for root
    outcome.mark_failed(api.write(outcome.modified, tmp_path))
    failed = next(r for r in outcome.results if r.path == "a.py")
    assert failed.status is Status.ERROR and "cannot write" in (failed.error or "")
    summary = outcome.summary()
    assert summary.errors == 1 and summary.changed == 0
    document = json.loads(json_document("apply", str(tmp_path), summary, outcome.results, {}, 3))
    assert document["summary"]["files_failed"] == 1
    assert next(f for f in document["files"] if f["path"] == "a.py")["status"] == "error"


def test_many_skipped_files_are_counted_not_all_listed(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"gen/m{i:02d}.py": "# @generated\nimport time\n" for i in range(15)})
    result = run_cli("diff", ".", cwd=tmp_path)
    assert result.code == 0
    listed = [line for line in result.err.splitlines() if line.startswith("  gen/")]
    assert len(listed) == 9
    assert "... and 6 more: generated file" in result.err


def test_paths_outside_git_and_the_current_directory_still_apply(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_tree(project, {"clock.py": HELPER, "pkg/a.py": "import time\nts = int(time.time() * 1000)\n"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("diff", str(project), cwd=elsewhere)
    assert b"\n--- a/pkg/a.py\n" in result.out and b"../" not in result.out
    (project / "p.patch").write_bytes(result.out)
    applied = subprocess.run(["git", "apply", "p.patch"], cwd=project, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert b"get_timestamp()" in (project / "pkg/a.py").read_bytes()


def test_created_helper_is_not_counted_as_a_rewritten_site(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "import time\nts = int(time.time() * 1000)\n"})
    config = {"timestamp": TimestampOptions(helper="pkg.clock:get_timestamp")}
    outcome = api.run_paths([tmp_path], Options(root=tmp_path, project_root=tmp_path, jobs=1, codemod_config=config))
    summary = outcome.summary()
    assert summary.changes == {"timestamp": 1}
    assert summary.created == 1 and [r.path for r in outcome.results if r.status is Status.CREATED] == ["pkg/clock.py"]
