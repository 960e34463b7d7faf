"""The ``timestamp`` codemod: hand-written UTC epoch milliseconds -> the project's helper."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Sequence

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from codemods.analysis.clock import ClockMatcher, is_provably_int
from codemods.analysis.clock_patches import find_clock_patches
from codemods.analysis.import_graph import reachable
from codemods.base import Example, Plan, Project, ProjectFile, PythonCodemod, Unchanged, metadata_get
from codemods.imports import is_docstring, orphaned_imports, remove_top_level_imports
from codemods.models import Finding, Kind

DEFAULT_NAME = "get_timestamp"
HELPER_TEMPLATE = '''

def {name}() -> int:
    """Current UTC time as integer milliseconds since the Unix epoch."""
    return int(datetime.now(timezone.utc).timestamp() * 1000)
'''
MODULE_TEMPLATE = '''"""Time helpers shared across the project (created by `codemods timestamp`)."""

from datetime import datetime, timezone
''' + HELPER_TEMPLATE


@dataclass(frozen=True)
class TimestampOptions:
    """``[tool.codemods.timestamp]``."""

    helper: str | None = None  # "package.module:function"; found in the checkout when unset


@dataclass(frozen=True)
class Resolved:
    """What each file needs, resolved once per run by ``Timestamp.plan``."""

    module: str | None  # None: no helper known, report sites instead of rewriting
    name: str = DEFAULT_NAME
    path: str | None = None  # the helper module's path relative to the root, if known
    # A helper found (not configured) serves only files under its project folder:
    # a checkout may hold several projects (examples, vendored code) that cannot import it.
    within: str | None = None
    # Modules the helper module imports at import time (directly or not): they
    # cannot import the helper back without an import cycle.
    imported_by_helper: frozenset[str] = frozenset()


class Timestamp(PythonCodemod):
    """
    ## What it does
    Replaces hand-written "now in UTC epoch milliseconds" expressions, such as
    `int(time.time() * 1000)`, `int(1000 * time.time())`, `time.time_ns() // 1_000_000`
    and `int(datetime.now(timezone.utc).timestamp() * 1000)`, with a call of the
    project's helper (`get_timestamp()`), importing it and dropping `time`/`datetime`
    imports that become unused.

    ## Why
    One definition of "now in ms" instead of many copies: no float/int, seconds/ms
    or naive/aware mix-ups, and one place to change the clock in tests.

    ## Safety
    Rewrites only expressions equal in value to the helper, resolving `time` and
    `datetime` through libcst's qualified names (so a parameter named `time` is left
    alone). Leaves float milliseconds, whole seconds, other multipliers, monotonic
    clocks, `datetime.now()` without a time zone, conversions of other datetimes,
    and offsets that are not provably ints. `datetime.utcnow().timestamp()` is
    reported as a likely bug (a naive datetime read as local time), never rewritten.
    The helper's own body is never rewritten. When the helper is neither configured
    nor found, nothing changes and each site is reported. Tests that patch
    `time.time` through a rewritten module are reported: the patch no longer
    reaches the rewritten code.
    """

    NAME = "timestamp"
    SUMMARY = "int(time.time() * 1000) and friends -> get_timestamp()"
    DESCRIPTION = SUMMARY
    TRIGGERS = ("time", "timestamp(")
    OPTIONS = TimestampOptions
    # Resolved lazily (lazy_metadata): most files importing `time` only sleep.
    METADATA_DEPENDENCIES = ()

    EXAMPLES = [
        Example(
            before="import time\n\nts = int(time.time() * 1000)\n",
            after="from app.utils import get_timestamp\n\nts = get_timestamp()\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Example(
            before=(
                "import time as t\nfrom time import time_ns\n\n"
                "def params(symbol):\n"
                "    return {'symbol': symbol, 'timestamp': int(1000 * t.time()), 'recv': time_ns() // 1_000_000}\n\n"
                "def order_id():\n    return 'bot-' + str(int( t.time()*1e3 ))\n"
            ),
            after=(
                "from app.utils import get_timestamp\n\n"
                "def params(symbol):\n"
                "    return {'symbol': symbol, 'timestamp': get_timestamp(), 'recv': get_timestamp()}\n\n"
                "def order_id():\n    return 'bot-' + str(get_timestamp())\n"
            ),
            options={"helper": "app.utils:get_timestamp"},
        ),
        Example(
            before=(
                "import datetime as dt\nimport time\n\n"
                "start = int(dt.datetime.now(dt.timezone.utc).timestamp() * 10**3) - 60_000\n"
                "elapsed = time.monotonic()\n"
            ),
            after=(
                "import time\n\nfrom app.utils import get_timestamp\n\n"
                "start = get_timestamp() - 60_000\n"
                "elapsed = time.monotonic()\n"
            ),
            options={"helper": "app.utils:get_timestamp"},
        ),
        Example(
            before="from time import time as now\n\ndeadline = int(now() * 1000 + 5_000) * 2\n",
            after="from app.utils import get_timestamp\n\ndeadline = (get_timestamp() + 5_000) * 2\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Example(  # the module already has a different get_timestamp: import under an alias
            before=(
                "import time\n\ndef get_timestamp():\n    return time.strftime('%H:%M')\n\n"
                "stamp = int(time.time() * 1000)\n"
            ),
            after=(
                "import time\n\nfrom app.utils import get_timestamp as get_timestamp_ms\n\n"
                "def get_timestamp():\n    return time.strftime('%H:%M')\n\n"
                "stamp = get_timestamp_ms()\n"
            ),
            options={"helper": "app.utils:get_timestamp"},
        ),
        Example(  # inside the helper's module: call it directly, never touch its body
            before=(
                "import time\nfrom datetime import datetime, timezone\n\n"
                "def get_timestamp() -> int:\n    return int(datetime.now(timezone.utc).timestamp() * 1000)\n\n"
                "def ms_since(start: int) -> int:\n    return int(time.time() * 1000) - start\n"
            ),
            after=(
                "from datetime import datetime, timezone\n\n"
                "def get_timestamp() -> int:\n    return int(datetime.now(timezone.utc).timestamp() * 1000)\n\n"
                "def ms_since(start: int) -> int:\n    return get_timestamp() - start\n"
            ),
            path="app/utils.py",
        ),
        Unchanged("import time\nms = time.time() * 1000\n", options={"helper": "app.utils:get_timestamp"}),
        Unchanged(
            "import time\nsecs = int(time.time())\nms = int(time.time()) * 1000\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(
            "import time\nnonce = int(time.time() * 1_000_000)\nt0 = int(time.monotonic() * 1000)\n"
            "t1 = int(time.perf_counter() * 1000)\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(
            "import time\n\ndef later(offset):\n    return int(time.time() * 1000 + offset)\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(
            "from datetime import datetime\n\ndef to_ms(candle: datetime) -> int:\n"
            "    return int(candle.timestamp() * 1000)\n\nlocal = int(datetime.now().timestamp() * 1000)\n"
            "naive = int(datetime.utcnow().timestamp() * 1000)\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(  # module level, above the helper's def: would be a NameError
            "import time\n\nSTARTED = int(time.time() * 1000)\n\n"
            "def get_timestamp() -> int:\n    return int(time.time() * 1000)\n",
            path="app/utils.py",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(
            "import time\nrounded = round(time.time() * 1000)\nns = int(time.time_ns() / 1e6)\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(
            "def stamp(time) -> int:\n    return int(time.time() * 1000)\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(
            "import time\nts = int(time.time() * 1000)  # codemods: skip\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged("import time\nts = int(time.time() * 1000)\n"),  # no helper configured or found
    ]

    def __init__(self, context: Any, options: Any = None, file: Any = None, helper: str | None = None) -> None:
        super().__init__(context, options, file)
        if helper is not None:  # `python -m libcst.tool codemod ... --helper pkg.mod:fn`
            self.options = TimestampOptions(helper=helper)
        if isinstance(self.options, TimestampOptions):  # run without the planning step
            self.options = resolve_configured(self.options.helper, None)
        self.match = ClockMatcher(self._qnames)
        self._local_name: str | None = None
        self.helper_usable = True
        self.in_helper_module = False
        self._helper_depth = 0  # > 0 while inside the helper's own def
        self._depth = 0  # function nesting: code that runs later, not at import time
        self._helper_defined = False  # in the helper's module: is the def above us?
        self.cyclic = False
        self._replaced: list[cst.CSTNode] = []  # original nodes that were rewritten

    # -- resolution ------------------------------------------------------------
    @staticmethod
    def add_args(arg_parser: Any) -> None:
        """For ``python -m libcst.tool codemod``; our own CLI reads [tool.codemods.timestamp]."""
        arg_parser.add_argument("--helper", default=None, help="package.module:get_timestamp")

    @classmethod
    def wants(cls, path: str, text: str, options: Any) -> bool:
        return cls.handles(path) and _PREFILTER.search(text) is not None

    def _qnames(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.metadata_value(QualifiedNameProvider, node, ())}

    def visit_Module(self, node: cst.Module) -> None:
        helper = self.options
        # Outside the found helper's project folder the helper is not importable: stay quiet.
        self.helper_usable = not helper.within or self.file.path.startswith(helper.within + "/")
        self.cyclic = bool(self.file.module) and self.file.module in helper.imported_by_helper
        self.in_helper_module = helper.module is not None and (
            helper.path == self.file.path or helper.module == self.file.module
        )

    @property
    def local_name(self) -> str:
        """The name the helper is called by here; chosen at the first rewrite."""
        if self._local_name is None:
            if self.in_helper_module:
                self._local_name = self.options.name
            else:
                self._local_name = self._choose_name(self.context.wrapper.module)  # type: ignore[union-attr]
        return self._local_name

    def _choose_name(self, module: cst.Module) -> str:
        """The helper's name if free (or already imported), else an unused alias."""
        target = f"{self.options.module}.{self.options.name}"
        scope_of = self.lazy_metadata(ScopeProvider)
        scopes = {s for s in scope_of.values() if s is not None}
        taken: set[str] = set()
        for scope in scopes:
            for assignment in scope.assignments:
                if target in {q.name for q in scope.get_qualified_names_for(assignment.name)}:
                    if scope is scope_of.get(module):
                        return assignment.name  # already imported at module level
                taken.add(assignment.name)
            taken.update(access.node.value for access in scope.accesses if isinstance(access.node, cst.Name))
        name = self.options.name
        if name not in taken:
            return name
        for candidate in (f"{name}_ms", f"utc_{name}", *(f"{name}_ms{i}" for i in range(2, 100))):
            if candidate not in taken:
                return candidate
        raise RuntimeError("no free name for the helper")  # pragma: no cover

    # -- never rewrite the helper's own body --------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.in_helper_module and self._depth == 0 and node.name.value == self.options.name:
            self._helper_depth += 1
        self._depth += 1

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self._depth -= 1
        if self.in_helper_module and self._depth == 0 and original.name.value == self.options.name:
            self._helper_depth -= 1
            self._helper_defined = True
        return updated

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._depth += 1

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda) -> cst.BaseExpression:
        self._depth -= 1
        return updated

    # -- the rewrite ------------------------------------------------------------
    def _helper_call(self) -> cst.Call:
        return cst.Call(func=cst.Name(self.local_name))

    def leave_BinaryOperation(
        self, original: cst.BinaryOperation, updated: cst.BinaryOperation
    ) -> cst.BaseExpression:
        if self.match.is_ns_floordiv(original):
            return self._rewrite(original, updated, self._helper_call())
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.match.is_naive_utcnow_timestamp(original):
            self.report(
                original,
                "datetime.utcnow().timestamp() reads a naive UTC time as local time "
                "(off by the UTC offset); likely bug, not rewritten",
                Kind.WARNING,
            )
            return updated
        inner = self.match.int_of(original)
        if inner is None:
            self._report_near_miss(original)
            return updated
        if self.match.is_seconds_times_1000(inner):
            return self._rewrite(original, updated, self._helper_call())
        if self.match.is_ns_floordiv(inner) and self.changes_pending(updated):
            # int(time.time_ns() // 10**6): the inner part was rewritten already.
            return self._unwrap(original, updated)
        if (
            isinstance(inner, cst.BinaryOperation)
            and isinstance(inner.operator, (cst.Add, cst.Subtract))
            and self.match.is_seconds_times_1000(inner.left)
        ):
            if not is_provably_int(inner.right, self._qnames):
                self.report(original, "offset is not provably an int (int() of a float sum): not rewritten")
                return updated
            new = cst.BinaryOperation(
                left=self._helper_call(),
                operator=inner.operator,
                right=updated.args[0].value.right,  # type: ignore[attr-defined]
            )
            if self._needs_parens(original):
                new = new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return self._rewrite(original, updated, new)
        return updated

    def _report_near_miss(self, node: cst.Call) -> None:
        """`round(time.time() * 1000)`: ms, but rounded where the helper truncates."""
        if (
            len(node.args) == 1
            and isinstance(node.args[0].value, cst.BinaryOperation)
            and self.match.is_seconds_times_1000(node.args[0].value)
            and "builtins.round" in self._qnames(node.func)
        ):
            self.report(node, "round() of epoch ms can differ from the helper (which truncates) by 1 ms: not rewritten")

    def changes_pending(self, updated: cst.Call) -> bool:
        value = updated.args[0].value
        return (
            self.changes > 0
            and isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and value.func.value == self.local_name
        )

    def _unwrap(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.opted_out(original):
            return updated
        inner = updated.args[0].value
        return inner.with_changes(lpar=updated.lpar, rpar=updated.rpar)

    def _needs_parens(self, original: cst.CSTNode) -> bool:
        if original.lpar:  # type: ignore[attr-defined]
            return False
        parents = self.context.wrapper.resolve(ParentNodeProvider)  # type: ignore[union-attr]
        parent = parents.get(original)
        return not isinstance(
            parent, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.Arg, cst.Element, cst.DictElement, cst.Expr)
        )

    def _rewrite(
        self, original: cst.BaseExpression, updated: cst.BaseExpression, new: cst.BaseExpression
    ) -> cst.BaseExpression:
        if self._helper_depth or not self.helper_usable:
            return updated  # the helper's own body (rewriting it would recurse), or out of reach
        if self.options.module is None:
            self.report(
                original,
                "no helper known: set [tool.codemods.timestamp] helper = \"package.module:get_timestamp\"",
            )
            return updated
        if self.cyclic:
            self.report(
                original,
                f"{self.options.module} imports this module at import time: importing the helper "
                "here would create an import cycle; not rewritten",
            )
            return updated
        if self.in_helper_module and not self._depth and not self._helper_defined:
            self.report(original, f"runs at import time before {self.options.name}() is defined; not rewritten")
            return updated
        new = new.with_changes(lpar=updated.lpar, rpar=updated.rpar) if updated.lpar else new
        result = self.replace(original, updated, new)
        if result is new:
            self._replaced.append(original)
        return result

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.changes:
            return updated
        if not self.in_helper_module:
            asname = None if self.local_name == self.options.name else self.local_name
            self.add_import(self.options.module, self.options.name, asname)  # type: ignore[arg-type]
        orphans = orphaned_imports(self._replaced, self.lazy_metadata(ScopeProvider))
        if orphans:
            updated, elsewhere = remove_top_level_imports(original, updated, orphans)
            if elsewhere:  # imports inside functions or `if` blocks: let libcst handle them
                for node in self._replaced:
                    RemoveImportsVisitor.remove_unused_import_by_node(self.context, node)
        return updated

    # -- project-wide steps ---------------------------------------------------------
    @classmethod
    def plan(cls, project: Project, options: TimestampOptions) -> Plan:
        if options.helper:
            resolved = _with_import_graph(resolve_configured(options.helper, project), project)
            return Plan(options=resolved, **_creation(project, resolved))
        found = find_helpers(project)
        if len(found) == 1:
            path, module = found[0]
            within = _project_folder(path, module)
            note = f"using {module}:{DEFAULT_NAME} (found in {path}) for files under {within or '.'}/"
            return Plan(
                options=_with_import_graph(
                    Resolved(module=module, name=DEFAULT_NAME, path=path, within=within), project
                ),
                findings=(Finding(cls.NAME, "", 0, note, Kind.NOTE),),
            )
        if found:
            places = ", ".join(path for path, _ in found)
            message = f"several get_timestamp() helpers ({places}): set [tool.codemods.timestamp] helper"
        else:
            message = (
                "no get_timestamp() returning UTC milliseconds found: set "
                '[tool.codemods.timestamp] helper = "package.module:get_timestamp" (it is created if missing)'
            )
        return Plan(options=Resolved(module=None), findings=(Finding(cls.NAME, "", 0, message, Kind.NOTE),))

    @classmethod
    def after_run(cls, changed: Sequence[ProjectFile], project: Project) -> list[Finding]:
        return find_clock_patches(cls.NAME, changed, project)


def resolve_configured(helper: str | None, project: Project | None) -> Resolved:
    if not helper:
        return Resolved(module=None)
    module, _, name = helper.partition(":")
    name = name or DEFAULT_NAME
    path = project.path_of_module(module) if project is not None else None
    return Resolved(module=module, name=name, path=path)


def _with_import_graph(helper: Resolved, project: Project) -> Resolved:
    if helper.module is None or helper.path is None:
        return helper

    def read(module: str) -> tuple[str, bool] | None:
        path = project.path_of_module(module)
        text = project.read(path) if path else None
        return (text, path.endswith("__init__.py")) if text is not None and path else None

    return replace(helper, imported_by_helper=frozenset(reachable(helper.module, read)))


def _project_folder(path: str, module: str) -> str:
    """The folder files must be under to import ``module`` (a src/ layout's parent)."""
    parts = path.split("/")
    depth = len(module.split(".")) + (1 if parts[-1] == "__init__.py" else 0)
    base = parts[:-depth]
    if base and base[-1] in ("src", "lib"):
        base = base[:-1]
    return "/".join(base)


def _creation(project: Project, helper: Resolved) -> dict[str, Any]:
    """Create the configured helper module, or append the function to it, when missing."""
    if helper.path is None:
        path = _new_module_path(project, helper.module or "")
        return {"creates": ((path, MODULE_TEMPLATE.format(name=helper.name)),)}
    text = project.read(helper.path) or ""
    if re.search(rf"^(async\s+)?def\s+{re.escape(helper.name)}\b|^{re.escape(helper.name)}\s*=", text, re.MULTILINE):
        return {}
    return {"finish": ((helper.path, lambda text: append_helper(text, helper.name)),)}


def _new_module_path(project: Project, module: str) -> str:
    parts = module.split(".")
    base = project.project_root
    # A src layout keeps packages under src/ when the top package lives there.
    if not (base / parts[0]).exists() and (base / "src" / parts[0]).is_dir():
        base = base / "src"
    return project.relative(base.joinpath(*parts[:-1]) / f"{parts[-1]}.py")


def append_helper(text: str, name: str) -> str:
    """Add the helper function (and its imports) to an existing module."""
    from libcst.codemod import CodemodContext

    module = cst.parse_module(text)
    newline = module.default_newline
    body = HELPER_TEMPLATE.format(name=name).lstrip("\n").replace("\n", newline)
    separator = newline * (2 if text.strip() else 0)
    code = module.code.rstrip("\r\n") + (newline if text.strip() else "") + separator + body
    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, "datetime", "datetime")
    AddImportsVisitor.add_needed_import(context, "datetime", "timezone")
    return AddImportsVisitor(context).transform_module(cst.parse_module(code)).code


def find_helpers(project: Project) -> list[tuple[str, str]]:
    """(path, module) of every module-level ``def get_timestamp()`` that returns UTC ms."""
    from libcst.metadata import MetadataWrapper

    found = []
    for file in project.grep(f"def {DEFAULT_NAME}"):
        try:
            wrapper = MetadataWrapper(cst.parse_module(file.text))
        except cst.ParserSyntaxError:
            continue
        names = wrapper.resolve(QualifiedNameProvider)
        matcher = ClockMatcher(lambda node: {q.name for q in metadata_get(names, node, ())})
        for statement in wrapper.module.body:
            if (
                isinstance(statement, cst.FunctionDef)
                and statement.name.value == DEFAULT_NAME
                and statement.asynchronous is None
                and not _required_params(statement)
                and _returns_epoch_ms(statement, matcher)
                and file.module
            ):
                found.append((file.path, file.module))
    return found


def _required_params(func: cst.FunctionDef) -> bool:
    params = func.params
    return any(p.default is None for p in (*params.posonly_params, *params.params, *params.kwonly_params))


def _returns_epoch_ms(func: cst.FunctionDef, matcher: ClockMatcher) -> bool:
    body = func.body.body if isinstance(func.body, cst.IndentedBlock) else ()
    statements = [s for s in body if not is_docstring(s)]
    if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine):
        return False
    small = statements[0].body
    return (
        len(small) == 1
        and isinstance(small[0], cst.Return)
        and small[0].value is not None
        and matcher.is_epoch_ms(small[0].value)
    )


# Files that neither import `time` nor call `.timestamp()` cannot match: never parsed.
_PREFILTER = re.compile(r"^[ \t]*(?:import|from)[ \t][^\n#]*\btime\b|\.timestamp[ \t]*\(", re.MULTILINE)
