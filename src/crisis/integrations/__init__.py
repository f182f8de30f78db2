"""The learner's LMS: LTI 1.3 Advantage tool, xAPI statements and Common Cartridge export."""

from __future__ import annotations

__all__: list[str] = []
