"""Reports: one self-contained HTML file (``build_report``), and the HTML Jupyter shows for results.

- :mod:`~wordinfo.report.builder`: the page (:func:`build_report`);
- :mod:`~wordinfo.report.figures`: paper figures next to it;
- :mod:`~wordinfo.report.notebook`: ``_repr_html_`` of Explanations and Runs;
- :mod:`~wordinfo.report.style`: colours, value names, number formatting, the templates' environment;
- :mod:`~wordinfo.report.browser`: headless Chromium, to look at a page (tests, screenshots).
"""

from __future__ import annotations

from .builder import build_report
from .notebook import explanation_html, run_html
from .style import environment

__all__ = ["build_report", "environment", "explanation_html", "run_html"]
