"""The pull-request description of a cleanup branch, written for its reviewer.

It says what each commit does and why (from the codemod's own documentation,
the text `codemods explain` shows), where it changed code, what it changes on
purpose, what it found and left alone, and whether the project's tests passed
after it, then how to check all of it locally.
"""

from __future__ import annotations

import shlex

from codemods import docs, registry
from codemods.models import Kind
from codemods.render import plural
from codemods.series import Series, Step

LEFT_ALONE_SHOWN = 40  # per codemod; the rest are counted


def title(series: Series) -> str:
    landed = series.landed
    if len(landed) == 1:
        return landed[0].subject
    names = ", ".join(s.codemod for s in landed) or "nothing to change"
    return f"Automated cleanup: {names}"


def render(series: Series, branch: str | None, base_label: str) -> str:
    """Markdown for ``series``; ``branch`` is None for a patch series."""
    lines = [f"# {title(series)}", ""]
    where = f"branch `{branch}`" if branch else "this patch series"
    lines.append(
        f"Made by `codemods` from {base_label} (`{series.base[:12]}`): {where} has one commit per codemod, "
        "each readable on its own. A codemod rewrites only what it can show is equivalent; "
        "what it could not show is left as it was and listed under its section."
    )
    lines += ["", *_table(series), ""]
    dropped = [s for s in series.steps if s.dropped]
    for step in dropped:
        lines.append(
            f"> **Not on this branch:** the `{step.codemod}` commit made `{series.verify}` fail, "
            "so it was dropped and the codemods after it ran without it. The failing output is in its section."
        )
        lines.append("")
    quiet = [s.codemod for s in series.steps if not s.files and not s.left_alone and not s.failures]
    if quiet:
        lines += [f"Found nothing to change: {', '.join(f'`{n}`' for n in quiet)}.", ""]
    for step in series.steps:
        if step.files or step.left_alone or step.failures:
            lines += _section(step)
    lines += _how_to_check(series, branch)
    return "\n".join(lines).rstrip("\n") + "\n"


def _table(series: Series) -> list[str]:
    rows = ["| codemod | commit | files | changes | tests pass |", "|---|---|---:|---:|---|"]
    for step in series.steps:
        if not step.files:
            continue
        commit = f"`{step.commit[:12]}`" if step.commit else "dropped"
        if step.verification is None:
            verified = "not run"
        else:
            verified = "yes" if step.verification.passed else "**no**"
        rows.append(f"| `{step.codemod}` | {commit} | {len(step.files)} | {step.changes} | {verified} |")
    return rows if len(rows) > 2 else ["No codemod changed anything."]


def _section(step: Step) -> list[str]:
    cls = registry.get(step.codemod)
    lines = [f"## `{step.codemod}`: {step.subject.split(': ', 1)[-1]}", "", f"_{cls.SUMMARY}_", ""]
    text = docs.sections(cls)
    for heading in ("What it does", "Why", "Safety"):
        if text.get(heading):
            lines += [f"**{heading}.** {text[heading]}", ""]
    if step.files:
        lines.append(f"**Files** ({plural(step.changes, 'change')} in {plural(len(step.files), 'file')}):")
        for change in step.files:
            what = "created" if change.created else plural(change.changes, "change")
            lines.append(f"- `{change.path}`: {what}")
        lines.append("")
    sites = [f for f in step.findings if f.kind is Kind.BEHAVIOUR]
    if step.behaviour or sites:
        lines.append("**Behaviour changes, on purpose** (a reviewer should agree with each):")
        lines += [f"- {note}" for note in step.behaviour]
        lines += [f"- `{finding.location()}`: {finding.message}" for finding in sites]
        lines.append("")
    left = step.left_alone
    if left:
        lines.append(f"**Left alone** ({plural(len(left), 'site')}; the code there is unchanged):")
        for finding in left[:LEFT_ALONE_SHOWN]:
            lines.append(f"- `{finding.location()}`: {finding.message}")
        if len(left) > LEFT_ALONE_SHOWN:
            lines.append(f"- and {len(left) - LEFT_ALONE_SHOWN} more (run `codemods diff --only {step.codemod}`)")
        lines.append("")
    if step.failures:
        lines.append("**Files it could not process** (unchanged):")
        lines += [f"- `{path}`: {reason}" for path, reason in step.failures]
        lines.append("")
    if step.verification is not None and not step.verification.passed:
        lines += [
            f"**Dropped:** `{step.verification.command}` failed after this commit. The last lines of its output:",
            "",
            "```text",
            step.verification.tail.replace("```", "ˋˋˋ"),
            "```",
            "",
        ]
    return lines


def _how_to_check(series: Series, branch: str | None) -> list[str]:
    lines = ["## How to check it locally", "", "```bash"]
    if branch:
        quoted = shlex.quote(branch)
        lines += [
            f"git switch {quoted}",
            f"git log --reverse --format='%h %s' {series.base[:12]}..{quoted}   # one commit per codemod",
        ]
    else:
        lines.append("git am --3way 00*.patch   # on a clean checkout of the base, in order")
    for step in series.landed:
        lines.append(f"git show {(step.commit or '')[:12]}   # {step.codemod}")
    if series.verify:
        lines.append(f"{series.verify}   # the project's tests")
    if any(s.dropped for s in series.steps):
        lines.append("codemods diff --check   # shows only what the dropped commits would change")
    else:
        lines.append("codemods diff --check   # exits 0: nothing is left to change")
    return [*lines, "```"]

