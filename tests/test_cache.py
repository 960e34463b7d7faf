"""`.codemods_cache/`, `--shard K/N` and `--timings`, through the real console script.

The cache must never change an answer: a warm run gives the same patch and
summary as a cold one, and anything that could change a result (the file's
bytes, the configuration, the codemods' code) makes it recompute.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from conftest import git, init_repo, make_app, run_cli, write_tree

from codemods import cache
from codemods.api import in_shard


def _document(root: Path, *args: str) -> dict:
    result = run_cli("diff", "--json", *args, cwd=root)
    assert result.code == 0, result
    return json.loads(result.out)


def _app(tmp_path: Path) -> Path:
    root = init_repo(make_app(tmp_path / "app", {f"app/m{i}.py": f"import time\nx{i} = int(time.time() * 1000)\n" for i in range(3)}))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "app")
    return root


def _stores(root: Path) -> list[Path]:
    return sorted((root / cache.DIRECTORY).glob("*.pickle"))


def test_warm_run_parses_nothing_and_gives_the_same_patch(tmp_path: Path) -> None:
    root = _app(tmp_path)
    cold = run_cli("diff", cwd=root)
    warm = run_cli("diff", cwd=root)
    assert cold.code == warm.code == 0, (cold, warm)
    assert cold.out == warm.out and b"get_timestamp()" in cold.out
    assert "from the cache" not in cold.err and " 0 parsed" in warm.err, warm
    assert "from the cache" in warm.err
    # The cache keeps itself out of git, and `diff` wrote nothing else.
    assert git(root, "status", "--porcelain") == ""
    assert (root / cache.DIRECTORY / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_changed_file_is_recomputed_and_the_others_reused(tmp_path: Path) -> None:
    root = _app(tmp_path)
    _document(root)
    (root / "app/m1.py").write_text("import time\nx1 = int(time.time() * 1000) + 5\n")
    document = _document(root)
    assert document["summary"]["files_parsed"] == 1, document["summary"]
    assert document["summary"]["files_cached"] >= 4
    changed = {f["path"]: f["diff"] for f in document["files"] if f["diff"]}
    assert "+x1 = get_timestamp() + 5" in changed["app/m1.py"]


def test_configuration_and_selection_each_have_their_own_results(tmp_path: Path) -> None:
    root = _app(tmp_path)
    _document(root)
    # Another helper name: nothing from the first run may be reused.
    pyproject = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(pyproject.replace("app.clock:get_timestamp", "app.clock:now_ms"))
    (root / "app/clock.py").write_text((root / "app/clock.py").read_text().replace("def get_timestamp", "def now_ms"))
    document = _document(root)
    assert document["summary"]["files_cached"] == 0
    assert any("now_ms()" in f["diff"] for f in document["files"])
    selected = _document(root, "--only", "retry")
    assert selected["summary"]["files_cached"] == 0
    assert len(_stores(root)) == 3


def test_no_cache_recomputes_and_writes_nothing(tmp_path: Path) -> None:
    root = _app(tmp_path)
    first = _document(root, "--no-cache")
    second = _document(root, "--no-cache")
    assert not (root / cache.DIRECTORY).exists()
    assert second["summary"]["files_cached"] == 0
    assert second["summary"]["files_parsed"] == first["summary"]["files_parsed"] > 0


def test_a_damaged_store_counts_as_empty(tmp_path: Path) -> None:
    root = _app(tmp_path)
    expected = run_cli("diff", cwd=root).out
    for store in _stores(root):
        store.write_bytes(b"not a pickle")
    again = run_cli("diff", cwd=root)
    assert again.code == 0 and again.out == expected, again
    assert "from the cache" not in again.err
    assert isinstance(pickle.loads(_stores(root)[0].read_bytes()), dict)  # rewritten


def test_a_cache_that_cannot_be_written_never_fails_the_run(tmp_path: Path) -> None:
    root = _app(tmp_path)
    (root / cache.DIRECTORY).write_text("a file where the folder should be\n")  # mkdir fails, as read-only would
    result = run_cli("diff", cwd=root)
    assert result.code == 0 and b"get_timestamp()" in result.out, result
    assert "Traceback" not in result.err
    assert (root / cache.DIRECTORY).read_text() == "a file where the folder should be\n"


def test_apply_then_diff_sees_the_new_bytes(tmp_path: Path) -> None:
    root = _app(tmp_path)
    assert run_cli("diff", cwd=root).out  # warm the cache with the old bytes
    assert run_cli("apply", cwd=root).code == 0
    after = run_cli("diff", "--check", cwd=root)
    assert after.code == 0 and after.out == b"", after


def test_edited_codemod_code_invalidates_results(tmp_path: Path) -> None:
    # The fingerprint covers the codemods' modules by size and modification time.
    before = cache.code_fingerprint(["codemods.transforms.timestamp"])
    plugin = write_tree(tmp_path, {"rule.py": "X = 1\n"}) / "rule.py"
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("cache_test_rule", plugin)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["cache_test_rule"] = module
    try:
        first = cache.code_fingerprint(["cache_test_rule"])
        plugin.write_text("X = 22\n")
        assert cache.code_fingerprint(["cache_test_rule"]) != first
    finally:
        del sys.modules["cache_test_rule"]
    assert before == cache.code_fingerprint(["codemods.transforms.timestamp"])


def test_run_key_refuses_values_without_a_stable_form() -> None:
    assert cache.run_key("f", {"a": frozenset({"x", "y"})}) == cache.run_key("f", {"a": frozenset({"y", "x"})})
    assert cache.run_key("f", {"a": object()}) is None
    assert cache.run_key("f", {"a": 1}) != cache.run_key("g", {"a": 1})


# -- shards ---------------------------------------------------------------------

def test_shards_partition_the_files_the_same_way_everywhere() -> None:
    paths = [f"pkg/sub{i % 7}/module_{i}.py" for i in range(400)]
    for count in (1, 2, 3, 5):
        owners = [[k for k in range(1, count + 1) if in_shard(p, k, count)] for p in paths]
        assert all(len(o) == 1 for o in owners)  # each file in exactly one shard
        sizes = [sum(o == [k] for o in owners) for k in range(1, count + 1)]
        assert min(sizes) > len(paths) / count * 0.6  # and none is starved
    assert [in_shard(p, 1, 3) for p in paths] == [in_shard(p, 1, 3) for p in list(paths)]


def test_shard_runs_add_up_to_the_whole_run(tmp_path: Path) -> None:
    files = {f"app/m{i}.py": f"import time\nx{i} = int(time.time() * 1000)\n" for i in range(12)}
    root = init_repo(make_app(tmp_path / "app", files))
    whole = _document(root, "--no-cache")
    changed = lambda doc: {f["path"] for f in doc["files"] if f["status"] == "changed"}  # noqa: E731
    parts = [_document(root, "--no-cache", "--shard", f"{k}/3") for k in (1, 2, 3)]
    assert set().union(*(changed(p) for p in parts)) == changed(whole)
    assert sum(len(changed(p)) for p in parts) == len(changed(whole))


@pytest.mark.parametrize("value", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_bad_shard_is_one_line(tmp_path: Path, value: str) -> None:
    result = run_cli("diff", "--shard", value, ".", cwd=tmp_path)
    assert result.code == 2, result
    assert "--shard" in result.err and "Traceback" not in result.err


# -- timings --------------------------------------------------------------------

def test_timings_name_every_phase(tmp_path: Path) -> None:
    root = _app(tmp_path)
    result = run_cli("diff", "--no-cache", "--timings", cwd=root)
    assert result.code == 0, result
    wall, per_file = result.err_lines[-2:]
    for phase in ("discovery", "plan", "files", "finish", "diff"):
        assert f"{phase} " in wall, wall
    for phase in ("read", "prefilter", "parse", "transform", "verify"):
        assert f"{phase} " in per_file, per_file
    timings = _document(root, "--no-cache")["summary"]["timings"]
    assert timings["parse"] > 0 and timings["files"] > 0
