"""The report as a person sees it, in headless Chromium (``wordinfo.report.browser``): no console errors, the script
sentence shown as text, heatmaps, hover, search and sort."""

from __future__ import annotations

import os

import pytest

from helpers.corpus import SCRIPT
from wordinfo.report import build_report
from wordinfo.report.browser import find_chromium


def test_report_in_headless_chromium(corpus_runs, tmp_path):
    """The page as a person sees it: no console errors, the script sentence is text, heatmaps, hover, search, sort."""
    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs chromium and chromium-driver (apt-get install chromium chromium-driver)")
        pytest.skip("headless Chromium missing: apt-get install chromium chromium-driver")
    pytest.importorskip("selenium", reason="selenium missing: pip install -e '.[dev]'")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from wordinfo.report.browser import chromium, screenshot

    a, b, _ = corpus_runs
    page = build_report([a.path, b.path], tmp_path / "report.html")
    driver = chromium()
    try:
        driver.get(page.resolve().as_uri())
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert errors == [], errors
        assert driver.execute_script("return window.__pwned") is None
        rows = driver.find_elements(By.CSS_SELECTOR, "#sentences tbody tr")
        assert len(rows) == 24
        script_row = [r for r in rows if "__pwned" in r.text]
        assert len(script_row) == 1 and SCRIPT in script_row[0].text     # shown as text, verbatim

        script_row[0].click()
        assert SCRIPT in driver.find_element(By.ID, "sentence-text").text
        maps = driver.find_elements(By.CSS_SELECTOR, "#heatmaps table.heatmap")
        assert len(maps) == 2                                             # the two runs side by side
        words = [th.text for th in maps[0].find_elements(By.CSS_SELECTOR, "th.word")]
        assert "<" in words and "script" in words and "[CLS]" in words
        assert len(maps[0].find_elements(By.CSS_SELECTOR, "tr")) == 1 + 3 and len(
            maps[1].find_elements(By.CSS_SELECTOR, "tr")) == 1 + 2
        cell = maps[0].find_element(By.CSS_SELECTOR, "td")
        ActionChains(driver).move_to_element(cell).perform()
        hover = driver.find_element(By.ID, "hover").text
        assert "bits kept" in hover and "layer 1" in hover and "tiny-all" in hover
        assert "bits kept" in cell.get_attribute("title")

        box = driver.find_element(By.ID, "search")
        box.send_keys("pwned")
        visible = [r for r in rows if r.is_displayed()]
        assert len(visible) == 1 and "1 of 24" in driver.find_element(By.ID, "count").text
        box.clear()
        box.send_keys(" ")          # an input event with an empty query shows all again
        driver.find_element(By.CSS_SELECTOR, "#sentences thead th:nth-child(1)").click()
        driver.find_element(By.CSS_SELECTOR, "#sentences thead th:nth-child(1)").click()      # descending
        first = driver.find_element(By.CSS_SELECTOR, "#sentences tbody tr td").text
        assert first == "23"

        driver.execute_script("document.getElementById('value').value = 'centered';"
                              "document.getElementById('value').dispatchEvent(new Event('change'));")
        assert driver.find_elements(By.CSS_SELECTOR, "#heatmaps table.heatmap")
        assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []
        png = screenshot(page, tmp_path / "report.png", driver=driver)
        assert png.stat().st_size > 20_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        driver.quit()
