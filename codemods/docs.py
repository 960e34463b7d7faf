"""Documentation of a codemod from its docstring and EXAMPLES (for `codemods explain`)."""

from __future__ import annotations

import inspect
import re

from codemods.base import Example, Unchanged


def explain(cls: type, examples: int | None = 3) -> str:
    """The docstring's sections and the first ``examples`` examples (all when None)."""
    lines = [f"{cls.NAME}: {cls.SUMMARY}", f"default: {'on' if cls.DEFAULT else 'off'}", ""]
    lines.append(inspect.cleandoc(cls.__doc__ or "").replace("## ", ""))
    shown = cls.EXAMPLES if examples is None else cls.EXAMPLES[:examples]
    for number, example in enumerate(shown, 1):
        lines.append("")
        if isinstance(example, Example):
            lines.append(f"Example {number} ({example.path}), before:")
            lines.extend("    " + line for line in example.before.splitlines())
            lines.append("after:")
            lines.extend("    " + line for line in example.after.splitlines())
        elif isinstance(example, Unchanged):
            lines.append(f"Example {number}, left unchanged:")
            lines.extend("    " + line for line in example.source.splitlines())
    hidden = len(cls.EXAMPLES) - len(shown)
    if hidden:
        lines.extend(["", f"... {hidden} more example{'s' if hidden != 1 else ''}: codemods explain {cls.NAME} --all"])
    return "\n".join(lines) + "\n"


def sections(cls: type) -> dict[str, str]:
    """The docstring's ``## Heading`` sections (What it does, Why, Safety), as markdown text."""
    found: dict[str, str] = {}
    parts = re.split(r"^## +(.+)$", inspect.cleandoc(cls.__doc__ or ""), flags=re.MULTILINE)
    for heading, body in zip(parts[1::2], parts[2::2]):
        paragraphs = re.split(r"\n\s*\n", body.strip())
        found[heading.strip()] = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
    return found
