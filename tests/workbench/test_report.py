"""The PDF city resilience profile."""

from __future__ import annotations

import datetime as dt
import re
import zlib

import pytest

from crisis.workbench.report import profile_pdf, unicode_font
from crisis.workbench.workspace import Workspace


def _text_streams(pdf: bytes) -> bytes:
    out = b""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(match.group(1))
        except zlib.error:
            out += match.group(1)
    return out


def test_profile_is_a_pdf_with_every_section(demo: Workspace) -> None:
    pdf = profile_pdf(demo, generated=dt.date(2026, 4, 1))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert (
        pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page/") + pdf.count(b"/Type /Page ") >= 2
    )
    streams = _text_streams(pdf)
    # 25 matrix cells and one radar polygon with 10 vertices are drawn as paths.
    assert streams.count(b" re") >= 25


@pytest.mark.skipif(unicode_font() is None, reason="no Unicode TrueType font installed")
def test_greek_profile_embeds_a_unicode_font(demo: Workspace) -> None:
    pdf = profile_pdf(demo, language="el", generated=dt.date(2026, 4, 1))
    assert b"DejaVu" in pdf
    assert b"/FontFile2" in pdf


def test_profile_without_scorecard_still_renders(demo: Workspace) -> None:
    bare = demo.model_copy(update={"rounds": ()})
    assert profile_pdf(bare).startswith(b"%PDF-")
