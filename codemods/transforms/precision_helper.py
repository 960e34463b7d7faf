"""Where the precision helper lives and which functions the codemod rewrites.

Runs once per run in the planning step (``Precision.plan``).
"""

from __future__ import annotations

import re
from typing import Mapping
from dataclasses import dataclass, field, replace
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
class Helper:
    """One helper module and the files that can import it."""

    module: str
    name: str = DEFAULT_NAME
    path: str | None = None  # relative to the root; None when it is not known yet
    within: str | None = None  # files under this folder can import it (None: every file)
    same_folder: bool = False  # a script's helper: only files in that very folder

    def serves(self, path: str) -> bool:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if self.same_folder:
            return folder == (self.within or "")
        return not self.within or path.startswith(self.within + "/")


@dataclass(frozen=True)
class Resolved:
    """What each file needs, resolved once per run."""

    helpers: tuple[Helper, ...] = ()  # empty: no usable helper; sites are reported, not rewritten
    functions: frozenset[str] = frozenset(DEFAULT_FUNCTIONS)
    # (path, qualified name) of each function in a duplicate group -> its closest twin
    # and their similarity, as the report names it: "Exchange.price_for_order at line 14, similarity 0.93"
    duplicates: Mapping[tuple[str, str], str] = field(default_factory=dict)
    reason: str = ""

    def helper_for(self, path: str) -> Helper | None:
        serving = [h for h in self.helpers if h.serves(path)]
        return max(serving, key=lambda h: len(h.within or "")) if serving else None


def helper_spec(value: str) -> tuple[str, str]:
    module, name = parse_spec(value)
    return module, (name if ":" in value else DEFAULT_NAME)


def template(name: str) -> str:
    text = resources.files("codemods.templates").joinpath("exchange_precision.py").read_text(encoding="utf-8")
    text = text.split("\n", 1)[1]  # drop the template's own skip-file line
    return text.replace(f"def {DEFAULT_NAME}(", f"def {name}(")


def defines(text: str, name: str) -> bool:
    return re.search(rf"^def {re.escape(name)}\b", text, re.MULTILINE) is not None


def _editable(text: str) -> bool:
    """Not generated and not opted out: the files codemods may read as the user's own code."""
    from codemods.engine import GENERATED, HEADER_CHARS, SKIP_FILE

    header = text[:HEADER_CHARS]
    return not GENERATED.search(header) and not SKIP_FILE.search(header)


def duplicate_targets(project: Project, names: frozenset[str]) -> tuple[dict[tuple[str, str], str], list[str]]:
    """Functions in near-duplicate groups, and the files holding them or the named functions."""
    files = [f for f in project.grep(*TRIGGERS) if _editable(f.text)]
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


def default_helper(project: Project, path: str) -> Helper:
    """``<top package>.utils.exchange_precision`` for a file in a package (``<top>.exchange_precision``
    when ``<top>/utils.py`` is a module); ``exchange_precision`` beside a script outside any package."""
    module = project.modules.get(path)
    if not module or "." not in module:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        return Helper("exchange_precision", DEFAULT_NAME, f"{folder}/exchange_precision.py".lstrip("/"), folder, True)
    top = module.split(".")[0]
    utils = project.path_of_module(f"{top}.utils")
    name = f"{top}.exchange_precision" if utils is not None and not utils.endswith("__init__.py") else f"{top}.utils.exchange_precision"
    within = project_folder(project.path_of_module(top) or path, top)
    return Helper(name, DEFAULT_NAME, locate(project, name), within)


def _creation(project: Project, helper: Helper) -> tuple[Helper, tuple[tuple[str, str], ...], str]:
    """The helper with its path, the files to create for it, and a problem (empty when none)."""
    text = project.read(helper.path) if helper.path is not None else None
    if text is not None:
        if defines(text, helper.name):
            return helper, (), ""
        return helper, (), (
            f"{helper.module} ({helper.path}) exists but does not define {helper.name}(): "
            "point [tool.codemods.precision] helper at another module"
        )
    if helper.same_folder:
        return helper, ((helper.path or "exchange_precision.py", template(helper.name)),), ""
    files, problem = new_module_files(project, helper.module)
    if files is None:
        return helper, (), problem
    *packages, (new_path, _) = files
    return replace(helper, path=new_path), (*packages, (new_path, template(helper.name))), ""


def resolve(
    project: Project, helper: str | None, functions: frozenset[str], use_duplicates: bool
) -> tuple[Resolved, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], str]:
    """The helpers to use, the files to create (with the files whose change
    each waits for), and a problem (empty when none)."""
    members, paths = duplicate_targets(project, functions)
    if not use_duplicates:
        members = {}
    base = Resolved(functions=functions, duplicates=members)
    if helper:
        module, name = helper_spec(helper)
        wanted = [Helper(module, name, locate(project, module))]
    else:
        found = [
            f for f in project.grep(f"def {DEFAULT_NAME}") if defines(f.text, DEFAULT_NAME) and f.module and _editable(f.text)
        ]
        if len(found) == 1:
            module = found[0].module or ""
            only = Helper(module, DEFAULT_NAME, found[0].path, project_folder(found[0].path, module))
            return replace(base, helpers=(only,)), (), (), ""
        # One helper per package that holds a target, created only if that package changes.
        defaults = [default_helper(project, path) for path in paths]
        wanted = list({(h.module, h.within, h.same_folder): h for h in defaults}.values())
    helpers: list[Helper] = []
    creates: list[tuple[str, str]] = []
    made_by: list[tuple[Helper, list[str]]] = []
    for wish in wanted:
        made, files, problem = _creation(project, wish)
        if problem:
            return replace(base, reason=problem), (), (), problem
        helpers.append(made)
        creates.extend(f for f in files if f not in creates)
        made_by.append((made, [path for path, _ in files]))
    resolved = replace(base, helpers=tuple(helpers))
    scopes: list[tuple[str, tuple[str, ...]]] = []
    if not helper:
        for made, created in made_by:
            users = tuple(p for p in paths if resolved.helper_for(p) == made)
            scopes.extend((path, users) for path in created)
    return resolved, tuple(creates), tuple(scopes), ""
