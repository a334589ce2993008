"""The ``nngrade`` command: thin click wrappers around plain functions."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from graders import __version__

SANDBOX = click.Choice(["strict", "best-effort", "off"])


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename; never follows a planted symlink."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _emit(text: str, output: str | None) -> None:
    if output:
        write_atomically(Path(output), text)
        click.echo(f"report written to {output}", err=True)
    else:
        click.echo(text)


def _config(path):
    from graders.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _grade(submission, mode, config, seed, mnist_dir, sandbox, submission_id):
    from graders.engine import grade
    from graders.sandbox import SandboxUnavailable

    try:
        return grade(submission, mode=mode, config=_config(config), seed=seed, mnist_dir=mnist_dir,
                     sandbox=sandbox, submission_id=submission_id)
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
@click.option("--mnist-dir", type=click.Path(), help="Directory with the MNIST IDX files.")
@click.option("--sandbox", type=SANDBOX, default="best-effort", show_default=True,
              help="strict refuses to grade without namespace isolation.")
@click.option("--id", "submission_id", help="Submission id in the report (default: the file name).")
def grade_command(submission, fmt, output, seed, config, mnist_dir, sandbox, submission_id):
    """Grade SUBMISSION (a .py file, a package directory or a notebook): public and hidden checks."""
    from graders.render import render

    report = _grade(submission, "grade", config, seed, mnist_dir, sandbox, submission_id)
    _emit(render(report, fmt), output)


@main.command("check")
@click.argument("submission", type=click.Path())
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Assignment configuration (TOML).")
@click.option("--mnist-dir", type=click.Path(), help="Directory with the MNIST IDX files.")
@click.option("--sandbox", type=SANDBOX, default="best-effort", show_default=True)
def check_command(submission, config, mnist_dir, sandbox):
    """Pre-check SUBMISSION before you hand it in: public checks only; exit code 0 when all pass."""
    from graders.render import render

    report = _grade(submission, "check", config, None, mnist_dir, sandbox, None)
    click.echo(render(report, "text", student_view=True))
    sys.exit(0 if report.checks and all(c.status == "passed" for c in report.checks) else 1)


@main.group("fixtures")
def fixtures_group():
    """Build or verify the fixtures generated from the reference."""


@fixtures_group.command("build")
@click.option("--out", type=click.Path(file_okay=False), help="Target folder (default: the kit's fixtures/).")
def fixtures_build(out):
    """Regenerate public/ and hidden/ fixtures and the manifest deterministically."""
    from graders.fixture_build import build_fixtures
    from graders.fixture_store import fixtures_dir

    manifest = build_fixtures(Path(out) if out else fixtures_dir())
    click.echo(f"{len(manifest['files'])} fixture files written (version {manifest['version']})")


@fixtures_group.command("verify")
def fixtures_verify():
    """Compare every fixture file with the sha256 in the manifest."""
    from graders.fixture_store import verify_fixtures

    problems = verify_fixtures()
    for problem in problems:
        click.echo(f"fixture problem: {problem}", err=True)
    click.echo("fixtures verified" if not problems else f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


@main.group("template")
def template_group():
    """Generate the student template from the reference."""


@template_group.command("build")
def template_build():
    """Write student_template/ from reference/ (solution regions become NotImplementedError)."""
    from graders.template import build_template

    for path in build_template():
        click.echo(f"wrote {path}")


@template_group.command("verify")
def template_verify():
    """Fail when student_template/ differs from what the reference generates."""
    from graders.template import stale_template_files

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
    from graders.data import fetch_mnist

    try:
        path = fetch_mnist(Path(dest) if dest else None)
    except (OSError, RuntimeError, ValueError) as exc:
        click.echo(f"nngrade: download failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"MNIST is in {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
