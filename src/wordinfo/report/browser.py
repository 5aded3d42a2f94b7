"""Headless Chromium for looking at reports (tests, docs screenshots): Debian's chromium + chromedriver via Selenium.

Nothing is downloaded: the browser and its driver are the system's (``apt-get install
chromium chromium-driver``) and Selenium is told where they are, so its driver manager
never runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import WordinfoError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths, or None when either is missing."""
    browser = next((p for p in (shutil.which(b) for b in BROWSERS) if p), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver")
                                              else None)
    return (browser, driver) if browser and driver else None


def chromium(width: int = 1400, height: int = 1000):
    """A Selenium driver of a headless Chromium that records the page's console."""
    found = find_chromium()
    if found is None:
        raise WordinfoError("headless Chromium not found: apt-get install chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise WordinfoError("selenium is not installed: pip install -e '.[dev]'") from None
    browser, driver = found
    os.environ.setdefault("SE_OFFLINE", "true")         # Selenium Manager must not try to download anything
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", "--no-first-run", f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def screenshot(page: str | Path, png: str | Path, width: int = 1400, max_height: int = 6000, driver=None) -> Path:
    """Save a PNG of the whole page (up to ``max_height`` pixels tall)."""
    own = driver is None
    driver = driver or chromium(width)
    try:
        if own:
            driver.get(Path(page).resolve().as_uri())
        driver.execute_script("window.scrollTo(0, 0)")
        height = int(driver.execute_script("return document.documentElement.scrollHeight"))
        driver.set_window_size(width, min(max(height, 400), max_height))
        png = Path(png)
        png.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(png))
        return png
    finally:
        if own:
            driver.quit()
