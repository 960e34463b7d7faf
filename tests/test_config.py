"""[tool.codemods] loading: valid tables become typed options; mistakes are one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods import config
from codemods.transforms.timestamp import TimestampOptions


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_configuration_is_typed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.codemods]\nexclude = ["build/**"]\nskip = []\n'
        'include-generated = true\n\n[tool.codemods.timestamp]\nhelper = "app.clock:now_ms"\n',
    )
    loaded = config.load(path)
    assert loaded.exclude == ("build/**",)
    assert loaded.include_generated is True
    assert loaded.codemods["timestamp"] == TimestampOptions(helper="app.clock:now_ms")


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('[tool.codemods]\nexclued = ["x"]\n', 2, ["unknown key 'exclued'", "allowed"]),
        ('[tool.codemods.timestamp]\nhelpr = "a:b"\n', 2, ["unknown key 'helpr'", "helper"]),
        ('[tool.codemods]\nonly = ["nope"]\n', 2, ["unknown codemod 'nope'"]),
        ('[tool.codemods]\nexclude = "build"\n', 2, ["must be a list of strings"]),
        ('[tool.codemods.timestamp]\nhelper = 3\n', 2, ["helper must be a string"]),
        ('[tool.codemods.timestamp]\nhelper = "time:time"\n', 2, ["shadow the standard library"]),
        ('[tool.codemods.timestamp]\nhelper = ":f"\n', 2, ["package.module:function"]),
        ("[tool.codemods\nexclude = []\n", 1, ["invalid TOML"]),
    ],
)
def test_mistakes_are_one_line_with_file_and_line(tmp_path: Path, text: str, line: int, words: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}:"), message
    for word in words:
        assert word in message


def test_find_nearest_table_and_stop_at_repository_root(tmp_path: Path) -> None:
    outer = write(tmp_path, "[tool.codemods]\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "pkg").mkdir()
    (repo / "pyproject.toml").write_text('[project]\nname = "r"\n', encoding="utf-8")
    # The repository's pyproject has no table and the search must not leave the repository.
    assert config.find(repo / "pkg") is None
    inner = repo / "pkg" / "pyproject.toml"
    inner.write_text("[tool.codemods.timestamp]\n", encoding="utf-8")
    assert config.find(repo / "pkg") == inner
    assert config.find(tmp_path) == outer
