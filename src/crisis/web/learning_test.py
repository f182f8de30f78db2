"""Pages of the adaptive knowledge test: one question per page, answers recorded once,
and the explained result."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError
from crisis.learners import CatConfig
from crisis.store import learning as store
from crisis.store.tables import User
from crisis.web import learning_journey as journey
from crisis.web.catalogues import InUse, in_use
from crisis.web.i18n import gettext as _
from crisis.web.learning import LEARNERS, page, parse_int
from crisis.web.params import Id
from crisis.web.rendering import page_language
from crisis.web.security import csrf_protect, get_db

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def _question_page(
    request: Request,
    db: Session,
    user: User,
    used: InUse,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    cat = used.catalogue
    attempt = journey.running_attempt(db, user, cat)
    if attempt is None:
        last = store.latest_finished(db, user)
        context = {"last": last, "error": error, "max_items": CatConfig().max_items}
        if error is not None and last is not None:
            return page(request, "test_intro.html", used, context, 409)
        return page(request, "test_intro.html", used, context, status_code)
    try:
        question = journey.current_question(db, attempt, cat)
    except ConflictError:
        # Another tab chose the question at the same moment; read what it saved.
        db.rollback()
        attempt = store.get_attempt(db, user, attempt.id)
        question = journey.current_question(db, attempt, cat)
    db.commit()
    if question.item is None:
        return RedirectResponse(f"/learning/test/{attempt.id}", status_code=303)
    lang = page_language(request)
    return page(
        request,
        "test_question.html",
        used,
        {
            "attempt": attempt,
            "item": question.item,
            "shown": question.item.render(lang),
            "sequence": question.sequence,
            "limit": question.limit,
            "competence": cat.competence(question.item.competence),
            "error": error,
        },
        status_code,
    )


@router.get("/learning/test")
def test_page(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    return _question_page(request, db, user, used)


@router.post("/learning/test/start")
def start_test(
    user: User = Depends(LEARNERS), used: InUse = Depends(in_use), db: Session = Depends(get_db)
) -> Response:
    journey.start_test(db, user, used.catalogue)
    db.commit()
    return RedirectResponse("/learning/test", status_code=303)


@router.post("/learning/test/answer")
def answer_question(
    request: Request,
    attempt: str = Form("", max_length=20),
    item: str = Form("", max_length=64),
    sequence: str = Form("", max_length=8),
    option: str = Form("", max_length=8),
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    attempt_id = parse_int(attempt, "attempt")
    seq = parse_int(sequence, "sequence")
    if not option.strip():
        return _question_page(
            request, db, user, used, error=_("Choose one of the options."), status_code=400
        )
    chosen = parse_int(option, "option")
    try:
        _correct, row = journey.answer(
            db,
            user,
            used.catalogue,
            attempt_id=attempt_id,
            item_id=item,
            sequence=seq,
            option=chosen,
        )
    except ConflictError as exc:
        db.rollback()
        return _question_page(request, db, user, used, error=str(exc), status_code=409)
    db.commit()
    if row.status == "finished":
        return RedirectResponse(f"/learning/test/{row.id}", status_code=303)
    return RedirectResponse("/learning/test", status_code=303)


@router.get("/learning/test/{attempt_id}")
def test_review(
    request: Request,
    attempt_id: Id,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    attempt = store.get_attempt(db, user, attempt_id)
    if attempt.status != "finished":
        return RedirectResponse("/learning/test", status_code=303)
    result = journey.test_result(attempt, cat)
    bank = journey.item_bank()
    lang = page_language(request)
    answers = []
    for response in store.responses(db, attempt):
        if response.item_id not in bank:
            continue
        question = bank.item(response.item_id)
        answers.append(
            {
                "response": response,
                "item": question,
                "shown": question.render(lang),
                "explanation": question.explanation.shown(lang),
                "competence": cat.competence(question.competence)
                if question.competence in {c.id for c in cat.framework.competences}
                else None,
            }
        )
    areas = {a.id: a for a in cat.framework.areas}
    return page(
        request,
        "test_review.html",
        used,
        {"attempt": attempt, "result": result, "answers": answers, "areas": areas},
    )
