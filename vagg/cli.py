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


#: faults a user can fix; printed as one line: bad data or config, and files that cannot be written
USER_ERRORS = (DataError, SpecificationError, OSError)


def _fail(exc: Exception) -> None:
    if isinstance(exc, OSError) and not isinstance(exc, (DataError, SpecificationError)):
        where = f": {exc.filename}" if exc.filename else ""
        message = f"cannot write or read {exc.strerror or exc}{where}"
    else:
        message = str(exc)
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USER_ERROR)


def _interrupted(out: object) -> None:
    """Report a Ctrl-C and leave with status 130 (128 + SIGINT)."""
    click.echo(f"interrupted: {out} is unchanged (the previous complete result, or none)", err=True)
    # CPython marks a KeyboardInterrupt that escapes an eval() of a string (formulaic evaluates formula terms
    # that way) as unhandled, even when caught later, and under ``python -m`` then ends the process by SIGINT
    # (status -2) instead of this exit code; every eval() of a string clears that mark first.
    eval("None")  # noqa: S307 (a constant)
    sys.exit(130)


@click.group(help="vagg: virtual agglomeration and regional industrial synergy.")
@click.version_option(package_name="vagg")
def main() -> None:
    """Entry point of the console script."""


@main.command(help="Summarise a panel file and check it: entities, years, balance, missing values.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--entity", required=True, help="Entity id column (e.g. adcode).")
@click.option("--time", "time_", required=True, help="Year column.")
@click.option("--balanced/--unbalanced-ok", default=False, help="Fail when the panel has gaps.")
@click.option("--sheet", default=None, help="Spreadsheet sheet (first by default).")
@click.option("--header-row", type=int, default=None, help="0-based row of the column names (found by default).")
@click.option("--skip-rows", default="", help="Comma-separated 0-based rows to drop (e.g. a units row).")
@click.option("--na-value", "na_values", multiple=True, help="Extra placeholder read as missing (repeatable).")
@click.option("--totals", type=click.Choice(["drop", "refuse", "keep"]), default="drop", show_default=True,
              help="Province or national total rows: drop them with a note, refuse the file, or keep them.")
def validate(path: Path, entity: str, time_: str, balanced: bool, sheet: str | None, header_row: int | None,
             skip_rows: str, na_values: tuple[str, ...], totals: str) -> None:
    from vagg.data import panel_summary, read_panel, validate_panel

    try:
        rows = [int(r) for r in skip_rows.split(",") if r.strip()]
    except ValueError:
        _fail(SpecificationError(f"--skip-rows must list row numbers separated by commas, got {skip_rows!r}"))
    try:
        df = read_panel(path, entity, time_, sheet=sheet, header_row=header_row, skip_rows=rows,
                        na_values=na_values, totals=totals)
        if balanced:
            validate_panel(df, balanced=True)
    except USER_ERRORS as exc:
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
    text = df.attrs.get("text_columns", [])
    click.echo(f"text columns (not analysed as numbers): {', '.join(text)}" if text else "text columns: none")
    for note in df.attrs.get("notes", []):
        click.echo(f"note: {note}")
    missing = summary["missing_by_column"]
    if missing:
        click.echo("missing values by column:")
        for column, count in missing.items():
            click.echo(f"  {column}: {count}")
    else:
        click.echo("missing values: none")


@main.command(help="Run the whole analysis on bundled data: the simulated Guangdong demo panel (default) or the "
                   "REAL census of China's prefecture-level units (--data census).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("vagg-demo"), show_default=True,
              help="Output folder.")
@click.option("--data", "data", type=click.Choice(["guangdong", "census"]), default="guangdong", show_default=True,
              help="guangdong: the SIMULATED 21-city panel; census: the real 2010/2020 census, all China.")
@click.option("--quiet", is_flag=True, help="No progress display.")
def demo(out: Path, data: str, quiet: bool) -> None:
    from vagg.census_demo import run_census_demo
    from vagg.pipeline import run_demo

    try:
        manifest = (run_census_demo if data == "census" else run_demo)(out, progress=not quiet)
    except USER_ERRORS as exc:
        _fail(exc)
    except KeyboardInterrupt:
        _interrupted(out)
    click.echo(f"wrote {len(manifest['files'])} files to {out} (report: {out / 'report.html'})")


@main.command(help="Run the whole analysis described by a TOML config.")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Override the output folder.")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option("--wait", type=float, default=0.0, show_default=True,
              help="Seconds to wait for another run writing into the same folder before refusing.")
def run(config: Path, out: Path | None, quiet: bool, wait: float) -> None:
    from vagg.config import load_config
    from vagg.pipeline import run_pipeline

    try:
        cfg = load_config(config)
        manifest = run_pipeline(cfg, out=out, progress=not quiet, wait=wait)
    except USER_ERRORS as exc:
        _fail(exc)
    except KeyboardInterrupt:
        _interrupted(out or config)
    for note in [*(f"skipped {s}" for s in manifest["skipped"]), *manifest["notes"]]:
        click.echo(f"note: {note}")
    click.echo(f"wrote {len(manifest['files'])} files to {manifest['out']}")


@main.command(help="Write a commented starter config (analysis.toml), the indicator system it uses "
                   "(indicators.toml) and the simulated demo panel (panel.csv) into DIR.")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def init(directory: Path, force: bool) -> None:
    from vagg.config import write_starter

    try:
        written = write_starter(directory, force=force)
    except USER_ERRORS as exc:
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
