"""Languages of CRISIS: the glossary, content translations and the check that holds them."""

from __future__ import annotations

from crisis.i18n.glossary import (
    Glossary,
    GlossaryChecker,
    Term,
    bundled_glossary,
    load_glossary,
)

__all__ = [
    "Glossary",
    "GlossaryChecker",
    "Term",
    "bundled_glossary",
    "load_glossary",
]
