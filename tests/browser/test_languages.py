"""Every page of the journey in Greek, German and Portuguese, with no unmarked English.

The learner takes the test and plays an exercise, the analyst drafts an action plan on the
demo city; then, for each language, the test, its results, the profile, a module, the exercise
debrief, the scorecard, the action plan and the city-profile PDF are read the way the issue
that found 113 English passages on one page read them: the page's visible text passages are
compared with the same page in English. A passage of two or more words that is still the
English one — outside proper names and the marked fallbacks (an EN badge and ``lang="en"``,
docs/languages.md) — is an untranslated passage. Greek pages are also searched for any run of
two or more Latin-script words, which would be English in a Greek page.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from crisis.settings import Settings
from crisis.store import learning, users, workspaces
from crisis.store.db import make_engine
from crisis.store.migrate import upgrade
from crisis.web.app import create_app
from crisis.workbench.workspace import demo_workspace
from tests.browser.conftest import _free_port, follow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LANGUAGES = ("el", "de", "pt")

#: Names that stay as they are in every language: the product, the demo city and its river,
#: the role's English title where a partner keeps it, standards, formats and the demo people.
PROPER_NAMES = (
    "CRISIS", "Portavera", "Vera", "Smart City Resilience Officer", "Smart City Resilience "
    "Officers", "Smart City", "City Resilience Index", "UNDRR", "ISO 37123", "ISO 22301",
    "ESCO", "EQF", "ECTS", "DigComp", "Moodle", "CASE", "SCRO", "SCADA", "Cell Broadcast",
    "Maria Learner", "Demo analyst", "Build Back Better", "Disaster Resilience Scorecard for "
    "Cities", "Business Continuity Management", "Concept-Mapping", "Peer-Learning",
    "Peer-Review", "Co-Design", "Ten Essentials", "Common Alerting Protocol",
    "OGC SensorThings API", "Caribbean Catastrophe Risk Insurance Facility", "Sherry Arnstein",
    "Riverside North",
)  # fmt: skip

#: Elements whose text is not a passage of the page: marked fallbacks, identifiers, editable
#: values (the user's own data being edited) and the language picker's language names.
_HIDE = (
    ".fallback, code, kbd, samp, textarea, input, [translate='no'], script, style, "
    "noscript, .lang-form { display: none !important; }"
)
_SEPARATORS = re.compile(r"[·•|:;()\[\]{}–—,/\"“”«»?!…→↓=+%]|\s-\s|\.(?:\s|$)|\d+")
_WORD = re.compile(r"[^\W\d_]{2,}(?:[-'’][^\W\d_]+)*")
_LATIN_RUN = re.compile(r"[A-Za-z]{2,}(?:[-'’][A-Za-z]+)*(?:\s+[A-Za-z]{2,}(?:[-'’][A-Za-z]+)*)+")


#: A bracketed English term of one to three words right after a word of the text.
_GLOSS = re.compile(
    r"(?<=[^\W\d_][»”\"]) \((?:[A-Za-z][A-Za-z'’-]*)(?: [A-Za-z][A-Za-z'’-]*){0,2}\)|"
    r"(?<=[^\W\d_]) \((?:[A-Za-z][A-Za-z'’-]*)(?: [A-Za-z][A-Za-z'’-]*){0,2}\)"
)


def _clean(text: str) -> str:
    for name in PROPER_NAMES:
        text = text.replace(name, " ")
    return text


def segments(text: str) -> set[str]:
    """Passages of two or more words, split at punctuation, numbers and line breaks."""
    found = set()
    for line in _clean(text).splitlines():
        for part in _SEPARATORS.split(line):
            words = _WORD.findall(part)
            if len(words) >= 2:
                found.add(" ".join(words))
    return found


def english_passages(english: str, translated: str, lang: str) -> list[str]:
    """Passages of ``translated`` (in ``lang``) that are English.

    Lines marked as another language in plain text ("Flood of the river Vera [EN]", as in
    options of a list) are fallbacks, like the passages with an EN badge hidden before.
    """
    translated = "\n".join(
        line for line in translated.splitlines() if not line.rstrip().endswith("[EN]")
    )
    # An established English term given in brackets after its translation is a gloss, as
    # specialist texts write them: «μεσίτης πλαισίου (context broker)».
    translated = _GLOSS.sub(" ", translated)
    left = sorted(segments(translated) & segments(english))
    if lang == "el":
        runs = {" ".join(r.split()) for r in _LATIN_RUN.findall(_clean(translated))}
        left = sorted(set(left) | runs)
    return left


def test_passages_are_found_and_marked_fallbacks_are_not() -> None:
    english = "Hazard register\nRisk matrix · 3 hazards\nPortavera"
    greek = "Μητρώο επικινδυνοτήτων\nRisk matrix · 3 επικινδυνότητες\nPortavera"
    assert english_passages(english, greek, "el") == ["Risk matrix"]
    german = "Gefahrenregister\nRisikomatrix · 3 Gefahren\nPortavera"
    assert english_passages(english, german, "de") == []
    assert english_passages("Flood of the river Vera", "Hochwasser", "de") == []
    assert english_passages("Flood of the river Vera", "Flood of the river Vera [EN]", "el") == []
    # A gloss in brackets after the translated term is not left-over English; a bracket of
    # English on its own, or a longer one, is.
    gloss = "Τι κάνει ένας μεσίτης πλαισίου (context broker);"
    assert english_passages("What does a context broker do?", gloss, "el") == []
    quoted = "O que significa «dependência do fornecedor» (vendor lock-in)?"
    assert english_passages("What does vendor lock-in mean?", quoted, "pt") == []
    left = "Ein Satz (the rest of the sentence is English)"
    assert english_passages("the rest of the sentence is English", left, "de") != []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[str]:
    """A learner, an analyst owning the demo city Portavera, and the demo cohort."""
    root = tmp_path_factory.mktemp("languages")
    engine = make_engine(f"sqlite:///{root / 'crisis.db'}")
    upgrade(engine)
    with Session(engine) as db, db.begin():
        users.add_user(db, "learner", PASSWORD, "learner", display_name="Maria Learner")
        analyst = users.add_user(db, "analyst", PASSWORD, "analyst", display_name="Demo analyst")
        teacher = users.add_user(db, "instructor", PASSWORD, "instructor", display_name="Demo i")
        learning.seed_demo_cohort(db, teacher)
        workspaces.seed_demo(db, analyst)
    settings = Settings(data_dir=root, secret_key="browser-test-secret-0123", cache_dir=cache_dir)
    app = create_app(settings, engine=engine)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _sign_in(page: Any, base: str, username: str, path: str) -> None:
    page.goto(base + path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    assert "/login" not in page.url


def _language(page: Any, lang: str) -> None:
    if page.locator("#language-select").input_value() != lang:
        with page.expect_navigation():
            page.select_option("#language-select", lang)


def _visible_text(page: Any) -> str:
    script = """(css) => {
        const style = document.createElement("style");
        style.textContent = css;
        document.head.appendChild(style);
        const text = document.body.innerText;
        style.remove();
        return text;
    }"""
    return str(page.evaluate(script, _HIDE))


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture(scope="module")
def journey(browser: Any, server: str) -> Iterator[dict[str, Any]]:
    """Sign in both people, take the test, play the flood exercise, draft the action plan;
    returns their browser pages and the addresses of what they produced."""
    contexts = [browser.new_context(viewport={"width": 1366, "height": 900}) for _ in range(2)]
    learner, analyst = (c.new_page() for c in contexts)
    _sign_in(learner, server, "learner", "/learning")
    learner.goto(server + "/learning/test")
    learner.get_by_role("button", name="Start the test").click()
    learner.wait_for_url(server + "/learning/test")
    question = server + "/learning/test"
    answered = 0
    while "/learning/test/" not in learner.url:
        learner.locator(f'input[name="sequence"][value="{answered}"]').wait_for(state="attached")
        learner.locator("#option-0").check()
        with learner.expect_navigation():
            learner.keyboard.press("Enter")
        answered += 1
        assert answered < 60
    results = learner.url
    # A second attempt left open: its question page is the "test" page.
    learner.goto(server + "/learning/test")
    learner.get_by_role("button", name="Start the test").click()
    learner.wait_for_url(question)

    learner.goto(server + "/exercises/river-flood/play")
    learner.wait_for_selector("#play-map")
    learner.get_by_label(re.compile("Two more power repair crews")).check()
    learner.get_by_role("button", name="Add to plan").click()
    learner.get_by_label("Scenarios to simulate").select_option("50")
    learner.get_by_role("button", name="Submit the plan").click()
    learner.wait_for_url(re.compile(r"/exercises/runs/\d+$"))
    debrief = learner.url
    learner.wait_for_selector("#score-card", timeout=300_000)

    _sign_in(analyst, server, "analyst", "/workbench/portavera/actions")
    follow(analyst, analyst.get_by_role("button", name="Draft the plan"))
    # The team's own texts (in English): the PDF marks them, "[EN] Flood of the river Vera".
    demo = demo_workspace()
    written = [h.title for h in demo.hazard_register.hazards] + [r.label for r in demo.rounds]
    for field in analyst.locator("textarea[name^='action-'], input[name^='owner-']").all():
        written.append(field.input_value())
    yield {
        "learner": learner,
        "analyst": analyst,
        "pages": {
            "test": ("learner", question),
            "results": ("learner", results),
            "profile": ("learner", server + "/learning/profile"),
            "module": ("learner", server + "/competences/modules/M11"),
            "debrief": ("learner", debrief),
            "scorecard": ("analyst", server + "/workbench/portavera/scorecard"),
            "action-plan": ("analyst", server + "/workbench/portavera/actions"),
        },
        "pdf": server + "/workbench/portavera/reports/profile.pdf",
        "written": [t for t in written if t],
    }
    for context in contexts:
        context.close()


def _read(journey: dict[str, Any], name: str, lang: str, artifacts: Path | None) -> str:
    who, url = journey["pages"][name]
    page = journey[who]
    page.goto(url)
    _language(page, lang)
    if name == "debrief":
        page.wait_for_selector("#chart-q .main-svg", timeout=60_000)
    if artifacts is not None:
        page.screenshot(path=str(artifacts / f"lang-{lang}-{name}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(artifacts / f"lang-{lang}-{name}-390.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})
    return _visible_text(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_english_passage_remains(journey: dict[str, Any], lang: str, artifacts: Path) -> None:
    found: dict[str, list[str]] = {}
    for name in journey["pages"]:
        english = _read(journey, name, "en", None)
        translated = _read(journey, name, lang, artifacts)
        assert translated.strip(), name
        passages = english_passages(english, translated, lang)
        if passages:
            found[name] = passages
    request = journey["analyst"].request
    english_pdf = _pdf_text(request.get(journey["pdf"] + "?lang=en").body())
    data = request.get(journey["pdf"] + f"?lang={lang}").body()
    (artifacts / f"lang-{lang}-city-profile.pdf").write_bytes(data)
    passages = english_passages(english_pdf, _marked_out(_pdf_text(data), journey["written"]), lang)
    if passages:
        found["city-profile.pdf"] = passages
    for page in (journey["learner"], journey["analyst"]):
        _language(page, "en")
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def _marked_out(pdf_text: str, written: list[str]) -> str:
    """The PDF's text without the team's own texts where they are marked "[EN] …"."""
    flat = " ".join(pdf_text.split())
    for text in sorted(written, key=len, reverse=True):
        flat = flat.replace("[EN] " + " ".join(text.split()), " · ")
    return flat
