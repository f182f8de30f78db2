"""The learner's PDF report, in English and Greek."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from crisis.competences import load_bundled
from crisis.learners.gaps import analyse_gaps
from crisis.learners.profile import build_profile
from crisis.learners.report import learner_report_pdf
from crisis.learners.schedule import plan_path


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
