"""The precision codemod on real folders: where the helper goes, which functions
are targets, what is reported, and the console script end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import commit_all, init_repo, run_cli, write_tree

from codemods import api
from codemods.models import Kind, Options, Status
from codemods.transforms.precision import PrecisionOptions

ROUND_QTY = '''import math


def round_qty(qty: float, step: float):
    precision = int(round(-math.log10(step)))
    qty = math.floor(qty / step) * step
    return round(qty, precision)
'''

# Two near-duplicates with names nobody configured: found by the duplicate detector.
PAIR = '''import math


class Exchange:
    def size_for_order(self, symbol, amount):
        info = self.markets[symbol]
        step = float(info["lot"])
        precision = int(round(-math.log10(step)))
        amount = math.floor(amount / step) * step
        amount = round(amount, precision)
        self.log.append(("size", symbol, amount))
        return amount

    def price_for_order(self, symbol, price):
        info = self.markets[symbol]
        tick = float(info["tick"])
        precision = int(round(-math.log10(tick)))
        price = round(price / tick) * tick
        price = round(price, precision)
        self.log.append(("price", symbol, price))
        return price
'''


def run(root: Path, **options: object) -> api.Run:
    config = {"precision": PrecisionOptions(**options)} if options else {}  # type: ignore[arg-type]
    return api.run_paths([root], Options(root=root, project_root=root, only=("precision",), jobs=1, codemod_config=config))


def unchanged(result: api.Run) -> bool:
    return all(r.status in (Status.UNCHANGED, Status.FILTERED) for r in result.results)


def results(result: api.Run) -> dict[str, object]:
    return {r.path: r for r in result.results}


def after(result: api.Run, path: str) -> str:
    found = results(result)[path]
    return found.after.decode()  # type: ignore[attr-defined]


def test_helper_created_in_the_package_of_the_duplicates(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bot/__init__.py": "", "bot/exchange.py": PAIR})
    done = run(tmp_path)
    by_path = results(done)
    assert by_path["bot/utils/__init__.py"].status is Status.CREATED  # type: ignore[attr-defined]
    assert by_path["bot/utils/exchange_precision.py"].status is Status.CREATED  # type: ignore[attr-defined]
    text = after(done, "bot/exchange.py")
    assert "from bot.utils.exchange_precision import adjust_to_step_size" in text
    assert 'amount = adjust_to_step_size(amount, step, rounding="floor")' in text
    assert 'price = adjust_to_step_size(price, tick, rounding="round")' in text
    assert "import math" not in text and "log10" not in text
    assert done.behaviour_changes["precision"]
    notes = sorted((f.line, f.message) for r in done.results for f in r.findings if f.kind is Kind.NOTE)
    assert notes == [
        (5, "size_for_order rewritten as a near-duplicate of Exchange.price_for_order at line 14, similarity 0.95"),
        (14, "price_for_order rewritten as a near-duplicate of Exchange.size_for_order at line 5, similarity 0.95"),
    ]


def test_duplicates_off_rewrites_only_named_functions(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bot/__init__.py": "", "bot/exchange.py": PAIR})
    done = run(tmp_path, duplicates=False)
    assert unchanged(done)
    named = run(tmp_path, duplicates=False, functions=("price_for_order",))
    text = after(named, "bot/exchange.py")
    assert "adjust_to_step_size(price, tick" in text and "math.floor(amount / step)" in text


def test_existing_helper_is_used_not_created(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/numbers.py": "def adjust_to_step_size(value, step_size, min_value=None, max_value=None, rounding='round'):\n    raise NotImplementedError\n",
            "app/orders.py": ROUND_QTY,
        },
    )
    done = run(tmp_path, functions=("round_qty",))
    assert [r.path for r in done.results if r.status is Status.CREATED] == []
    assert "from app.numbers import adjust_to_step_size" in after(done, "app/orders.py")


def test_configured_helper_name_and_module(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/orders.py": ROUND_QTY})
    done = run(tmp_path, functions=("round_qty",), helper="app.lib.steps:to_step")
    created = after(done, "app/lib/steps.py")
    assert "def to_step(" in created and "def adjust_to_step_size(" not in created
    assert "return to_step(qty, step, rounding=\"floor\")" in after(done, "app/orders.py")


def test_configured_module_without_the_function_is_a_warning(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/steps.py": "X = 1\n", "app/orders.py": ROUND_QTY})
    done = run(tmp_path, functions=("round_qty",), helper="app.steps:to_step")
    assert unchanged(done)
    warnings = [f for f in done.findings if f.kind is Kind.WARNING]
    assert warnings and "does not define to_step()" in warnings[0].message
    skipped = [f for r in done.results for f in r.findings if f.kind is Kind.SKIPPED]
    assert skipped and skipped[0].message.startswith("round_qty not rewritten:")


def test_a_script_outside_packages_gets_the_helper_beside_it(tmp_path: Path) -> None:
    write_tree(tmp_path, {"scripts/trade.py": ROUND_QTY})
    done = run(tmp_path, functions=("round_qty",))
    assert results(done)["scripts/exchange_precision.py"].status is Status.CREATED  # type: ignore[attr-defined]
    assert "from exchange_precision import adjust_to_step_size" in after(done, "scripts/trade.py")


def test_refusals_name_the_function_and_the_reason(tmp_path: Path) -> None:
    source = (
        "import math\n\n\n"
        "def _round_price(price: float, tick: float):\n"
        "    precision = int(round(-math.log10(tick)))\n"
        "    price = round(price, precision)\n"
        "    print(precision)\n"
        "    return price\n\n\n"
        "def _round_quantity(qty, step):\n"
        "    return math.floor(qty / step + 1e-9) * step\n"
    )
    write_tree(tmp_path, {"app/__init__.py": "", "app/orders.py": source})
    done = run(tmp_path)
    found = sorted((f.line, f.message) for r in done.results for f in r.findings)
    assert found == [
        (4, "_round_price not rewritten: `precision` is still used after the rounding"),
        (11, "_round_quantity not rewritten: no step rounding of a recognised shape"),
    ]
    assert unchanged(done)


def test_opt_out_comment_on_the_def(tmp_path: Path) -> None:
    source = ROUND_QTY.replace("def round_qty(qty: float, step: float):", "def round_qty(qty: float, step: float):  # codemods: skip")
    write_tree(tmp_path, {"app/__init__.py": "", "app/orders.py": source})
    done = run(tmp_path, functions=("round_qty",))
    assert unchanged(done)
    assert any("left alone" in f.message for r in done.results for f in r.findings)


def test_cli_apply_runs_and_is_idempotent(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write_tree(
        repo,
        {
            "pyproject.toml": '[tool.codemods.precision]\nfunctions = ["round_qty"]\n',
            "app/__init__.py": "",
            "app/orders.py": ROUND_QTY,
        },
    )
    commit_all(repo)
    diff = run_cli("diff", "--only", "precision", "--json", ".", cwd=repo)
    assert diff.code == 0, diff
    report = json.loads(diff.out)
    assert report["behaviour_changes"]["precision"]
    behaviour = [f for file in report["files"] for f in file["findings"] if f["kind"] == "behaviour"]
    assert behaviour and behaviour[0]["path"] == "app/orders.py" and behaviour[0]["line"] == 4
    applied = run_cli("apply", "--only", "precision", ".", cwd=repo)
    assert applied.code == 0, applied
    check = run_cli("diff", "--only", "precision", "--check", ".", cwd=repo)
    assert check.code == 0, check
    # The rewritten module and the created helper import and run.
    probe = "from app.orders import round_qty; print(round_qty(0.3, 0.1), round_qty(7.3, 0.5))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0.3", "7.0"]


def test_bad_option_is_one_line_exit_2(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '[tool.codemods.precision]\nfunctions = "round_qty"\n', "a.py": ROUND_QTY})
    result = run_cli("diff", "--only", "precision", ".", cwd=tmp_path)
    assert result.code == 2
    assert len(result.err_lines) == 1 and "functions" in result.err_lines[0] and "pyproject.toml" in result.err_lines[0]


def test_one_helper_per_package_created_only_where_used(tmp_path: Path) -> None:
    refused = "def _round_quantity(qty, step):\n    return (qty // step) * step\n"  # nothing says float
    write_tree(
        tmp_path,
        {
            "alpha/__init__.py": "",
            "alpha/orders.py": ROUND_QTY.replace("round_qty", "_round_quantity"),
            "beta/__init__.py": "",
            "beta/orders.py": refused,
            # a skip-file module defining the helper is not "the project's helper"
            "tools/template.py": "# codemods: skip-file\ndef adjust_to_step_size(v, s, rounding='round'):\n    return v\n",
        },
    )
    done = run(tmp_path)
    created = sorted(r.path for r in done.results if r.status is Status.CREATED)
    assert created == ["alpha/utils/__init__.py", "alpha/utils/exchange_precision.py"]
    assert "from alpha.utils.exchange_precision import adjust_to_step_size" in after(done, "alpha/orders.py")
    assert results(done)["beta/orders.py"].status is Status.UNCHANGED  # type: ignore[attr-defined]
