"""Where a codemod's helper module lives, and creating it from its template.

Shared by the codemods that rewrite code to call a helper they may have to
create (`precision`, `retry`): a configured ``package.module:function``, else
the checkout's one editable module defining the function, else one module per
package that holds a target (``<top>.utils.<stem>``), created only when a file
that would import it changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib import resources
from typing import Sequence

from codemods.base import Project
from codemods.transforms.timestamp_helper import locate, new_module_files, parse_spec, project_folder


@dataclass(frozen=True)
class HelperSpec:
    """What a codemod's helper is called and where its template is."""

    stem: str  # default module name: exchange_precision, retry_helper
    name: str  # default function name: adjust_to_step_size, retry_with_backoff
    template: str  # file in codemods/templates
    option: str  # the codemod's configuration table, for messages

    def parse(self, value: str) -> tuple[str, str]:
        """``"package.module[:function]"`` -> (module, function); OptionError when malformed."""
        module, name = parse_spec(value)
        return module, (name if ":" in value else self.name)

    def text(self, name: str) -> str:
        """The template with the function named ``name`` (its own skip-file line dropped)."""
        text = resources.files("codemods.templates").joinpath(self.template).read_text(encoding="utf-8")
        text = text.split("\n", 1)[1]
        # the function and its twins named after it (retry_with_backoff_sync)
        return re.sub(rf"\b{re.escape(self.name)}(?=\b|_)", name, text) if name != self.name else text


@dataclass(frozen=True)
class Helper:
    """One helper module and the files that can import it."""

    module: str
    name: str
    path: str | None = None  # relative to the root; None when it is not known yet
    within: str | None = None  # files under this folder can import it (None: every file)
    same_folder: bool = False  # a script's helper: only files in that very folder

    def serves(self, path: str) -> bool:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if self.same_folder:
            return folder == (self.within or "")
        return not self.within or path.startswith(self.within + "/")


def helper_for(helpers: Sequence[Helper], path: str) -> Helper | None:
    """The helper the file at ``path`` imports: the closest one that serves it."""
    serving = [h for h in helpers if h.serves(path)]
    return max(serving, key=lambda h: len(h.within or "")) if serving else None


def defines(text: str, name: str) -> bool:
    return re.search(rf"^(?:async\s+)?def {re.escape(name)}\b", text, re.MULTILINE) is not None


def editable(text: str) -> bool:
    """Not generated and not opted out: the files codemods may read as the user's own code."""
    from codemods.engine import GENERATED, HEADER_CHARS, SKIP_FILE

    header = text[:HEADER_CHARS]
    return not GENERATED.search(header) and not SKIP_FILE.search(header)


def default_helper(project: Project, spec: HelperSpec, path: str) -> Helper:
    """``<top>.utils.<stem>`` for a file in a package (``<top>.<stem>`` when
    ``<top>/utils.py`` is a module); ``<stem>`` beside a script outside any package."""
    module = project.modules.get(path)
    if not module or "." not in module:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        return Helper(spec.stem, spec.name, f"{folder}/{spec.stem}.py".lstrip("/"), folder, True)
    top = module.split(".")[0]
    utils = project.path_of_module(f"{top}.utils")
    name = f"{top}.{spec.stem}" if utils is not None and not utils.endswith("__init__.py") else f"{top}.utils.{spec.stem}"
    within = project_folder(project.path_of_module(top) or path, top)
    return Helper(name, spec.name, locate(project, name), within)


def _creation(project: Project, spec: HelperSpec, helper: Helper) -> tuple[Helper, tuple[tuple[str, str], ...], str]:
    """The helper with its path, the files to create for it, and a problem (empty when none)."""
    text = project.read(helper.path) if helper.path is not None else None
    if text is not None:
        if defines(text, helper.name):
            return helper, (), ""
        return helper, (), (
            f"{helper.module} ({helper.path}) exists but does not define {helper.name}(): "
            f"point [tool.codemods.{spec.option}] helper at another module"
        )
    if helper.same_folder:
        return helper, ((helper.path or f"{spec.stem}.py", spec.text(helper.name)),), ""
    files, problem = new_module_files(project, helper.module)
    if files is None:
        return helper, (), problem
    *packages, (new_path, _) = files
    return replace(helper, path=new_path), (*packages, (new_path, spec.text(helper.name))), ""


Planned = tuple[tuple[Helper, ...], tuple[tuple[str, str], ...], tuple[tuple[str, tuple[str, ...]], ...], str]


def plan_helpers(project: Project, spec: HelperSpec, configured: str | None, paths: Sequence[str]) -> Planned:
    """(helpers, files to create, (created file, files that would use it), problem).

    ``paths`` are the files that may hold targets: each gets the helper of its
    package when none is configured or found.
    """
    if configured:
        module, name = spec.parse(configured)
        wanted = [Helper(module, name, locate(project, module))]
    else:
        found = [
            f for f in project.grep(f"def {spec.name}") if defines(f.text, spec.name) and f.module and editable(f.text)
        ]
        if len(found) == 1:
            module = found[0].module or ""
            return (Helper(module, spec.name, found[0].path, project_folder(found[0].path, module)),), (), (), ""
        defaults = [default_helper(project, spec, path) for path in paths]
        wanted = list({(h.module, h.within, h.same_folder): h for h in defaults}.values())
    helpers: list[Helper] = []
    creates: list[tuple[str, str]] = []
    made_by: list[tuple[Helper, list[str]]] = []
    for wish in wanted:
        made, files, problem = _creation(project, spec, wish)
        if problem:
            return (), (), (), problem
        helpers.append(made)
        creates.extend(f for f in files if f not in creates)
        made_by.append((made, [path for path, _ in files]))
    scopes: list[tuple[str, tuple[str, ...]]] = []
    if not configured:
        for made, created in made_by:
            users = tuple(p for p in paths if helper_for(helpers, p) == made)
            scopes.extend((path, users) for path in created)
    return tuple(helpers), tuple(creates), tuple(scopes), ""
