"""The learner's PDF report, in English and Greek."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from crisis.competences import load_bundled
from crisis.i18n.formats import format_date
from crisis.learners.gaps import analyse_gaps
from crisis.learners.profile import Evidence, build_profile
from crisis.learners.report import learner_report_pdf
from crisis.learners.schedule import plan_path
from tests.pdfcheck import MM, off_page, overlapping, render_pages, words


@pytest.mark.parametrize("lang", ["en", "el"])
def test_pdf_report_with_radar_gaps_and_timeline(lang):
    catalogue = load_bundled()
    profile = catalogue.profile("scro")
    competences = build_profile(catalogue, self_ratings={"C01": 2, "C11": 3, "C15": 1})
    gaps = analyse_gaps(competences.as_levels(), profile, catalogue, lang=lang)
    path = plan_path(gaps, catalogue, start=dt.date(2026, 1, 5), lang=lang)
    pdf = learner_report_pdf(
        catalogue=catalogue,
        profile=profile,
        gaps=gaps,
        path=path,
        competences=competences,
        learner="Ελένη Παπαδοπούλου",
        lang=lang,
        today=dt.date(2026, 1, 5),
    )
    assert pdf.startswith(b"%PDF-")
    pages = int(re.search(rb"/Count (\d+)", pdf).group(1))
    assert pages >= 2  # the radar and gaps, then the path timeline
    assert b"DejaVu" in pdf  # the embedded font that carries Greek glyphs
    assert len(pdf) > 10_000


def test_pdf_report_without_path_or_gaps():
    catalogue = load_bundled()
    profile = catalogue.profile("scro")
    levels = {cid: 4 for cid in profile.targets}
    gaps = analyse_gaps(levels, profile, catalogue)
    path = plan_path(gaps, catalogue, start=dt.date(2026, 1, 5))
    pdf = learner_report_pdf(catalogue=catalogue, profile=profile, gaps=gaps, path=path)
    assert pdf.startswith(b"%PDF-")
    scratch = analyse_gaps({}, profile, catalogue)
    full = learner_report_pdf(
        catalogue=catalogue,
        profile=profile,
        gaps=scratch,
        path=plan_path(scratch, catalogue, start=dt.date(2026, 1, 5)),
    )

    def pages(data: bytes) -> int:
        return int(re.search(rb"/Count (\d+)", data).group(1))

    assert pages(pdf) <= pages(full) and len(pdf) < len(full)


@pytest.mark.parametrize("lang", ["en", "el", "de", "pt"])
def test_pdf_pages_render_and_every_word_stays_in_its_box(lang: str, artifacts: Path) -> None:
    """Rendered by poppler: no text outside its box or the page, nothing drawn over text,
    no name cut short or broken inside a word, module dates one after another."""
    catalogue = load_bundled()
    profile = catalogue.profile("scro")
    ids = [c.id for c in catalogue.framework.competences]
    # Self-ratings far from the test in both directions, so that both marks are printed.
    ratings = {cid: (4 if k % 3 == 0 else 0) for k, cid in enumerate(ids)}
    tested = [Evidence(cid, 0.3 if k % 3 == 0 else 3.6, 0.2, "test") for k, cid in enumerate(ids)]
    competences = build_profile(catalogue, self_ratings=ratings, evidence=tested)
    assert {competences.level(c).calibration for c in ids} >= {"over-confident", "under-confident"}
    gaps = analyse_gaps(competences.as_levels(), profile, catalogue, lang=lang)
    path = plan_path(gaps, catalogue, start=dt.date(2026, 11, 30), hours_per_week=4, lang=lang)
    layout: list[tuple[int, str, float, float, float, float]] = []
    pdf = learner_report_pdf(
        catalogue=catalogue,
        profile=profile,
        gaps=gaps,
        path=path,
        competences=competences,
        learner="Μαρία-Ελένη Παπαδοπούλου-Κωνσταντινίδου",
        lang=lang,
        today=dt.date(2026, 11, 30),
        layout=layout,
    )
    pages = render_pages(pdf, artifacts / "pdf", f"learner-report-{lang}")
    found, sizes = words(pdf)
    assert len(pages) == len(sizes) >= 2
    assert off_page(found, sizes, margin_mm=9) == []
    assert overlapping(found) == []
    # Every word printed lies inside the box it was written into.
    stray = []
    for word in found:
        boxes = [
            (x * MM, y * MM, w * MM, h * MM)
            for page, _text, x, y, w, h in layout
            if page == word.page
        ]
        if not any(word.inside(*box) for box in boxes):
            stray.append(f"p{word.page} {word.text!r} at {word.x0:.0f},{word.y0:.0f}")
    assert stray == []
    # The words on paper are exactly the words written: no name cut, no word broken.
    written = Counter(w for _p, text, *_box in layout for w in text.split())
    assert Counter(w.text for w in found) == written
    for gap in gaps:
        assert gap.title in " ".join(text for _p, text, *_b in layout)
    # Module dates in the calendar follow one another without overlap, as printed.
    printed = " ".join(t for _p, t, *_b in layout)
    for step in path.steps:
        assert f"({format_date(step.start, lang)} – {format_date(step.end, lang)})" in printed
    assert len(path.steps) > 5
    for before, after in pairwise(path.steps):
        assert after.start > before.end
