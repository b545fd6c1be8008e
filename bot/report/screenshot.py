"""Look at a report page in a real browser: headless Chromium renders it as a phone (390 px
wide), as an A4 page (794 px wide, 96 dpi) and prints it to PDF (A4, print CSS).

    python -m bot.report.screenshot reports/teams-report-2026-11.html --out /tmp/shots

writes ``<name>-phone.png``, ``<name>-a4.png`` and ``<name>.pdf``. Needs Chromium
(``apt-get install chromium``: ``/usr/bin/chromium``); nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = {"phone": "390,2400", "a4": "794,3400"}
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def shoot(page: Path, out: Path, browser: str | None = None,
          timeout: float = 120) -> list[Path]:
    """The phone and A4 screenshots and the PDF of ``page``; the files written."""
    browser = browser or chromium()
    if browser is None:
        raise FileNotFoundError("no Chromium found (apt-get install chromium)")
    out.mkdir(parents=True, exist_ok=True)
    url = page.resolve().as_uri()
    written = []
    with tempfile.TemporaryDirectory() as profile:
        common = [browser, *FLAGS, f"--user-data-dir={profile}"]
        for name, size in SIZES.items():
            target = out / f"{page.stem}-{name}.png"
            subprocess.run([*common, f"--window-size={size}", f"--screenshot={target}", url],
                           check=True, capture_output=True, timeout=timeout)
            written.append(target)
        pdf = out / f"{page.stem}.pdf"
        subprocess.run([*common, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", url],
                       check=True, capture_output=True, timeout=timeout)
        written.append(pdf)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("page", type=Path, help="the report's HTML file")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder to write")
    args = parser.parse_args(argv)
    try:
        for path in shoot(args.page, args.out):
            print(path)
    except (FileNotFoundError, subprocess.SubprocessError) as error:
        print(f"screenshot: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
