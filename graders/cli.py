"""The ``nngrade`` command: thin click wrappers around plain functions."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from nngrade import __version__
from nngrade.engine.fsutil import write_atomically

SANDBOX = click.Choice(["strict", "best-effort", "off"])


def _emit(text: str, output: str | None) -> None:
    if output:
        try:
            write_atomically(Path(output), text)
        except OSError as exc:
            click.echo(f"nngrade: cannot write the report to {output}: {exc}", err=True)
            sys.exit(1)
        click.echo(f"report written to {output}", err=True)
    else:
        click.echo(text)


def _config(path):
    from nngrade.engine.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _grade(submission, mode, config, seed, data_dir, sandbox, submission_id, only=None):
    """Grade; ``config`` is a path or an already loaded configuration."""
    from nngrade.engine.grading import grade
    from nngrade.engine.selection import SelectionError, matcher
    from nngrade.sandbox import SandboxUnavailable

    if only is not None:
        try:
            matcher(only)
        except SelectionError as exc:
            raise click.UsageError(str(exc)) from None
    try:
        loaded = config if isinstance(config, dict) else _config(config)
        return grade(submission, mode=mode, config=loaded, seed=seed, data_dir=data_dir,
                     sandbox=sandbox, submission_id=submission_id, only=only)
    except SandboxUnavailable as exc:
        click.echo(f"nngrade: cannot grade with --sandbox {sandbox}: {exc}", err=True)
        sys.exit(3)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nngrade")
def main():
    """Autograder for the neural-network-from-scratch NumPy assignment."""


@main.command("grade")
@click.argument("submission", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["json", "gradescope", "prairielearn", "text"]),
              default="json", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here (atomically).")
@click.option("--seed", type=int, help="Offset the XOR and MNIST seeds (default: the configured ones).")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Assignment configuration (TOML).")
@click.option("--data-dir", "--mnist-dir", "data_dir", type=click.Path(),
              help="Directory with the assignment's data files (the MNIST IDX files).")
@click.option("--sandbox", type=SANDBOX, default="best-effort", show_default=True,
              help="strict refuses to grade without namespaces or Landlock+seccomp.")
@click.option("--id", "submission_id", help="Submission id in the report (default: the file name).")
@click.option("--only", metavar="EXPR",
              help="Run only the checks whose ids match, like pytest -k: 'softmax and not hidden'.")
@click.option("-v", "--verbose", is_flag=True, help="text: also list how the sandbox was set up.")
@click.option("--metadata", type=click.Path(dir_okay=False),
              help="Gradescope's submission_metadata.json: lateness from its times (see [late]).")
def grade_command(submission, fmt, output, seed, config, data_dir, sandbox, submission_id, only, verbose, metadata):
    """Grade SUBMISSION (a .py file, a package directory or a notebook): public and hidden checks.

    Exits 2 when SUBMISSION does not exist (the report, saying so, is still written).
    """
    from nngrade.batch.lateness import LatenessError, LatePolicy, from_gradescope_metadata, from_modification_time
    from nngrade.render import FeedbackSettings, render

    loaded = _config(config)
    policy = LatePolicy.from_config(loaded)
    try:
        late = (from_gradescope_metadata(metadata, policy) if metadata and Path(metadata).is_file()
                else from_modification_time(submission, policy) if Path(submission).exists() else {})
    except LatenessError as exc:
        raise click.UsageError(str(exc)) from None
    report = _grade(submission, "grade", loaded, seed, data_dir, sandbox, submission_id, only)
    report.set_lateness(late)
    _emit(render(report, fmt, settings=FeedbackSettings.from_config(loaded), verbose=verbose), output)
    if not os.path.lexists(submission):
        click.echo(f"nngrade: {submission} does not exist; the report says so", err=True)
        sys.exit(2)


@main.command("check")
@click.argument("submission", type=click.Path())
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Assignment configuration (TOML).")
@click.option("--data-dir", "--mnist-dir", "data_dir", type=click.Path(),
              help="Directory with the assignment's data files (the MNIST IDX files).")
@click.option("--sandbox", type=SANDBOX, default="best-effort", show_default=True,
              help="off: a plain subprocess without isolation (what best-effort runs on macOS and Windows).")
@click.option("--only", metavar="EXPR", help="Run only the checks whose ids match, like pytest -k.")
def check_command(submission, config, data_dir, sandbox, only):
    """Pre-check SUBMISSION before you hand it in: public checks only; exit code 0 when all pass."""
    from nngrade.render import FeedbackSettings, render

    loaded = _config(config)
    report = _grade(submission, "check", loaded, None, data_dir, sandbox, None, only)
    click.echo(render(report, "text", student_view=True, settings=FeedbackSettings.from_config(loaded)))
    from nngrade.engine.selection import was_skipped

    graded = [c for c in report.checks if not was_skipped(c)]
    sys.exit(0 if graded and all(c.status == "passed" for c in graded) else 1)


@main.group("fixtures")
def fixtures_group():
    """Build or verify the fixtures generated from the reference."""


@fixtures_group.command("build")
@click.option("--out", type=click.Path(file_okay=False), help="Target folder (default: the kit's fixtures/).")
def fixtures_build(out):
    """Regenerate the public fixtures and the manifest deterministically (hidden ones are drawn per grade)."""
    from nngrade.assignments.nn_from_scratch.fixture_build import build_fixtures
    from nngrade.engine.fixture_store import fixtures_dir

    manifest = build_fixtures(Path(out) if out else fixtures_dir())
    click.echo(f"{len(manifest['files'])} fixture files written (version {manifest['version']})")


@fixtures_group.command("mnist-reference")
@click.option("--mnist-dir", type=click.Path(), help="Directory with the MNIST IDX files.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Assignment configuration (TOML).")
@click.option("--out", type=click.Path(file_okay=False), help="Fixtures folder (default: the kit's fixtures/).")
def fixtures_mnist_reference(mnist_dir, config, out):
    """Precompute the reference's MNIST accuracy for the data found and record it with the fixtures."""
    from nngrade.assignments.nn_from_scratch.data import DatasetUnavailable, load_mnist
    from nngrade.assignments.nn_from_scratch.fixture_build import record_in_manifest
    from nngrade.assignments.nn_from_scratch.training.mnist_plan import (
        precompute_reference_accuracy,
    )
    from nngrade.engine.fixture_store import fixtures_dir

    try:
        data = load_mnist(mnist_dir)
    except DatasetUnavailable as exc:
        raise click.UsageError(str(exc)) from None
    folder = Path(out) if out else fixtures_dir()
    key, accuracy = precompute_reference_accuracy(data, _config(config)["mnist"], folder)
    record_in_manifest(folder, "mnist_reference.json")
    click.echo(f"{data.source}: reference accuracy {accuracy:.2%} recorded as {key} in {folder / 'mnist_reference.json'}")


@fixtures_group.command("verify")
def fixtures_verify():
    """Compare every fixture file with the sha256 in the manifest."""
    from nngrade.engine.fixture_store import verify_fixtures

    problems = verify_fixtures()
    for problem in problems:
        click.echo(f"fixture problem: {problem}", err=True)
    click.echo("fixtures verified" if not problems else f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


@main.group("template")
def template_group():
    """Generate the student template from the reference."""


@template_group.command("build")
@click.option("--hints", type=click.Choice(["none", "concept", "code"]), default="concept", show_default=True,
              help="How much the TODO texts say: nothing, what to compute, or also the formula.")
@click.option("--out", type=click.Path(file_okay=False),
              help="Target folder (default: the kit's student_template/, which must stay at concept).")
def template_build(hints, out):
    """Write student_template/ from reference/ (solution regions become NotImplementedError)."""
    from nngrade.authoring.template import build_template

    for path in build_template(Path(out) if out else None, hints=hints):
        click.echo(f"wrote {path}")


@template_group.command("verify")
def template_verify():
    """Fail when student_template/ differs from what the reference generates."""
    from nngrade.authoring.template import stale_template_files

    stale = stale_template_files()
    if stale:
        click.echo(f"stale template files: {', '.join(stale)}; run `nngrade template build`", err=True)
        sys.exit(1)
    click.echo("student template is in sync with the reference")


@main.group("data")
def data_group():
    """Datasets."""


@data_group.command("fetch")
@click.argument("name", type=click.Choice(["mnist"]))
@click.option("--dest", type=click.Path(file_okay=False), help="Target folder (default: the cache).")
def data_fetch(name, dest):
    """Download the four official MNIST files (checksums verified) into the cache."""
    from nngrade.assignments.nn_from_scratch.data import fetch_mnist

    try:
        path = fetch_mnist(Path(dest) if dest else None)
    except (OSError, RuntimeError, ValueError) as exc:
        click.echo(f"nngrade: download failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"MNIST is in {path}")


@main.command("batch")
@click.argument("submissions_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", "results_dir", type=click.Path(file_okay=False), required=True,
              help="Results folder: reports/, grades.csv, grades_canvas.csv, reports.jsonl.")
@click.option("--jobs", type=click.IntRange(1, 256), default=2, show_default=True,
              help="Submissions graded at once on this machine.")
@click.option("--force", is_flag=True, help="Regrade submissions whose report is already current.")
@click.option("--scheduler", help="Grade on Dask: tcp://HOST:PORT of a scheduler, or local:N for N local workers.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Assignment configuration (TOML).")
@click.option("--mnist-dir", type=click.Path(), help="Directory with the MNIST IDX files.")
@click.option("--sandbox", type=SANDBOX, default="best-effort", show_default=True)
@click.option("--seed", type=int, help="Offset the XOR and MNIST seeds.")
@click.option("--feedback-pages", is_flag=True, help="Also write feedback/<id>.html for every submission.")
@click.option("--canvas-assignment", help="Score column of grades_canvas.csv (default: the assignment name).")
@click.option("--executor", type=click.Choice(["thread", "process"]), default="thread", show_default=True,
              help="How local jobs run concurrently.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--layout", type=click.Choice(["gradescope", "moodle", "canvas", "plain"]),
              help="Read SUBMISSIONS_DIR as this layout instead of detecting it.")
def batch_command(submissions_dir, results_dir, jobs, force, scheduler, config, mnist_dir, sandbox, seed,
                  feedback_pages, canvas_assignment, executor, no_progress, layout):
    """Grade every submission in SUBMISSIONS_DIR into a results folder (resumable; see docs/BATCH.md)."""
    from nngrade.batch import DiscoveryError, SchedulerError, run_batch
    from nngrade.sandbox import SandboxUnavailable

    try:
        summary = run_batch(submissions_dir, results_dir, config=_config(config), jobs=jobs, force=force,
                            scheduler=scheduler, mnist_dir=mnist_dir, sandbox=sandbox, seed=seed,
                            executor=executor, feedback_pages=feedback_pages, canvas_assignment=canvas_assignment,
                            progress=not no_progress, layout=layout,
                            announce=lambda text: click.echo(text, err=True))
    except (DiscoveryError, SchedulerError) as exc:
        raise click.UsageError(str(exc)) from None
    except SandboxUnavailable as exc:
        click.echo(f"nngrade: cannot grade with --sandbox {sandbox}: {exc}", err=True)
        sys.exit(3)
    click.echo(f"{summary.total} submissions: {len(summary.graded)} graded, {len(summary.skipped)} already "
               f"current, {len(summary.infrastructure_errors)} infrastructure errors ({summary.seconds:.1f} s); "
               f"results in {results_dir}")
    sys.exit(4 if summary.infrastructure_errors else 0)


@main.command("report")
@click.argument("results_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="HTML file to write.")
@click.option("--student", "student_id", help="Write the feedback page of this submission id instead.")
@click.option("--title", default="Class report", show_default=True, help="Title of the class page.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Assignment configuration (TOML).")
def report_command(results_dir, output, student_id, title, config):
    """Write the class analytics page (or one submission's feedback page) of a batch as self-contained HTML."""
    from nngrade.batch.pages import class_page, student_page

    loaded = _config(config)
    try:
        text = (student_page(results_dir, student_id, hints=loaded["feedback"]["hints"]) if student_id
                else class_page(results_dir, title=title, config=loaded))
    except (FileNotFoundError, ValueError) as exc:
        raise click.UsageError(f"no report for {student_id!r} in {results_dir}: {exc}" if student_id
                               else str(exc)) from None
    write_atomically(Path(output), text)
    click.echo(f"wrote {output}", err=True)


@main.command("export")
@click.argument("kind", type=click.Choice(["gradescope", "student"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Zip file to write.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False),
              help="Assignment configuration the autograder uses (gradescope).")
@click.option("--no-diagnoses", is_flag=True,
              help="student: leave out the misconception detectors (they compute correct gradients).")
@click.option("--notebook", is_flag=True,
              help="student: write the hand-out as one Jupyter notebook (.ipynb) with check cells instead.")
def export_command(kind, output, config, no_diagnoses, notebook):
    """Build the Gradescope autograder zip or the student hand-out zip (see docs/LMS.md)."""
    from nngrade.batch.bundles import write_bundle

    loaded = _config(config)
    name = loaded["assignment"]["name"]
    if notebook:
        from nngrade.batch.handout import write_handout

        if kind != "student":
            raise click.UsageError("--notebook builds the student hand-out: use `nngrade export student --notebook`")
        write_handout(Path(output), name, hints=loaded["feedback"]["hints"])
        click.echo(f"wrote {output}", err=True)
        return
    try:
        write_bundle(kind, Path(output), config_path=config, assignment_name=name, diagnoses=not no_diagnoses)
    except FileNotFoundError as exc:
        click.echo(f"nngrade: {exc}", err=True)
        sys.exit(1)
    click.echo(f"wrote {output}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
