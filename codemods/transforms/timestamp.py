"""The ``timestamp`` codemod: hand-written UTC epoch milliseconds -> the project's helper."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import libcst as cst
from libcst.codemod.visitors import RemoveImportsVisitor
from libcst.metadata import ScopeProvider

from codemods.analysis.clock import ClockMatcher, is_safe_offset
from codemods.analysis.clock_patches import find_clock_patches, is_patched
from codemods.analysis.import_graph import top_level_imports
from codemods.base import Example, Plan, Project, ProjectFile, PythonCodemod, Unchanged
from codemods.imports import (
    exported_names,
    import_spelling,
    orphaned_imports,
    swap_imports,
)
from codemods.models import Finding, Kind
from codemods.transforms.timestamp_helper import (
    DEFAULT_NAME,
    Resolved,
    definition_line,
    defines,
    find_helpers,
    locate,
    parse_spec,
    plan_creation,
    project_folder,
    returns_epoch_ms,
    with_import_graph,
)

@dataclass(frozen=True)
class TimestampOptions:
    """``[tool.codemods.timestamp]``."""

    helper: str | None = None  # "package.module:function"; found in the checkout when unset
    # A configured helper whose body is not recognisably "UTC epoch ms" is not
    # used unless trusted: rewriting to a helper that returns something else
    # would change every call site.
    trust_helper: bool = False

    def __post_init__(self) -> None:
        if self.helper is not None:
            parse_spec(self.helper)


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
    COMMIT_SUBJECT = "refactor: use get_timestamp() for epoch milliseconds"
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
        Example(  # other aware spellings of "now", and math.floor, which truncates like int() here
            before=(
                "import math\nfrom datetime import datetime, timezone\nfrom zoneinfo import ZoneInfo\n\n"
                "a = int(datetime.utcnow().replace(tzinfo=timezone.utc).timestamp() * 1000)\n"
                "b = int(datetime.now(ZoneInfo('Asia/Tokyo')).timestamp() * 1000)\n"
                "c = math.floor(datetime.now().astimezone().timestamp() * 1000)\n"
            ),
            after=(
                "from app.utils import get_timestamp\n\n"
                "a = get_timestamp()\nb = get_timestamp()\nc = get_timestamp()\n"
            ),
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
        Example(  # a file that imports its package's modules relatively gets a relative import
            before="from .models import Order\nimport time\n\ndef stamp(order: Order) -> int:\n    return int(time.time() * 1000)\n",
            after=(
                "from .models import Order\nfrom ..utils import get_timestamp\n\n"
                "def stamp(order: Order) -> int:\n    return get_timestamp()\n"
            ),
            path="app/orders/stamps.py",
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
            "import time\n\ndef later(offset, deadline_ms):\n"
            "    return int(time.time() * 1000 + offset), int(time.time() * 1000 - int(deadline_ms))\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(
            "from datetime import datetime\n\ndef to_ms(candle: datetime) -> int:\n"
            "    return int(candle.timestamp() * 1000)\n\nlocal = int(datetime.now().timestamp() * 1000)\n"
            "naive = int(datetime.utcnow().timestamp() * 1000)\n"
            "mislabelled = int(datetime.utcnow().replace(tzinfo=ZONE).timestamp() * 1000)\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(  # module level, above the helper's def: would be a NameError
            "import time\n\nSTARTED = int(time.time() * 1000)\n\n"
            "def get_timestamp() -> int:\n    return int(time.time() * 1000)\n",
            path="app/utils.py",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(  # `time` may be a fake clock, depending on the environment
            "import os\nimport time\n\nif os.environ.get('FAKE_CLOCK'):\n    time = FakeClock()\n\n"
            "def stamp():\n    return int(time.time() * 1000)\n",
            options={"helper": "app.utils:get_timestamp"},
        ),
        Unchanged(  # f"{expr=}" prints the expression's own text
            "import time\nprint(f'{int(time.time() * 1000)=}')\n",
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
        self.match = ClockMatcher(self.qualified_names)
        self._local_name: str | None = None
        self.helper_usable = True
        self.in_helper_module = False
        self._helper_depth = 0  # > 0 while inside the helper's own def
        self._depth = 0  # function nesting: code that runs later, not at import time
        self._helper_defined = False  # in the helper's module: is the def above us?
        self.cyclic = False
        self._replaced: list[cst.CSTNode] = []  # original nodes that were rewritten
        self._parents: list[cst.CSTNode] = []  # the path from the module to the current node
        self._imports_seen: dict[int, str] = {}  # id(import node) -> module/function/block/keep

    # -- resolution ------------------------------------------------------------
    @staticmethod
    def add_args(arg_parser: Any) -> None:
        """For ``python -m libcst.tool codemod``; our own CLI reads [tool.codemods.timestamp]."""
        arg_parser.add_argument("--helper", default=None, help="package.module:get_timestamp")

    @classmethod
    def wants(cls, path: str, text: str, options: Any) -> bool:
        return cls.handles(path) and _PREFILTER.search(text) is not None

    def visit_words(self) -> re.Pattern[str] | None:
        """`time`, `datetime`, what they are imported as anywhere, and the helper's name:
        a statement with none of these on its lines holds no site."""
        fast = self.fast_names
        if not fast.usable:
            return None
        words = {"time", "time_ns", "timestamp", "datetime", "utcnow", "timezone"}
        if self.options.name:
            words.add(self.options.name)
        for bound, sources in fast.imported_anywhere.items():
            if any(source.split(".")[0] in ("time", "datetime") for source in sources):
                words.add(bound)
        return re.compile(r"\b(?:" + "|".join(re.escape(word) for word in sorted(words)) + r")\b")

    def visit_Module(self, node: cst.Module) -> None:
        helper = self.options
        # Outside the found helper's project folder the helper is not importable: stay quiet.
        self.helper_usable = not helper.within or self.file.path.startswith(helper.within + "/")
        self.cyclic = bool(self.file.module) and self.file.module in helper.imported_by_helper
        if self.cyclic and helper.module in top_level_imports(node.code, self.file.module or ""):
            self.cyclic = False  # it imports the helper module already: no new cycle
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
                self._local_name = self.free_name(
                    f"{self.options.module}.{self.options.name}", self.options.name, _aliases(self.options.name)
                )
        return self._local_name

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

    def visit_Import(self, node: cst.Import) -> None:
        self._note_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._note_import(node)

    def _note_import(self, node: cst.CSTNode) -> None:
        """Where an import sits, and whether it says to keep it (`# noqa`)."""
        statement = self._parents[-2] if len(self._parents) > 1 else None
        comment = getattr(getattr(statement, "trailing_whitespace", None), "comment", None)
        if comment is not None and "noqa" in comment.value:
            self._imports_seen[id(node)] = "keep"
        elif len(self._parents) > 3 and isinstance(self._parents[-4], cst.FunctionDef):
            self._imports_seen[id(node)] = "function"
        else:
            self._imports_seen[id(node)] = "module" if len(self._parents) <= 3 else "block"

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
            return self._rewrite(original, updated, self._helper_call)
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
            return self._rewrite(original, updated, self._helper_call)
        if self.match.is_ns_floordiv(inner) and self.changes_pending(updated):
            # int(time.time_ns() // 10**6): the inner part was rewritten already.
            return self._unwrap(original, updated)
        if (
            isinstance(inner, cst.BinaryOperation)
            and isinstance(inner.operator, (cst.Add, cst.Subtract))
            and self.match.is_seconds_times_1000(inner.left)
        ):
            if not is_safe_offset(inner.right, inner.operator, self.qualified_names):
                self.report(
                    original,
                    "offset is not a small int literal (int() truncates the float sum toward zero): not rewritten",
                )
                return updated
            needs_parens = self._needs_parens(original)  # while the parent stack is ours

            def with_offset() -> cst.BaseExpression:
                new = cst.BinaryOperation(
                    left=self._helper_call(),
                    operator=inner.operator,  # type: ignore[union-attr]
                    right=updated.args[0].value.right,  # type: ignore[attr-defined]
                )
                return new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]) if needs_parens else new

            return self._rewrite(original, updated, with_offset)
        return updated

    def _report_near_miss(self, node: cst.Call) -> None:
        """`round(time.time() * 1000)`: ms, but rounded where the helper truncates."""
        if (
            len(node.args) == 1
            and isinstance(node.args[0].value, cst.BinaryOperation)
            and self.match.is_seconds_times_1000(node.args[0].value)
            and "builtins.round" in self.qualified_names(node.func)
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

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._parents.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        result = super().on_leave(original_node, updated_node)  # leave_* sees itself on top
        self._parents.pop()
        return result

    def _needs_parens(self, original: cst.CSTNode) -> bool:
        """Whether `helper() +/- k` must be parenthesised where ``original`` stood."""
        if original.lpar:  # type: ignore[attr-defined]
            return False
        parent = self._parents[-2] if len(self._parents) > 1 else None
        return not isinstance(parent, _LOOSER_THAN_ADDITION)

    def _rewrite(
        self, original: cst.BaseExpression, updated: cst.BaseExpression, build: Callable[[], cst.BaseExpression]
    ) -> cst.BaseExpression:
        if self._helper_depth:
            return updated  # the helper's own body: rewriting it would make it recursive
        if not self.helper_usable:
            self.report(
                original,
                f"the helper found ({self.options.module}) is importable only under {self.options.within}/: "
                "set [tool.codemods.timestamp] helper for this project",
            )
            return updated
        if self.options.module is None:
            self.report(original, self.options.reason)
            return updated
        if any(isinstance(p, cst.FormattedStringExpression) and p.equal is not None for p in self._parents):
            self.report(original, "inside a self-documenting f-string `{...=}`, which prints the expression's text: not rewritten")
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
        new = build()  # only now: choosing the helper's local name needs scope analysis
        new = new.with_changes(lpar=updated.lpar, rpar=updated.rpar) if updated.lpar else new
        result = self.replace(original, updated, new)
        if result is new:
            self._replaced.append(original)
        return result

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.changes:
            return updated
        name, module = self.local_name, import_spelling(original, self.options.module, self.file.module, self.file.path)
        asname = None if name == self.options.name else name
        orphans = [
            (node, bound)
            for node, bound in orphaned_imports(self._replaced, self.lazy_metadata(ScopeProvider), exported_names(original))
            if self._imports_seen.get(id(node)) != "keep" and not is_patched(self.file.module, bound, self.options.patched)
        ]
        updated, elsewhere = swap_imports(
            original, updated, orphans, module, self.options.name, asname, needs_import=not self.in_helper_module
        )
        # Imports directly in a function body go through libcst's RemoveImportsVisitor;
        # one in an if/try block stays (removing it would leave `pass` or dead branches).
        if elsewhere and all(self._imports_seen.get(id(node)) == "function" for node, _ in elsewhere):
            for node in self._replaced:
                RemoveImportsVisitor.remove_unused_import_by_node(self.context, node)
        return updated

    # -- project-wide steps ---------------------------------------------------------
    @classmethod
    def plan(cls, project: Project, options: TimestampOptions) -> Plan:
        if options.helper:
            return cls._plan_configured(project, options)
        found = find_helpers(project)
        if len(found) == 1:
            path, module = found[0]
            within = project_folder(path, module)
            note = f"using {module}:{DEFAULT_NAME} (found in {path}) for files under {within or '.'}/"
            return Plan(
                options=with_import_graph(
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
    def _plan_configured(cls, project: Project, options: TimestampOptions) -> Plan:
        helper = resolve_configured(options.helper, project)
        spec = f"{helper.module}:{helper.name}"
        if helper.path is not None:
            text = project.read(helper.path) or ""
            if defines(text, helper.name) and not options.trust_helper and not returns_epoch_ms(text, helper.name):
                message = (
                    f"{spec} is not recognisably `return int(... UTC now ... * 1000)`: not used. "
                    "Fix it, or set trust-helper = true in [tool.codemods.timestamp]"
                )
                line = definition_line(text, helper.name)
                return cls._no_helper(f"the configured helper {spec} was not used (see the warning)", helper.path, line, message)
        creation = plan_creation(project, helper)
        problem = creation.pop("problem", None)
        if problem:
            return cls._no_helper(f"the configured helper {spec} cannot be created (see the warning)", "", 0, problem)
        return Plan(options=with_import_graph(helper, project), **creation)

    @classmethod
    def _no_helper(cls, reason: str, path: str, line: int, message: str) -> Plan:
        warning = Finding(cls.NAME, path, line, message, Kind.WARNING)
        return Plan(options=Resolved(module=None, reason=reason), findings=(warning,))

    @classmethod
    def after_run(cls, changed: Sequence[ProjectFile], project: Project) -> list[Finding]:
        return find_clock_patches(cls.NAME, changed, project)


def resolve_configured(helper: str | None, project: Project | None) -> Resolved:
    if not helper:
        return Resolved(module=None)
    module, name = parse_spec(helper)
    return Resolved(module=module, name=name, path=locate(project, module) if project is not None else None)


def _aliases(name: str) -> list[str]:
    return [f"{name}_ms", f"utc_{name}", *(f"{name}_ms{i}" for i in range(2, 100))]


# Places where `a + b` needs no parentheses: statements, arguments, containers,
# comprehension results, lambda bodies, comparisons and boolean operators.
_LOOSER_THAN_ADDITION = (
    cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.Arg, cst.Element, cst.DictElement,
    cst.Expr, cst.Lambda, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp,
    cst.FormattedStringExpression, cst.Comparison, cst.ComparisonTarget, cst.BooleanOperation,
    cst.IfExp, cst.Index, cst.Yield,
)

# Files that neither import `time` nor call `.timestamp()` cannot match: never parsed.
_PREFILTER = re.compile(r"^[ \t]*(?:import|from)[ \t][^\n#]*\btime\b|\.timestamp[ \t]*\(", re.MULTILINE)
