"""The ``vagg`` command line: demo, run, validate, init.

Errors in the user's data or configuration print one line naming the fault
and exit with status 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vagg._errors import DataError, SpecificationError

EXIT_USER_ERROR = 2


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_USER_ERROR)


@click.group(help="vagg: virtual agglomeration and regional industrial synergy.")
@click.version_option(package_name="vagg")
def main() -> None:
    """Entry point of the console script."""


@main.command(help="Summarise a panel file and check it: entities, years, balance, missing values.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--entity", required=True, help="Entity id column (e.g. adcode).")
@click.option("--time", "time_", required=True, help="Year column.")
@click.option("--balanced/--unbalanced-ok", default=False, help="Fail when the panel has gaps.")
def validate(path: Path, entity: str, time_: str, balanced: bool) -> None:
    from vagg.data import panel_summary, read_panel, validate_panel

    try:
        df = read_panel(path, entity, time_)
        if balanced:
            validate_panel(df, balanced=True)
    except (DataError, SpecificationError) as exc:
        _fail(exc)
    summary = panel_summary(df)
    click.echo(f"file: {path}")
    click.echo(f"entities: {summary['entities']}")
    click.echo(f"years: {summary['years']}")
    click.echo(f"observations: {summary['observations']}")
    click.echo(f"columns: {summary['columns']}")
    gaps = summary["missing_city_years"]
    click.echo("balanced: yes" if summary["balanced"] else f"balanced: no ({len(gaps)} missing city-years: "
               + ", ".join(gaps[:10]) + (" ..." if len(gaps) > 10 else "") + ")")
    missing = summary["missing_by_column"]
    if missing:
        click.echo("missing values by column:")
        for column, count in missing.items():
            click.echo(f"  {column}: {count}")
    else:
        click.echo("missing values: none")


@main.command(help="Run the whole analysis on the bundled (simulated) Guangdong demo panel.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("vagg-demo"), show_default=True,
              help="Output folder.")
@click.option("--quiet", is_flag=True, help="No progress display.")
def demo(out: Path, quiet: bool) -> None:
    from vagg.pipeline import run_demo

    try:
        manifest = run_demo(out, progress=not quiet)
    except (DataError, SpecificationError) as exc:
        _fail(exc)
    click.echo(f"wrote {len(manifest['files'])} files to {out} (report: {out / 'report.html'})")


@main.command(help="Run the whole analysis described by a TOML config.")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Override the output folder.")
@click.option("--quiet", is_flag=True, help="No progress display.")
def run(config: Path, out: Path | None, quiet: bool) -> None:
    from vagg.config import load_config
    from vagg.pipeline import run_pipeline

    try:
        cfg = load_config(config)
        manifest = run_pipeline(cfg, out=out, progress=not quiet)
    except (DataError, SpecificationError) as exc:
        _fail(exc)
    click.echo(f"wrote {len(manifest['files'])} files to {manifest['out']}")


@main.command(help="Write a commented starter config and indicator system into DIR.")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def init(directory: Path, force: bool) -> None:
    from vagg.config import write_starter

    try:
        written = write_starter(directory, force=force)
    except (DataError, SpecificationError) as exc:
        _fail(exc)
    for path in written:
        click.echo(f"wrote {path}")


@main.command("report-pdf", help="Print DIR/report.html to DIR/report.pdf with headless Chromium.")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--pdf", "pdf", type=click.Path(path_type=Path), default=None, help="Target (default DIR/report.pdf).")
def report_pdf_command(directory: Path, pdf: Path | None) -> None:
    from vagg.report.pdf import report_pdf

    try:
        target = report_pdf(directory, pdf)
    except (DataError, SpecificationError) as exc:
        _fail(exc)
    click.echo(f"wrote {target}")


if __name__ == "__main__":  # pragma: no cover
    main()
