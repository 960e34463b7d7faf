"""Where the precision helper lives and which functions the codemod rewrites.

Runs once per run in the planning step (``Precision.plan``).
"""

from __future__ import annotations

import re
from typing import Mapping
from dataclasses import dataclass, field
from importlib import resources

from codemods.analysis.duplicates import find_duplicates
from codemods.base import Project
from codemods.transforms.timestamp_helper import locate, new_module_files, parse_spec, project_folder

DEFAULT_NAME = "adjust_to_step_size"
DEFAULT_FUNCTIONS = ("_round_quantity", "_round_price")
# Text a file must contain for the codemod to parse it.
TRIGGERS = ("floor", "ceil", "round", "quantize", "to_integral", "log10", "%", "//")
# Near-duplicates among rounding methods are short: a lookup and three lines of arithmetic.
DUPLICATE_MIN_TOKENS = 20
# Only functions that round something can hold a segment: the rest of a large
# checkout's duplicates are not compared.
ROUNDING_BODY = re.compile(
    r"\b(?:floor|ceil|round|trunc|int)\s*\([^()\n]*(?:\([^()\n]*\)[^()\n]*)*/"  # a division inside a rounding call
    r"|\bquantize\s*\(|\bto_integral|\blog10\s*\("
    r"|[\w)\]]\s*//\s*[\w(]|[\w)\]]\s*%\s*[\w(]"  # floor division, modulo (not '%s' in a string)
)
# A rounding method is a lookup and a few lines of arithmetic; bigger functions
# are not compared (pairwise comparison is what costs on a large checkout).
DUPLICATE_MAX_TOKENS = 400


@dataclass(frozen=True)
class Resolved:
    """What each file needs, resolved once per run."""

    module: str | None  # None: no usable helper; sites are reported, not rewritten
    name: str = DEFAULT_NAME
    path: str | None = None
    within: str | None = None  # files outside this folder cannot import the helper
    functions: frozenset[str] = frozenset(DEFAULT_FUNCTIONS)
    # (path, qualified name) of each function in a duplicate group -> its closest twin
    # and their similarity, as the report names it: "Exchange.price_for_order:14, 0.93"
    duplicates: Mapping[tuple[str, str], str] = field(default_factory=dict)
    reason: str = ""


def helper_spec(value: str) -> tuple[str, str]:
    module, name = parse_spec(value)
    return module, (name if ":" in value else DEFAULT_NAME)


def template(name: str) -> str:
    text = resources.files("codemods.templates").joinpath("exchange_precision.py").read_text(encoding="utf-8")
    text = text.split("\n", 1)[1]  # drop the template's own skip-file line
    return text.replace(f"def {DEFAULT_NAME}(", f"def {name}(")


def defines(text: str, name: str) -> bool:
    return re.search(rf"^def {re.escape(name)}\b", text, re.MULTILINE) is not None


def duplicate_targets(project: Project, names: frozenset[str]) -> tuple[dict[tuple[str, str], str], list[str]]:
    """Functions in near-duplicate groups, and the files holding them or the named functions."""
    from codemods.engine import GENERATED, HEADER_CHARS, SKIP_FILE

    files = [
        f for f in project.grep(*TRIGGERS)
        if not GENERATED.search(f.text[:HEADER_CHARS]) and not SKIP_FILE.search(f.text[:HEADER_CHARS])
    ]
    sources = [(f.path, f.text) for f in files if ROUNDING_BODY.search(f.text)]
    pairs = find_duplicates(
        sources, min_tokens=DUPLICATE_MIN_TOKENS, max_tokens=DUPLICATE_MAX_TOKENS, body_pattern=ROUNDING_BODY
    )
    members: dict[tuple[str, str], str] = {}
    for pair in pairs:  # best first: each function keeps its closest twin
        for ref, twin in ((pair.first, pair.second), (pair.second, pair.first)):
            where = twin.name if twin.path == ref.path else f"{twin.path}:{twin.name}"
            members.setdefault((ref.path, ref.name), f"{where} at line {twin.start}, similarity {pair.score:.2f}")
    named = re.compile(r"\bdef\s+(%s)\b" % "|".join(map(re.escape, sorted(names)))) if names else None
    paths = sorted({p for p, _ in members} | {f.path for f in files if named and named.search(f.text)})
    return members, paths


def default_module(project: Project, path: str) -> tuple[str | None, str]:
    """``<top package>.utils.exchange_precision`` for a file in a package; beside a lone script."""
    module = project.modules.get(path)
    if not module or "." not in module:
        return None, ""
    top = module.split(".")[0]
    utils = project.path_of_module(f"{top}.utils")
    if utils is not None and not utils.endswith("__init__.py"):
        return f"{top}.exchange_precision", ""
    return f"{top}.utils.exchange_precision", ""


def resolve(project: Project, helper: str | None, functions: frozenset[str], use_duplicates: bool) -> tuple[Resolved, tuple[tuple[str, str], ...], str]:
    """The helper to use, the files to create for it, and a problem (empty when none)."""
    members, paths = duplicate_targets(project, functions)
    if not use_duplicates:
        members = {}
    base = Resolved(module=None, functions=functions, duplicates=members)
    if helper:
        module, name = helper_spec(helper)
        within = None
    else:
        found = [f for f in project.grep(f"def {DEFAULT_NAME}") if defines(f.text, DEFAULT_NAME) and f.module]
        if len(found) == 1:
            module, name = found[0].module, DEFAULT_NAME  # type: ignore[assignment]
            return (
                Resolved(module, name, found[0].path, project_folder(found[0].path, module), functions, members),
                (),
                "",
            )
        if not paths:
            return base, (), ""
        first = paths[0]
        module, _ = default_module(project, first)
        name = DEFAULT_NAME
        if module is None:
            # A script outside any package: the helper goes beside it.
            folder = first.rsplit("/", 1)[0] if "/" in first else ""
            path = f"{folder}/exchange_precision.py" if folder else "exchange_precision.py"
            resolved = Resolved("exchange_precision", name, path, folder, functions, members)
            if (project.root / path).exists():
                return resolved, (), ""
            return resolved, ((path, template(name)),), ""
        within = project_folder(project.path_of_module(module.split(".")[0]) or first, module.split(".")[0])
    path = locate(project, module)
    resolved = Resolved(module, name, path, within, functions, members)
    if path is not None:
        text = project.read(path) or ""
        if defines(text, name):
            return resolved, (), ""
        return base, (), f"{module} ({path}) exists but does not define {name}(): point [tool.codemods.precision] helper at another module"
    files, problem = new_module_files(project, module)
    if files is None:
        return base, (), problem
    *packages, (new_path, _) = files
    return Resolved(module, name, new_path, within, functions, members), (*packages, (new_path, template(name))), ""
