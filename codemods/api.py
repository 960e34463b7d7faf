"""Run codemods over paths: discover, plan, transform (in a pool), finish.

Never prints; the CLI renders what this returns. Writing is a separate step
(``write``) so a dry run and a real run share every other line.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from codemods import cache, engine, registry
from codemods.base import Plan, Project, ProjectFile
from codemods.files import DecodeError, decode, discover, module_name, read_bytes, write_atomic
from codemods.models import PHASES, FileResult, Finding, Kind, Options, Status, Summary

POOL_THRESHOLD = 8  # below this many files a process pool costs more than it saves


@dataclass
class Run:
    """Everything one run produced, in a stable order (sorted by path)."""

    options: Options
    results: list[FileResult]
    findings: list[Finding] = field(default_factory=list)  # project-wide, not tied to one file's run
    behaviour_changes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # codemod -> notes
    elapsed: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds of the run's own phases

    def summary(self) -> Summary:
        summary = Summary()
        for result in self.results:
            summary.add(result)
        summary.findings.extend(self.findings)
        summary.elapsed = self.elapsed
        per_file = {phase: summary.timings[phase] for phase in PHASES if phase in summary.timings}
        summary.timings = {**self.timings, **per_file}
        return summary

    @property
    def modified(self) -> list[FileResult]:
        return [r for r in self.results if r.modified]

    def mark_failed(self, failures: Iterable[tuple[str, str]]) -> None:
        """Record files that could not be written as failed (status ERROR with the reason)."""
        reasons = dict(failures)
        self.results = [
            replace(r, status=Status.ERROR, error=reasons[r.path]) if r.path in reasons else r for r in self.results
        ]


def run_paths(
    paths: Sequence[Path],
    options: Options,
    progress: Callable[[int, int], None] | None = None,
) -> Run:
    """Transform every file under ``paths``; returns all results, writes nothing."""
    started = time.perf_counter()
    clock = engine.Stopwatch()  # the run's own phases, wall clock
    classes = registry.select(options.only, options.skip)
    handles = lambda name: any(cls.handles(name) for cls in classes)  # noqa: E731
    files = discover(paths, handles, options.exclude, exclude_root=options.project_root)
    clock.lap("discovery")
    project = Project(
        root=options.root,
        project_root=options.project_root,
        modules={_relative(f, options.root): module_name(f) for f in files},
    )
    plans: dict[str, Plan] = {
        cls.NAME: cls.plan(project, options.codemod_config.get(cls.NAME) or cls.OPTIONS()) for cls in classes
    }
    names = tuple(cls.NAME for cls in classes)
    planned = {name: plan.options for name, plan in plans.items()}
    plugins = (options.plugins, str(options.config_path.parent) if options.config_path else "")
    jobs = [
        (str(path), engine.Job(rel, project.modules[rel], names, planned, options.include_generated), plugins)
        for path, rel in ((f, _relative(f, options.root)) for f in files)
        if any(cls.accepts(rel, planned[cls.NAME]) for cls in classes)
        and (options.shard is None or in_shard(rel, *options.shard))
    ]
    clock.lap("plan")
    configuration = (names, planned, options.include_generated, str(options.root))
    store = _open_store(options, classes, configuration) if options.cache else None
    results: list[FileResult] = []
    if store is not None:
        jobs, results = _reuse(jobs, store)
        clock.lap("cache")
    fresh = list(_execute(jobs, options.jobs, progress))
    clock.lap("files")
    if store is not None:
        for (_, job, _), result in zip(jobs, fresh):
            store.put(result, job.module)
        store.prune(options.root)
        store.save()
        clock.lap("cache")
    run = Run(options=options, results=results + fresh, timings=clock.spent)
    _finish(run, classes, plans, project)
    clock.lap("finish")
    run.elapsed = time.perf_counter() - started
    return run


def in_shard(path: str, index: int, count: int) -> bool:
    """Whether ``path`` (relative to the root) belongs to shard ``index`` of ``count`` (1-based).

    By a hash of the path, so the split is the same on every machine and a file
    stays in its shard when others are added or removed.
    """
    return int(cache.digest(path.encode("utf-8"))[:8], 16) % count == index - 1


def _open_store(options: Options, classes: Sequence[type], configuration: object) -> cache.Store | None:
    modules = {cls.__module__ for cls in classes}
    key = cache.run_key(cache.code_fingerprint(modules), configuration)
    return cache.Store(options.project_root / cache.DIRECTORY, key) if key is not None else None


def _reuse(jobs: list[Work], store: cache.Store) -> tuple[list[Work], list[FileResult]]:
    """Split ``jobs`` into those to run and the results the store already holds."""
    missed: list[Work] = []
    reused: list[FileResult] = []
    for item in jobs:
        path, job, _ = item
        try:
            data = read_bytes(Path(path))
        except OSError:
            missed.append(item)  # the worker reports why it cannot be read
            continue
        hit = store.get(job.path, job.module, data)
        if hit is None:
            missed.append(item)
        else:
            reused.append(hit)
    return missed, reused


def run_source(
    text: str,
    path: str = "example.py",
    codemods: Sequence[str] | None = None,
    config: dict[str, object] | None = None,
    module: str | None = None,
) -> FileResult:
    """Run codemods on one in-memory source, as if it were ``path`` in a checkout.

    ``config`` maps codemod NAME to its ``[tool.codemods.<name>]`` table. The
    module name defaults to the path's dotted form. Nothing touches the disk.
    """
    classes = [registry.get(n) for n in codemods] if codemods is not None else registry.select()
    module = module if module is not None else path.removesuffix(".py").replace("/", ".")
    root = Path.cwd()
    project = Project(root=root, project_root=root, modules={path: module}, sources={path: text})
    planned = {}
    for cls in classes:
        table = (config or {}).get(cls.NAME) or {}
        planned[cls.NAME] = cls.plan(project, registry.build_options(cls, table)).options  # type: ignore[arg-type]
    job = engine.Job(path, module, tuple(c.NAME for c in classes), planned)
    return engine.run(job, text.encode("utf-8"), classes)


def _relative(path: Path, root: Path) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


Work = tuple[str, engine.Job, tuple[tuple[str, ...], str]]  # (file, job, (plugin modules, their folder))


def _work(item: Work) -> FileResult:
    path, job, (plugins, search) = item
    registry.load_plugins(plugins, search)  # a no-op unless this is a fresh worker process
    started = time.perf_counter()
    try:
        data = read_bytes(Path(path))
    except OSError as exc:
        return FileResult(job.path, Status.ERROR, error=f"cannot read: {exc.strerror or exc}")
    read = time.perf_counter() - started
    result = engine.run(job, data, [registry.get(name) for name in job.codemods])
    return replace(result, timings={"read": read, **result.timings})


def _execute(
    jobs: list[Work], workers: int, progress: Callable[[int, int], None] | None
) -> Iterator[FileResult]:
    total = len(jobs)
    if workers <= 1 or total < POOL_THRESHOLD:
        for done, item in enumerate(jobs, 1):
            yield _work(item)
            if progress:
                progress(done, total)
        return
    chunksize = max(1, min(64, total // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, result in enumerate(pool.map(_work, jobs, chunksize=chunksize), 1):
            yield result
            if progress:
                progress(done, total)


def _finish(run: Run, classes: Sequence[type], plans: dict[str, Plan], project: Project) -> None:
    """Apply what plans promised for codemods that changed something; collect project findings."""
    by_path = {r.path: i for i, r in enumerate(run.results)}
    for cls in classes:
        plan = plans[cls.NAME]
        changed = [r for r in run.results if r.changes.get(cls.NAME)]
        relevant = changed or any(f.codemod == cls.NAME for r in run.results for f in r.findings)
        # A note (how to configure, which helper was used) matters only where the codemod had work.
        run.findings.extend(f for f in plan.findings if f.kind is not Kind.NOTE or relevant)
        if not changed:
            continue
        notes = cls.behaviour_notes([f for r in run.results for f in r.findings if f.codemod == cls.NAME])
        if notes:
            run.behaviour_changes[cls.NAME] = notes
        scopes = dict(plan.scopes)
        for path, text in plan.creates:
            if path in by_path or (project.root / path).exists():
                continue
            users = scopes.get(path)
            if users is not None and not any(r.path in users for r in changed):
                continue
            run.results.append(
                FileResult(path, Status.CREATED, before=None, after=text.encode("utf-8"))
            )
            by_path[path] = len(run.results) - 1
        for path, edit in plan.finish:
            _apply_finish(run, by_path, project, path, edit, cls.NAME)
        changed_files = [
            ProjectFile(r.path, project.modules.get(r.path), "") for r in run.results if r.changes.get(cls.NAME)
        ]
        run.findings.extend(cls.after_run(changed_files, project))
    run.results.sort(key=lambda r: r.path)


def _apply_finish(
    run: Run, by_path: dict[str, int], project: Project, path: str, edit: Callable[[str], str], name: str
) -> None:
    index = by_path.get(path)
    if index is None:
        try:
            data = read_bytes(project.root / path)
        except OSError as exc:
            run.findings.append(Finding(name, path, 0, f"cannot read: {exc}", Kind.WARNING))
            return
        result = FileResult(path, Status.UNCHANGED, before=data)
        run.results.append(result)
        index = by_path[path] = len(run.results) - 1
    result = run.results[index]
    if result.before is None:
        return
    try:
        source = decode(result.before)
        current = decode(result.after).text if result.after is not None else source.text
        after = source.encode(edit(current))
    except (DecodeError, Exception) as exc:  # the edit parses the module; keep the run going
        run.findings.append(Finding(name, path, 0, f"could not add the helper: {exc}", Kind.WARNING))
        return
    status = Status.CHANGED if result.status is not Status.ERROR else result.status
    run.results[index] = replace(result, status=status, after=after)


def write(results: Iterable[FileResult], root: Path) -> list[tuple[str, str]]:
    """Write every modified result atomically; returns (path, reason) for failures."""
    failures = []
    for result in results:
        if result.after is None:
            continue
        try:
            write_atomic(root / result.path, result.after)
        except OSError as exc:
            failures.append((result.path, f"cannot write: {exc.strerror or exc}"))
    return failures
