"""The reusable near-duplicate detector (used by `precision` and `codemods scan`)."""

from __future__ import annotations

from pathlib import Path

from codemods.analysis.duplicates import find_duplicates, fingerprint, group

ROOT = Path(__file__).resolve().parent.parent

FETCH_USER = '''
def fetch_user(client, user_id, retries=3):
    """Get one user."""
    for attempt in range(retries):
        try:
            response = client.get(f"/users/{user_id}", timeout=5)
            if response.status == 200:
                return response.json()
            log.warning("bad status %s for %s", response.status, user_id)
        except TimeoutError:
            log.warning("timeout on attempt %d", attempt)
    raise LookupError(user_id)
'''
LOAD_ORDER = '''
def load_order(api, order_ref, attempts=5):
    for n in range(attempts):
        try:
            reply = api.get(f"/orders/{order_ref}", timeout=10)
            if reply.status == 200:
                return reply.json()
            logger.warning("unexpected %s for order %s", reply.status, order_ref)
        except TimeoutError:
            logger.warning("timed out, try %d", n)
    raise KeyError(order_ref)
'''
UNRELATED = '''
def render(rows, width):
    lines = []
    for row in rows:
        cells = [str(cell).ljust(width) for cell in row]
        lines.append(" | ".join(cells))
    header = "-" * (width * len(rows[0]) if rows else 0)
    return "\\n".join([header, *lines, header])
'''


def test_near_duplicates_with_unrelated_names_are_found_with_a_score() -> None:
    sources = [("a.py", FETCH_USER), ("b/c.py", "import x\n" + LOAD_ORDER), ("d.py", UNRELATED)]
    pairs = find_duplicates(sources, min_tokens=20)
    assert len(pairs) == 1
    pair = pairs[0]
    assert (pair.first.path, pair.first.name, pair.first.start) == ("a.py", "fetch_user", 2)
    assert (pair.second.path, pair.second.name, pair.second.start) == ("b/c.py", "load_order", 3)
    assert pair.second.end == 12
    assert 0.9 <= pair.score <= 1.0


def test_renaming_alone_gives_identical_fingerprints() -> None:
    import ast

    one = ast.parse("def f(a, b):\n    c = a + b * 2\n    return c\n").body[0]
    two = ast.parse("def g(x, y):\n    z = x + y * 7\n    return z\n").body[0]
    three = ast.parse("def h(x, y):\n    z = x - y * 7\n    return z\n").body[0]
    assert fingerprint(one) == fingerprint(two)  # type: ignore[arg-type]
    assert fingerprint(one) != fingerprint(three)  # type: ignore[arg-type]


def test_the_bots_rounding_methods_are_a_duplicate_group() -> None:
    path = "examples/trading_bot/src/services/trading_service.py"
    text = (ROOT / path).read_text(encoding="utf-8")
    pairs = find_duplicates([(path, text)], names={"_round_quantity", "_round_price"})
    assert [(p.first.name, p.second.name) for p in pairs] == [
        ("TradingService._round_quantity", "TradingService._round_price")
    ]
    assert pairs[0].score >= 0.8
    groups = group(pairs)
    assert len(groups) == 1 and len(groups[0].functions) == 2


def test_threshold_and_unparsable_sources() -> None:
    extra = LOAD_ORDER.replace("    raise KeyError", "    metrics.incr('order_miss', 1)\n    raise KeyError")
    sources = [("a.py", FETCH_USER), ("b.py", extra), ("broken.py", "def f(:\n")]
    assert find_duplicates(sources, min_tokens=20, threshold=1.0) == []  # one statement more
    (pair,) = find_duplicates(sources, min_tokens=20, threshold=0.8)
    assert 0.8 <= pair.score < 1.0
    # Renaming and other literal values alone are not a difference.
    assert find_duplicates([("a.py", FETCH_USER), ("b.py", LOAD_ORDER)], min_tokens=20)[0].score == 1.0


def test_groups_join_chains() -> None:
    sources = [("a.py", FETCH_USER), ("b.py", LOAD_ORDER), ("c.py", LOAD_ORDER.replace("load_order", "load_item"))]
    groups = group(find_duplicates(sources, min_tokens=20))
    assert [len(g.functions) for g in groups] == [3]
    assert groups[0].score <= 1.0
