"""Every Example and Unchanged declared by every codemod: exact output, output
parses, a second pass changes nothing, Unchanged inputs come back byte-identical."""

from __future__ import annotations

import ast

import pytest

from codemods import api, registry
from codemods.base import Example, Unchanged
from codemods.models import Status

CASES = [
    pytest.param(cls, example, id=f"{name}-{index}")
    for name, cls in registry.all_codemods().items()
    for index, example in enumerate(cls.EXAMPLES, 1)
]


def _run(cls: type, source: str, path: str, options: dict) -> str:
    result = api.run_source(source, path, codemods=[cls.NAME], config={cls.NAME: options})
    assert result.status is not Status.ERROR, result.error
    return result.after.decode("utf-8") if result.after is not None else source


@pytest.mark.parametrize("cls, example", CASES)
def test_example(cls: type, example: Example | Unchanged) -> None:
    if isinstance(example, Unchanged):
        assert _run(cls, example.source, example.path, example.options) == example.source
        return
    after = _run(cls, example.before, example.path, example.options)
    assert after == example.after
    if example.path.endswith(".py"):
        ast.parse(after)
    assert _run(cls, after, example.path, example.options) == after, "second pass changed the output"


@pytest.mark.parametrize("name, cls", registry.all_codemods().items())
def test_codemod_is_documented(name: str, cls: type) -> None:
    doc = cls.__doc__ or ""
    for section in ("## What it does", "## Why", "## Safety"):
        assert section in doc, f"{name} lacks a '{section}' docstring section"
    assert cls.SUMMARY and cls.EXAMPLES
    assert any(isinstance(e, Example) for e in cls.EXAMPLES)
    assert any(isinstance(e, Unchanged) for e in cls.EXAMPLES)


@pytest.mark.parametrize("cls, example", [c for c in CASES if isinstance(c.values[1], Example)])
def test_prefilter_lets_every_example_through(cls: type, example: Example) -> None:
    # The text prefilter decides which files are parsed at all: a miss would hide
    # the rewrite silently. Every documented input must get past it.
    result = api.run_source(example.before, example.path, codemods=[cls.NAME], config={cls.NAME: example.options})
    assert result.status is not Status.FILTERED
