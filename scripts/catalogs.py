"""Re-extract the web interface's strings and merge them into the en/el/de/pt catalogs.

Existing translations are kept; new strings are added empty (English gets its own text) and
listed, so that a translator can fill them in. The test suite fails while any is empty.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "crisis" / "web" / "locale"
LANGUAGES = ("en", "el", "de", "pt")


def extract() -> Catalog:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
             "-k", "N_", "--no-location", "--omit-header", "--no-wrap", "-o", str(pot), "."],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        with pot.open("rb") as fh:
            template = read_po(fh)
    if len(template) < 10:
        raise SystemExit("extraction found almost no strings; catalogs left unchanged")
    return template


def main() -> int:
    template = extract()
    missing_total = 0
    for lang in LANGUAGES:
        path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
        old = {}
        if path.exists():
            with path.open("rb") as fh:
                old = {m.id: m.string for m in read_po(fh) if m.id and m.string}
        catalog = Catalog(locale=lang, project="CRISIS", charset="utf-8", fuzzy=False)
        missing = []
        for message in template:
            if not message.id:
                continue
            text = old.get(message.id) or (message.id if lang == "en" else "")
            if not text:
                missing.append(message.id)
            catalog.add(message.id, text)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=0, no_location=True)
        for msgid in missing:
            print(f"{path.relative_to(ROOT)}: untranslated: {msgid!r}")
        missing_total += len(missing)
    return 1 if missing_total else 0


if __name__ == "__main__":
    sys.exit(main())
