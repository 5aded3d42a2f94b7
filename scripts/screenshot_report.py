"""Save a PNG of an HTML report as headless Chromium shows it (for docs).

Usage: python scripts/screenshot_report.py IN.html OUT.png

Needs Debian's chromium and chromium-driver and the dev extra (selenium); nothing is downloaded.
Clicks the sentence given by --sentence (its number) first, so that its heatmaps are in the picture.
"""

import argparse

from wordinfo.report.browser import chromium, screenshot

parser = argparse.ArgumentParser()
parser.add_argument("html")
parser.add_argument("png")
parser.add_argument("--sentence", type=int, default=None, help="number of the sentence to show (default: the first)")
parser.add_argument("--width", type=int, default=1400)
args = parser.parse_args()

from pathlib import Path  # noqa: E402

driver = chromium(args.width)
try:
    driver.get(Path(args.html).resolve().as_uri())
    if args.sentence is not None:
        driver.execute_script(
            "var rows = document.querySelectorAll('#sentences tbody tr');"
            "for (var i = 0; i < rows.length; i++) { if (rows[i].cells[0].textContent === arguments[0]) "
            "{ rows[i].click(); break; } }", str(args.sentence))
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    if errors:
        raise SystemExit(f"console errors: {errors}")
    print(screenshot(args.html, args.png, width=args.width, driver=driver))
finally:
    driver.quit()
