"""Which modules a module imports at import time, followed through the checkout.

Used to refuse rewrites that would add an import cycle: if the helper module
(transitively) imports module M at its top level, making M import the helper
can break import order. Top-level imports are read with a regex, not a parse:
this runs in the planning step over only the few modules reachable from one.
"""

from __future__ import annotations

import re
from typing import Callable

# Only statements starting in column 0 run at import time for certain; imports
# inside functions are deferred and cannot create an import-time cycle.
_IMPORT = re.compile(
    r"^(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*\(?([\w, \t]*)|import[ \t]+([\w., \t]+))", re.MULTILINE
)


def top_level_imports(text: str, module: str, is_package: bool = False) -> set[str]:
    """Absolute names of modules ``module`` imports at its top level."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for match in _IMPORT.finditer(text):
        source, names, plain = match.groups()
        if plain is not None:
            found.update(name.strip().split(" ")[0] for name in plain.split(",") if name.strip())
            continue
        dots = len(source) - len(source.lstrip("."))
        name = source[dots:]
        if dots:
            base = package.split(".") if package else []
            base = base[: len(base) - (dots - 1)] if dots > 1 else base
            name = ".".join([*base, name] if name else base)
        if name:
            found.add(name)
            # `from pkg import settings` may import the submodule pkg.settings.
            found.update(f"{name}.{n.strip().split(' ')[0]}" for n in (names or "").split(",") if n.strip())
    return found


def reachable(start: str, read: Callable[[str], tuple[str, bool] | None], limit: int = 500) -> set[str]:
    """Modules imported at top level by ``start``, directly or through other modules.

    ``read(module)`` returns (text, is_package) for a module of the checkout, or
    None for modules outside it (the standard library, third-party packages).
    """
    seen: set[str] = set()
    queue = [start]
    while queue and len(seen) < limit:
        module = queue.pop()
        source = read(module)
        if source is None:
            continue
        text, is_package = source
        if is_package and module != start:
            # A package's __init__ is usually mid-import already when its modules
            # import each other; following it makes every module look cyclic.
            continue
        for name in top_level_imports(text, module, is_package):
            # `import a.b.c` imports a, a.b and a.b.c.
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix not in seen:
                    seen.add(prefix)
                    queue.append(prefix)
    return seen
