"""Where the timestamp helper lives: validate, locate, verify, create or extend it.

Runs once per run in the planning step (``Timestamp.plan``); everything here
works on the checkout as a whole, never on one file being transformed.
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider, ScopeProvider

from codemods.analysis.clock import ClockMatcher, literal_value
from codemods.analysis.clock_patches import patched_targets
from codemods.analysis.import_graph import reachable
from codemods.base import OptionError, Project, metadata_get
from codemods.imports import first_use_at_import_time, insert_import, is_docstring

DEFAULT_NAME = "get_timestamp"
_SPEC = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::([A-Za-z_]\w*))?$")


@dataclass(frozen=True)
class Resolved:
    """What each file needs, resolved once per run by ``Timestamp.plan``."""

    module: str | None  # None: no usable helper, report sites instead of rewriting
    name: str = DEFAULT_NAME
    path: str | None = None  # the helper module's path relative to the root, if it exists
    # A helper found (not configured) serves only files under its project folder:
    # a checkout may hold several projects (examples, vendored code) that cannot import it.
    within: str | None = None
    # Modules the helper module imports at import time (directly or not): they
    # cannot import the helper back without an import cycle.
    imported_by_helper: frozenset[str] = frozenset()
    # Dotted names the checkout's tests patch (see analysis.clock_patches.patched_targets).
    patched: frozenset[str] = frozenset()
    # Why there is no helper (module is None), as each left-alone site reports it.
    reason: str = 'no helper known: set [tool.codemods.timestamp] helper = "package.module:get_timestamp"'


def parse_spec(value: str) -> tuple[str, str]:
    """``"package.module:function"`` -> (module, function); OptionError when malformed."""
    match = _SPEC.match(value)
    parts = value.replace(":", ".").split(".")
    if match is None or any(keyword.iskeyword(part) for part in parts):
        raise OptionError("helper", f"helper must look like 'package.module:function', got {value!r}")
    module, name = match.group(1), match.group(2) or DEFAULT_NAME
    if module.split(".", 1)[0] in sys.stdlib_module_names:
        raise OptionError("helper", f"helper module {module!r} would shadow the standard library; pick another name")
    return module, name


def locate(project: Project, module: str) -> str | None:
    """The file of ``module``: by package structure, else by path (packages without __init__.py)."""
    exact = project.path_of_module(module)
    if exact is not None:
        return exact
    stem = module.replace(".", "/")
    candidates = [
        path
        for path in project.modules
        for suffix in (f"{stem}.py", f"{stem}/__init__.py")
        if path == suffix or path.endswith("/" + suffix)
    ]
    return min(candidates, key=len) if candidates else None


def new_module_files(project: Project, module: str) -> tuple[list[tuple[str, str]] | None, str]:
    """Files to create for ``module`` (packages included) inside the checkout, or (None, why not).

    The module goes into the existing package of the checkout that is its
    longest prefix (wherever that package lives: src/, python/...); without one,
    at the project root. A folder that exists without ``__init__.py`` is a
    namespace package and stays one; a module file where a package would go
    (``pkg/utils.py`` for ``pkg.utils.clock``) would be shadowed, so that is refused.
    """
    parts = module.split(".")
    base: str | None = None
    missing = parts[:-1]
    for k in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:k])
        existing = project.path_of_module(prefix) or locate(project, prefix)
        if existing is not None and not existing.endswith("__init__.py"):
            return None, (
                f"{prefix} is a module ({existing}), so {module} cannot be created without shadowing it: "
                f"point helper at {prefix}:<function> or at another package"
            )
        if existing is not None:
            base, missing = (existing.rsplit("/", 1)[0] if "/" in existing else ""), parts[k:-1]
            break
    if base is None:
        root = project.project_root
        if (root / "src").is_dir() and not (root / parts[0]).exists():
            root = root / "src"  # a src layout
        base = project.relative(root)
        base = "" if base == "." else base
        if base.startswith(".."):
            return None, f"the project root {root} is outside the checkout: create {module} first"
    files: list[tuple[str, str]] = []
    folder = base
    for package in missing:
        folder = f"{folder}/{package}" if folder else package
        on_disk = project.root / folder
        if (project.root / f"{folder}.py").exists():
            return None, f"{folder}.py exists, so a package {folder}/ would shadow it: choose another helper module"
        if not on_disk.is_dir():
            files.append((f"{folder}/__init__.py", ""))  # a new folder: a regular package
    files.append((f"{folder}/{parts[-1]}.py" if folder else f"{parts[-1]}.py", ""))
    return files, ""


def module_template(name: str) -> str:
    text = resources.files("codemods.templates").joinpath("timestamp.py").read_text(encoding="utf-8")
    text = text.split("\n", 1)[1]  # drop the template's own skip-file line
    return text.replace(f"def {DEFAULT_NAME}(", f"def {name}(")


def defines(text: str, name: str) -> bool:
    """Whether the module binds ``name`` at top level (a def, an assignment, an import)."""
    pattern = rf"^(?:async\s+)?def\s+{re.escape(name)}\b|^{re.escape(name)}\s*[:=]|^(?:from|import)\b[^\n]*\b{re.escape(name)}\b"
    return re.search(pattern, text, re.MULTILINE) is not None


def returns_epoch_ms(text: str, name: str) -> bool:
    """Whether module-level ``def name()`` takes no required argument and returns UTC epoch ms."""
    try:
        wrapper = MetadataWrapper(cst.parse_module(text))
    except cst.ParserSyntaxError:
        return False
    names = wrapper.resolve(QualifiedNameProvider)
    matcher = ClockMatcher(lambda node: {q.name for q in metadata_get(names, node, ())})
    for statement in wrapper.module.body:
        if (
            isinstance(statement, cst.FunctionDef)
            and statement.name.value == name
            and statement.asynchronous is None
            and not _required_params(statement)
            and _returns(statement, matcher)
        ):
            return True
    return False


def find_helpers(project: Project) -> list[tuple[str, str]]:
    """(path, module) of every module-level ``def get_timestamp()`` that returns UTC ms."""
    from codemods.engine import SKIP_FILE  # the same opt-out the engine honours

    top_level_def = re.compile(rf"^def {DEFAULT_NAME}\b", re.MULTILINE)
    found = []
    for file in project.grep(f"def {DEFAULT_NAME}"):
        if SKIP_FILE.search(file.text[:4096]) or not (file.module and top_level_def.search(file.text)):
            continue
        if returns_epoch_ms(file.text, DEFAULT_NAME):
            found.append((file.path, file.module))
    return found


def _required_params(func: cst.FunctionDef) -> bool:
    params = func.params
    return any(p.default is None for p in (*params.posonly_params, *params.params, *params.kwonly_params))


def _returns(func: cst.FunctionDef, matcher: ClockMatcher) -> bool:
    """``return <epoch ms>``, or ``now = <clock>`` then ``return int(now.timestamp() * 1000)``."""
    body = func.body.body if isinstance(func.body, cst.IndentedBlock) else ()
    statements = [s for s in body if not is_docstring(s)]
    if not statements or not all(isinstance(s, cst.SimpleStatementLine) and len(s.body) == 1 for s in statements):
        return False
    smalls = [s.body[0] for s in statements]  # type: ignore[attr-defined]
    returned = smalls[-1]
    if not isinstance(returned, cst.Return) or returned.value is None:
        return False
    if len(smalls) == 1:
        return matcher.is_epoch_ms(returned.value)
    if len(smalls) != 2:
        return False
    assign = smalls[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)):
        return False
    return _two_step(assign.targets[0].target.value, assign.value, returned.value, matcher)


def _two_step(name: str, value: cst.BaseExpression, returned: cst.BaseExpression, matcher: ClockMatcher) -> bool:
    """``name = time.time()`` + ``int(name * 1000)``, or ``name = <aware now>`` + ``int(name.timestamp() * 1000)``."""
    inner = matcher.int_of(returned)
    if not (isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Multiply)):
        return False
    if literal_value(inner.right) == 1000:
        operand = inner.left
    elif literal_value(inner.left) == 1000:
        operand = inner.right
    else:
        return False
    if isinstance(operand, cst.Name) and operand.value == name:
        return matcher.is_now_seconds(value)
    return (
        isinstance(operand, cst.Call)
        and not operand.args
        and isinstance(operand.func, cst.Attribute)
        and operand.func.attr.value == "timestamp"
        and isinstance(operand.func.value, cst.Name)
        and operand.func.value.value == name
        and matcher.is_aware_now(value)
    )


def project_folder(path: str, module: str) -> str:
    """The folder files must be under to import ``module`` (a src/ layout's parent)."""
    parts = path.split("/")
    depth = len(module.split(".")) + (1 if parts[-1] == "__init__.py" else 0)
    base = parts[:-depth]
    if base and base[-1] in ("src", "lib"):
        base = base[:-1]
    return "/".join(base)


def with_import_graph(helper: Resolved, project: Project) -> Resolved:
    """``helper`` with the project facts each file needs: import-time imports, patched names."""
    helper = replace(helper, patched=patched_targets(project))
    if helper.module is None or helper.path is None:
        return helper

    def read(module: str) -> tuple[str, bool] | None:
        path = project.path_of_module(module)
        text = project.read(path) if path else None
        return (text, path.endswith("__init__.py")) if text is not None and path else None

    return replace(helper, imported_by_helper=frozenset(reachable(helper.module, read)))


def append_helper(text: str, name: str) -> str:
    """``text`` with the helper function added at the end, without disturbing its names.

    The body uses whatever ``datetime`` binding the module already has; when the
    module binds ``datetime``/``timezone`` to something else, the function imports
    them locally instead of shadowing the module's names.
    """
    module = cst.parse_module(text)
    bound = _module_bindings(module)
    expression = "int(datetime.now(timezone.utc).timestamp() * 1000)"
    local_import = False
    add_import = False
    if bound.get("datetime") == {"datetime"}:
        expression = "int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)"
    elif bound.get("datetime") == {"datetime.datetime"} and bound.get("timezone") == {"datetime.timezone"}:
        pass
    elif "datetime" not in bound and "timezone" not in bound:
        add_import = True
    else:
        local_import = True
    lines = [
        f"def {name}() -> int:",
        '    """Current UTC time as integer milliseconds since the Unix epoch."""',
        *(["    from datetime import datetime, timezone", ""] if local_import else []),
        f"    return {expression}",
    ]
    newline = module.default_newline
    function = cst.parse_statement(newline.join(lines) + newline, config=module.config_for_parsing)
    two_blank = [cst.EmptyLine(), cst.EmptyLine()]
    body = list(module.body)
    point = _helper_position(body, name)
    if point < len(body):
        following = body[point]
        if len(following.leading_lines) < 2 and all(line.comment is None for line in following.leading_lines):
            body[point] = following.with_changes(leading_lines=two_blank)
    body.insert(point, function.with_changes(leading_lines=two_blank if point else []))
    result = module.with_changes(body=body)
    if add_import:
        result = insert_import(result, "datetime", "datetime")
        result = insert_import(result, "datetime", "timezone")
    return result.code


def _helper_position(body: list[cst.BaseStatement], name: str) -> int:
    """Before the first function, class, `if __name__ == ...` block or import-time use.

    Code at module level runs top to bottom: a helper defined at the end of
    the file would not exist yet for a main block or a module-level call above it.
    """
    limit = first_use_at_import_time(body, name)
    end = len(body) if limit is None else limit
    for index in range(end):
        statement = body[index]
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) or (
            isinstance(statement, cst.If) and "__name__" in cst.Module([]).code_for_node(statement.test)
        ):
            return index
    return end


def _module_bindings(module: cst.Module) -> dict[str, set[str]]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scope = wrapper.resolve(ScopeProvider).get(module)
    bound: dict[str, set[str]] = {}
    if scope is None:
        return bound
    for assignment in scope.assignments:
        names = {q.name for q in scope.get_qualified_names_for(assignment.name)}
        bound.setdefault(assignment.name, set()).update(names)
    return bound


def plan_creation(project: Project, helper: Resolved) -> dict[str, Any]:
    """Plan fields to create the helper module, or to append the function to it.

    On failure the dict holds only ``problem``: why the helper cannot be made.
    """
    if helper.path is None:
        files, problem = new_module_files(project, helper.module or "")
        if files is None:
            return {"problem": problem}
        *packages, (path, _) = files
        return {"creates": (*packages, (path, module_template(helper.name)))}
    text = project.read(helper.path) or ""
    if defines(text, helper.name):
        return {}
    return {"finish": ((helper.path, lambda current: append_helper(current, helper.name)),)}


def definition_line(text: str, name: str) -> int:
    match = re.search(rf"^(?:async\s+)?def\s+{re.escape(name)}\b", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 0
