"""The report as a PDF: headless Chromium prints ``report.html`` (``vagg report-pdf DIR``).

The command it runs, for a manual print::

    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \\
        --disable-component-update --disable-sync --no-pdf-header-footer \\
        --print-to-pdf=report.pdf file:///abs/path/report.html

Chromium comes from the system (Debian's ``chromium``); nothing is downloaded.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from vagg._errors import SpecificationError

#: executables tried in order
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: flags for a headless run on a machine without display or network
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer")


def find_browser() -> str:
    """The path of a Chromium-family browser, or a clear error saying how to install one."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise SpecificationError("printing the report needs Chromium: apt-get install chromium "
                             f"(looked for {', '.join(BROWSERS)} on PATH)")


def report_pdf(source: str | Path, pdf: str | Path | None = None, timeout: float = 180.0) -> Path:
    """Print a report to PDF with headless Chromium.

    Parameters
    ----------
    source
        An output folder (holding ``report.html``) or the HTML file itself.
    pdf
        Target; default ``report.pdf`` beside the HTML.

    Returns
    -------
    Path of the PDF.
    """
    source = Path(source)
    html = source / "report.html" if source.is_dir() else source
    if not html.is_file():
        raise SpecificationError(f"no report to print: {html} does not exist (run `vagg run` or `vagg demo` first)")
    target = Path(pdf) if pdf is not None else html.with_suffix(".pdf")
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="vagg-chromium-") as profile:
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={target.resolve()}",
                   html.resolve().as_uri()]
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if run.returncode != 0 or not target.is_file():
        raise SpecificationError(f"Chromium could not print {html} (exit {run.returncode}): {run.stderr[-800:]}")
    return target


__all__ = ["BROWSERS", "CHROMIUM_FLAGS", "find_browser", "report_pdf"]
