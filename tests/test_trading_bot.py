"""The main job end to end: the bundled trading bot, its own test suite as the
behaviour oracle, before and after `codemods apply` (see ``bot_pipeline``)."""

from __future__ import annotations

import ast

from conftest import BotPipeline, assert_plain_patch, patch_files

EXPECTED_CHANGED = [
    "requirements.txt",  # `pin-requirements`: websockets==14.1, from the bot's config
    "src/core/circuit_breaker.py",
    "src/core/unified_scheduler.py",
    "src/exchange/fake_client.py",
    "src/main.py",
    "src/services/trading_service.py",
    "src/strategies/rule_based_signal_generator.py",
    "src/utils/exchange_precision.py",  # created by `precision`
    "src/utils/helpers.py",
    "src/utils/retry_helper.py",  # created by `retry`
]


def test_bot_suite_passes_before(bot_pipeline: BotPipeline) -> None:
    result = bot_pipeline.suite_before
    assert result.code == 0, result
    assert " passed" in result.text and "failed" not in result.text, result


def test_diff_touches_only_expected_files(bot_pipeline: BotPipeline) -> None:
    diff = bot_pipeline.diff
    assert diff.code == 0, diff
    assert_plain_patch(diff.out)
    assert patch_files(diff.out) == EXPECTED_CHANGED, diff


def test_diff_writes_nothing(bot_pipeline: BotPipeline) -> None:
    assert bot_pipeline.after_diff == bot_pipeline.before_diff


def test_apply_writes_what_diff_showed(bot_pipeline: BotPipeline) -> None:
    assert bot_pipeline.apply.code == 0, bot_pipeline.apply
    changed = sorted(
        path for path, data in bot_pipeline.after_apply.items() if bot_pipeline.original.get(path) != data
    )
    assert changed == EXPECTED_CHANGED


def test_bot_suite_passes_after_apply(bot_pipeline: BotPipeline) -> None:
    result = bot_pipeline.suite_after
    assert result.code == 0, result
    assert " passed" in result.text and "failed" not in result.text, result


def test_diff_check_clean_after_apply(bot_pipeline: BotPipeline) -> None:
    check = bot_pipeline.check
    assert check.code == 0, check
    assert check.out == b""


def test_utcnow_warning_reported(bot_pipeline: BotPipeline) -> None:
    lines = bot_pipeline.original["src/main.py"].decode().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "datetime.utcnow().timestamp()" in text)
    for result in (bot_pipeline.diff, bot_pipeline.apply):
        warned = [text for text in result.err_lines if f"src/main.py:{line}" in text]
        assert warned and "utcnow" in warned[0], result
    # reported, never rewritten
    assert "datetime.utcnow().timestamp()" in bot_pipeline.after_apply["src/main.py"].decode()


def _is_time_attribute_call(node: ast.AST) -> str | None:
    """`X.time()` -> "X"; `time()` -> "time"; anything else -> None."""
    if not (isinstance(node, ast.Call) and not node.args and not node.keywords):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "time" and isinstance(func.value, ast.Name):
        return func.value.id
    if isinstance(func, ast.Name) and func.id == "time":
        return "time"
    return None


def _hand_written_ms(tree: ast.AST) -> list[tuple[int, str, set[str]]]:
    """Every `int(<clock>.time() * 1000)` (either order, 1000/1e3/10**3) with the
    parameters of the functions enclosing it."""
    found = []

    def visit(node: ast.AST, params: set[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            params = params | {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "int"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.BinOp)
            and isinstance(node.args[0].op, ast.Mult)
        ):
            left, right = node.args[0].left, node.args[0].right
            for clock, factor in ((left, right), (right, left)):
                base = _is_time_attribute_call(clock)
                if base is not None and ast.unparse(factor) in ("1000", "1000.0", "10 ** 3"):
                    found.append((node.lineno, base, params))
        for child in ast.iter_child_nodes(node):
            visit(child, params)

    visit(tree, set())
    return found


def test_no_hand_written_ms_left_in_rewritten_files(bot_pipeline: BotPipeline) -> None:
    leftovers = []
    for path in (p for p in EXPECTED_CHANGED if p.endswith(".py")):
        text = bot_pipeline.after_apply[path].decode()
        # Only the injected-clock `stamp(time)` of helpers.py may keep the spelling.
        expected = 1 if path == "src/utils/helpers.py" else 0
        assert text.count("int(time.time() * 1000)") == expected, path
        for line, base, params in _hand_written_ms(ast.parse(text)):
            if base not in params:  # the clock is a parameter (an injected clock): fine
                leftovers.append(f"{path}:{line}")
    assert leftovers == []


def test_only_the_unpinned_requirement_changed(bot_pipeline: BotPipeline) -> None:
    before = bot_pipeline.original["requirements.txt"].decode().splitlines(keepends=True)
    after = bot_pipeline.after_apply["requirements.txt"].decode().splitlines(keepends=True)
    changed = [(old, new) for old, new in zip(before, after) if old != new]
    assert len(before) == len(after)
    assert changed == [("websockets\n", "websockets==14.1\n")]


def test_shadowed_stamp_unchanged(bot_pipeline: BotPipeline) -> None:
    def stamp_source(data: bytes) -> str:
        text = data.decode()
        tree = ast.parse(text)
        node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "stamp")
        return ast.get_source_segment(text, node) or ""

    before = stamp_source(bot_pipeline.original["src/utils/helpers.py"])
    after = stamp_source(bot_pipeline.after_apply["src/utils/helpers.py"])
    assert "return int(time.time() * 1000)" in before
    assert after == before


def test_precision_methods_reduced_to_one_helper_call(bot_pipeline: BotPipeline) -> None:
    text = bot_pipeline.after_apply["src/services/trading_service.py"].decode()
    tree = ast.parse(text)
    methods = {
        node.name: ast.get_source_segment(text, node) or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name in ("_round_quantity", "_round_price")
    }
    assert 'adjust_to_step_size(quantity, step_size, rounding="floor")' in methods["_round_quantity"]
    assert 'adjust_to_step_size(price, tick_size, rounding="round")' in methods["_round_price"]
    for body in methods.values():
        assert "log10" not in body and "precision" not in body
        assert "logger.warning" in body and "exchange_info()" in body  # the lookup and logging stay
    assert "import math\n" not in text  # only the rounding used it
    assert "from src.utils.exchange_precision import adjust_to_step_size" in text
    helper = bot_pipeline.after_apply["src/utils/exchange_precision.py"].decode()
    assert "def adjust_to_step_size(" in helper and "codemods: skip-file" not in helper


def test_precision_behaviour_change_is_reported(bot_pipeline: BotPipeline) -> None:
    for result in (bot_pipeline.diff, bot_pipeline.apply):
        notes = [line for line in result.err_lines if "behaviour change (precision)" in line]
        assert any("0.3 with step 0.1" in line for line in notes), result
        sites = [line for line in result.err_lines if "trading_service.py:" in line and "_round_quantity" in line]
        assert sites and "float artefacts" in sites[0], result
