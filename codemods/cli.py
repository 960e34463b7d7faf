"""The command line: build Options, call the API, render, pick the exit code.

This is the only module that prints or exits. It never imports libcst itself,
and imports the modules that do only once a command needs them, so `--help`,
`--version` and usage errors answer at once.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import click

from codemods import __version__
from codemods.files import find_git_root
from codemods.models import Options

EXIT_OK, EXIT_CHANGES, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
PROGRESS_MIN_FILES = 200


class UsageProblem(click.ClickException):
    """A usage or configuration error: one line on stderr, exit 2."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"codemods: error: {self.format_message()}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="codemods")
def cli() -> None:
    """Cleanup codemods for Python checkouts, shown as git-reviewable diffs.

    \b
    codemods scan [PATH...]       the cleanup report: what to fix, where, and which codemod does it
    codemods list                 the codemods and what they do
    codemods diff [PATH...]       preview every change as a patch (writes nothing)
    codemods apply [PATH...]      write the changes in place
    """


def _parse_shard(context: click.Context, parameter: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    index, _, count = value.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise click.BadParameter(f"{value!r}: write K/N with 1 <= K <= N, such as 2/4")
    return int(index), int(count)


def run_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by diff and apply."""
    decorators = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--only", multiple=True, metavar="NAME", help="Run only this codemod (repeatable, or NAME,NAME)."),
        click.option("--skip", multiple=True, metavar="NAME", help="Do not run this codemod (repeatable, or NAME,NAME)."),
        click.option("--exclude", multiple=True, metavar="GLOB", help="Leave out matching files (repeatable)."),
        click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes [CPU count]."),
        click.option(
            "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
            help="Colour the diff.",
        ),
        click.option("--config", "config_file", type=click.Path(path_type=Path), help="pyproject.toml to read."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON result document instead."),
        click.option("--include-generated", is_flag=True, help="Also change files marked @generated."),
        click.option(
            "--pin", "pins", multiple=True, metavar="NAME==VERSION",
            help="pin-requirements: pin NAME to VERSION (repeatable; wins over every other source).",
        ),
        click.option(
            "--python", "python", type=click.Path(path_type=Path), metavar="PATH",
            help="pin-requirements: take versions from what this interpreter has installed.",
        ),
        click.option("--latest", is_flag=True, help="pin-requirements: ask the package index for the newest release."),
        click.option("--no-cache", is_flag=True, help="Recompute every file instead of reusing .codemods_cache/."),
        click.option(
            "--shard", metavar="K/N", callback=_parse_shard,
            help="Only the files of shard K of N (split by path, the same on every machine; for CI job matrices).",
        ),
        click.option("--timings", is_flag=True, help="Also print where the time went, phase by phase."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def _load_project_plugins() -> None:
    """The project's own codemods (`plugins` in the configuration found from here), for list and explain."""
    from codemods import config

    try:
        config.load(config.find(Path.cwd()))
    except config.ConfigError as exc:
        raise UsageProblem(str(exc)) from None


@cli.command("list")
def list_command() -> None:
    """List every codemod, its summary and whether it runs by default."""
    from codemods import registry

    _load_project_plugins()
    codemods = registry.all_codemods()
    width = max((len(name) for name in codemods), default=4)
    for name, cls in codemods.items():
        default = "on" if cls.DEFAULT else "off"
        click.echo(f"{name:<{width}}  {default:<3}  {cls.SUMMARY}")


@cli.command("explain")
@click.argument("name")
@click.option("--all", "show_all", is_flag=True, help="Show every example, not only the first three.")
def explain_command(name: str, show_all: bool) -> None:
    """Show what a codemod does, why, how safe it is, and its examples."""
    from codemods import registry

    _load_project_plugins()
    try:
        cls = registry.get(name)
    except registry.UnknownCodemod as exc:
        raise UsageProblem(str(exc)) from None
    from codemods.docs import explain

    click.echo(explain(cls, None if show_all else 3), nl=False)


@cli.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "report_format", type=click.Choice(["text", "markdown", "json", "sarif"]), default="text",
    show_default=True, help="text: tables for a terminal; markdown: the cleanup report; json; sarif: code scanning.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE", help="Write the report here.")
@click.option(
    "--fail-on", type=click.Choice(["high", "medium", "low"]), default=None,
    help="Exit 1 when a finding of this priority or higher exists (for CI).",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Leave out matching files (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes [CPU count].")
@click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
    help="Colour the text report.",
)
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="pyproject.toml to read.")
@click.option("--include-generated", is_flag=True, help="Also scan files marked @generated.")
def scan_command(
    paths: tuple[Path, ...], report_format: str, output: Path | None, fail_on: str | None, exclude: tuple[str, ...],
    jobs: int | None, color: str, config_file: Path | None, include_generated: bool,
) -> None:
    """Write the cleanup report: what is there to clean up, where, how urgent, and which codemod fixes it."""
    from codemods import scan_formats
    from codemods.files import write_atomic
    from codemods.findings import Priority
    from codemods.scan import scan

    targets = [Path(p) for p in (paths or (Path("."),))]
    options = with_checkout_environment(build_options(targets, (), (), exclude, jobs, config_file, include_generated))
    show = (lambda step: click.echo(f"codemods: {step}...", err=True)) if sys.stderr.isatty() else None
    report = scan(targets, options, progress=show)
    if report_format == "text":
        use_color = output is None and (color == "always" or (color == "auto" and sys.stdout.isatty()))
        rendered = scan_formats.text(report, use_color)
    else:
        rendered = {"markdown": scan_formats.markdown, "json": scan_formats.json_text, "sarif": scan_formats.sarif}[
            report_format
        ](report)
    if output is not None:
        try:
            write_atomic(output, rendered.encode("utf-8"))
        except OSError as exc:
            raise UsageProblem(f"{output}: cannot write the report: {exc.strerror or exc}") from None
        click.echo(f"codemods: report written to {output}", err=True)
    else:
        click.echo(rendered, nl=False)
    worst = report.worst()
    code = EXIT_OK
    if fail_on is not None and worst is not None and worst.rank >= Priority(fail_on).rank:
        click.echo(f"codemods: findings of priority {worst.value} (--fail-on {fail_on})", err=True)
        code = EXIT_CHANGES
    if report.failures:
        from codemods import render

        click.echo(render.failures_text(report.failures), err=True, nl=False)
        code = EXIT_FAILED
    sys.exit(code)


@cli.command("diff")
@run_options
@click.option("--check", is_flag=True, help="Exit 1 when anything would change (for CI).")
@click.option(
    "--format", "patch_format", type=click.Choice(["unified", "patches"]), default="unified", show_default=True,
    help="unified: one patch on stdout; patches: one `git format-patch` file per codemod in --output.",
)
@click.option(
    "--output", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
    help="With --format patches: the folder to write the patch files to.",
)
@click.option("--base", metavar="REF", help="With --format patches: the commit the series starts from [HEAD].")
def diff_command(check: bool, patch_format: str, output: Path | None, base: str | None, **kwargs: Any) -> None:
    """Preview every change as a unified diff on stdout; writes nothing."""
    if patch_format == "patches":
        if output is None:
            raise UsageProblem("--format patches needs --output DIR (the folder for the patch files)")
        if check or kwargs["as_json"]:
            raise UsageProblem("--format patches does not go with --check or --json")
        sys.exit(_run_series(kwargs, base=base, output=output))
    if output is not None or base is not None:
        raise UsageProblem(f"{'--output' if output is not None else '--base'} goes with --format patches")
    sys.exit(_run("diff", check=check, **kwargs))


@cli.command("apply")
@run_options
@click.option(
    "--branch", metavar="NAME",
    help="Commit the changes on a new branch, one commit per codemod, built in a temporary worktree "
    "(your working tree, index and current branch are not touched).",
)
@click.option("--base", metavar="REF", help="With --branch: the commit the branch starts from [HEAD].")
@click.option(
    "--pr-body", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
    help="With --branch: write the pull-request description to FILE [stdout].",
)
@click.option("--push", "push_remote", metavar="REMOTE", help="With --branch: push the branch to REMOTE.")
@click.option(
    "--verify", metavar="CMD",
    help="With --branch: run CMD (your test command) after each commit; a commit whose tests fail is dropped.",
)
@click.option("--force", is_flag=True, help="With --branch: replace a branch of that name.")
def apply_command(
    branch: str | None,
    base: str | None,
    pr_body: Path | None,
    push_remote: str | None,
    verify: str | None,
    force: bool,
    **kwargs: Any,
) -> None:
    """Write every change in place, or (--branch) commit it on a cleanup branch."""
    if branch is None:
        given = (("--base", base), ("--pr-body", pr_body), ("--push", push_remote), ("--verify", verify), ("--force", force))
        extra = [flag for flag, value in given if value]
        if extra:
            raise UsageProblem(f"{extra[0]} goes with --branch NAME")
        sys.exit(_run("apply", check=False, **kwargs))
    sys.exit(
        _run_series(
            kwargs, base=base, branch=branch, pr_body=pr_body, push_remote=push_remote, verify=verify, force=force
        )
    )


def _run(
    command: str,
    *,
    paths: Sequence[Path],
    only: Sequence[str],
    skip: Sequence[str],
    exclude: Sequence[str],
    jobs: int | None,
    color: str,
    config_file: Path | None,
    as_json: bool,
    include_generated: bool,
    check: bool,
    pins: Sequence[str],
    python: Path | None,
    latest: bool,
    no_cache: bool,
    shard: tuple[int, int] | None,
    timings: bool,
) -> int:
    from codemods import api, render

    started = time.perf_counter()
    options = build_options(paths or (Path("."),), only, skip, exclude, jobs, config_file, include_generated)
    options = with_pin_overrides(options, pins, python, latest)
    options = dataclasses.replace(options, cache=not no_cache, shard=shard)
    targets = [Path(p) for p in (paths or (Path("."),))]
    progress = _progress_bar() if not as_json and sys.stderr.isatty() else None
    try:
        run = api.run_paths(targets, options, progress=progress.update if progress else None)
    finally:
        if progress:
            progress.close()
    if command == "apply":
        run.mark_failed(api.write(run.modified, options.root))
    failures = [(r.path, r.error or "") for r in run.results if r.status.value == "error"]
    summary = run.summary()
    if failures:
        code = EXIT_FAILED
    elif check and run.modified:
        code = EXIT_CHANGES
    else:
        code = EXIT_OK
    if as_json:
        document = render.json_document(
            command, str(options.root), summary, run.results, run.behaviour_changes, code
        )
        click.echo(document, nl=False)
        return code
    if command == "diff":
        rendering = time.perf_counter()
        _print_patch(render.patch(run.modified), color)
        summary.timings["diff"] = time.perf_counter() - rendering
    summary.elapsed = time.perf_counter() - started  # what the user waited, rendering included
    click.echo(render.summary_text(command, summary, run.results, run.behaviour_changes), err=True, nl=False)
    if timings:
        click.echo(render.timings_text(summary), err=True, nl=False)
    if failures:
        click.echo(render.failures_text(failures), err=True, nl=False)
    return code


def _run_series(
    kwargs: dict[str, Any],
    *,
    base: str | None,
    output: Path | None = None,
    branch: str | None = None,
    pr_body: Path | None = None,
    push_remote: str | None = None,
    verify: str | None = None,
    force: bool = False,
) -> int:
    """`apply --branch` and `diff --format patches`: one commit per codemod, built in a worktree."""
    from codemods import pr_body as pr
    from codemods import render, series, vcs
    from codemods.files import write_atomic

    if kwargs["shard"] is not None:
        raise UsageProblem("--shard does not go with --branch or --format patches (a branch holds every change)")
    paths = [Path(p) for p in (kwargs["paths"] or (Path("."),))]
    options = build_options(
        paths, kwargs["only"], kwargs["skip"], kwargs["exclude"], kwargs["jobs"], kwargs["config_file"],
        kwargs["include_generated"],
    )
    options = with_checkout_environment(with_pin_overrides(options, kwargs["pins"], kwargs["python"], kwargs["latest"]))
    show = (lambda step: click.echo(f"codemods: {step}...", err=True)) if sys.stderr.isatty() else None
    try:
        repo = vcs.open_repo(paths[0].resolve() if paths[0].is_dir() else paths[0].resolve().parent)
        if branch is not None:
            vcs.check_branch_name(repo, branch)
            if vcs.branch_exists(repo, branch) and not force:
                raise vcs.GitProblem(f"--branch {branch}: the branch exists already (pick another name, or --force to replace it)")
            standing = vcs.checked_out_at(repo, branch)
            if standing is not None:
                raise vcs.GitProblem(
                    f"--branch {branch}: checked out in {standing}, so it cannot be replaced (pick another name)"
                )
        start = vcs.resolve_commit(repo, base or "HEAD")
        who = vcs.identity(repo)
        built = series.build(repo, start, paths, options, who, verify=verify, progress=show)
        base_label = f"`{base}`" if base else (f"`{vcs.current_branch(repo)}`" if vcs.current_branch(repo) else "a detached HEAD")
        body = pr.render(built, branch, base_label)
        written: list[Path] = []
        if built.landed:
            if output is not None:
                written = vcs.format_patches(repo, built.base, built.head, output)
            if branch is not None:
                vcs.create_branch(repo, branch, built.head, force)
            if pr_body is not None:
                write_atomic(pr_body, body.encode("utf-8"))
        pushed = bool(built.landed and branch and push_remote)
        if pushed:
            try:
                vcs.push(repo, push_remote, branch, force)  # type: ignore[arg-type]
            except vcs.GitProblem as exc:
                raise vcs.GitProblem(f"{exc} (the branch {branch} is made; push it yourself once the remote is right)") from None
    except (vcs.GitProblem, series.SeriesProblem) as exc:
        raise UsageProblem(str(exc)) from None
    if kwargs["as_json"]:
        click.echo(render.series_json(built, branch, written, pushed), nl=False)
    elif built.landed and branch is not None and pr_body is None:
        click.echo(body, nl=False)
    click.echo(render.series_text(built, branch, written, pr_body, push_remote if pushed else None,
                                  vcs.current_branch(repo) if base is None else base, pr.title(built)), err=True, nl=False)
    return EXIT_FAILED if any(step.failures for step in built.steps) else EXIT_OK


def with_checkout_environment(options: Options) -> Options:
    """Name the checkout's own .venv for pin-requirements: a worktree has no untracked folder."""
    from codemods.analysis.version_sources import find_environment

    current = _codemod_options(options, "pin-requirements")
    found = find_environment(options.project_root)
    if current.python is not None or found is None:
        return options
    return _with_codemod_options(options, "pin-requirements", python=str(found))


def _codemod_options(options: Options, name: str) -> Any:
    from codemods import registry

    return options.codemod_config.get(name) or registry.get(name).OPTIONS()


def _with_codemod_options(options: Options, name: str, **changes: Any) -> Options:
    """``options`` with fields of one codemod's OPTIONS replaced (validated by its __post_init__)."""
    updated = dataclasses.replace(_codemod_options(options, name), **changes)
    return dataclasses.replace(options, codemod_config={**options.codemod_config, name: updated})


def build_options(
    paths: Sequence[Path],
    only: Sequence[str],
    skip: Sequence[str],
    exclude: Sequence[str],
    jobs: int | None,
    config_file: Path | None,
    include_generated: bool,
) -> Options:
    from codemods import config, registry

    for path in paths:
        if not path.exists():
            raise UsageProblem(f"{path}: no such file or directory")
    first = paths[0].resolve()
    if config_file is not None and not config_file.is_file():
        raise UsageProblem(f"{config_file}: configuration file not found")
    config_path = config_file.resolve() if config_file else config.find(first)
    try:
        settings = config.load(config_path)
        selected_only = _names(only) or settings.only
        selected_skip = (*settings.skip, *_names(skip))
        if not registry.select(selected_only, selected_skip):  # also validates the names
            click.echo("codemods: warning: no codemod selected (--only/--skip exclude them all)", err=True)
    except config.ConfigError as exc:
        raise UsageProblem(str(exc)) from None
    except registry.UnknownCodemod as exc:
        raise UsageProblem(f"{exc} (see `codemods list`)") from None
    git_root = find_git_root(first if first.is_dir() else first.parent)
    # Diff paths are relative to the repository root; outside git, to the current
    # directory when the targets are under it (else to their common folder), so
    # that `git apply` run there accepts them.
    folders = [str(p.resolve() if p.is_dir() else p.resolve().parent) for p in paths]
    cwd = Path.cwd().resolve()
    common = Path(os.path.commonpath([*folders]))
    root = git_root or (cwd if common == cwd or cwd in common.parents else common)
    project_root = config_path.parent if config_path else (git_root or (first if first.is_dir() else first.parent))
    return Options(
        root=root,
        project_root=project_root,
        only=selected_only,
        skip=selected_skip,
        exclude=(*settings.exclude, *exclude),
        jobs=jobs or os.cpu_count() or 1,
        include_generated=include_generated or settings.include_generated,
        config_path=config_path,
        plugins=settings.plugins,
        codemod_config=settings.codemods,
    )


def _names(values: Sequence[str]) -> tuple[str, ...]:
    """`--only a,b --only c` -> (a, b, c), as ruff's `--select A,B` reads."""
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())


def with_pin_overrides(options: Options, pins: Sequence[str], python: Path | None, latest: bool) -> Options:
    """Fold --pin/--python/--latest into the pin-requirements options (they win over the config)."""
    if not pins and python is None and not latest:
        return options
    from codemods.base import OptionError

    merged = dict(_codemod_options(options, "pin-requirements").pins)
    for pin in pins:
        name, separator, version = pin.partition("==")
        if not separator or not name.strip() or not version.strip():
            raise UsageProblem(f"--pin {pin}: expected NAME==VERSION, for example --pin websockets==14.1")
        merged[name.strip()] = version.strip()
    if python is not None and not python.is_file():
        raise UsageProblem(f"--python {python}: no such file (give the path of a Python interpreter)")
    changes: dict[str, Any] = {"pins": merged}
    if python is not None:
        # absolute(), not resolve(): a venv's bin/python is a symlink to the base
        # interpreter, and following it would read the base's packages, not the venv's.
        changes["python"] = str(python.absolute())
    if latest:
        changes["latest"] = True
    try:
        return _with_codemod_options(options, "pin-requirements", **changes)
    except OptionError as exc:
        raise UsageProblem(f"--pin: {exc}") from None


def _print_patch(data: bytes, color: str) -> None:
    from codemods import render

    if not data:
        return
    use_color = color == "always" or (color == "auto" and sys.stdout.isatty())
    if not use_color:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)  # bytes: CRLF and legacy encodings must survive
        sys.stdout.buffer.flush()
        return
    from rich.console import Console

    console = Console(force_terminal=True, highlight=False, soft_wrap=True)
    console.print(render.colorize(data), end="")


class _progress_bar:
    """A rich progress bar on stderr, shown only for long runs."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def update(self, done: int, total: int) -> None:
        if total < PROGRESS_MIN_FILES:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("codemods", total=total)
        self._bar.update(self._task, completed=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: usage errors are one line and exit 2."""
    try:
        code = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.UsageError as exc:
        hint = f" (see `codemods {exc.ctx.command.name} --help`)" if exc.ctx and exc.ctx.command.name else ""
        click.echo(f"codemods: error: {exc.format_message()}{hint}", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        click.echo("codemods: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
