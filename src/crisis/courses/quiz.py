"""Unit quizzes: a fresh draw of items from the item bank, scored against a pass mark.

A quiz draws ``questions`` items at random from the bank's items on the unit's competences
up to ``max_level``, spread over the competences as evenly as the bank allows. Answers are
scored all at once; the quiz is passed when the share of correct answers reaches the unit's
``pass`` mark (``ceil(pass × questions)`` correct answers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crisis.courses.units import QuizActivity
from crisis.exceptions import ContentError
from crisis.learners.items import Item, ItemBank
from crisis.seeding import RandomLike, as_generator


def draw(activity: QuizActivity, bank: ItemBank, rng: RandomLike = None) -> list[str]:
    """Item ids for one quiz, in the order asked.

    Raises:
        ContentError: the bank has fewer matching items than the quiz asks.
    """
    generator = as_generator(rng)
    pools: dict[str, list[Item]] = {
        cid: [i for i in bank.for_competence(cid) if i.level <= activity.max_level]
        for cid in activity.competences
    }
    total = sum(len(p) for p in pools.values())
    if total < activity.questions:
        raise ContentError(
            f"the item bank has {total} items for {', '.join(activity.competences)} up to "
            f"level {activity.max_level}; the quiz asks {activity.questions}"
        )
    for pool in pools.values():
        order = generator.permutation(len(pool))
        pool[:] = [pool[int(k)] for k in order]
    chosen: list[Item] = []
    # Round-robin over the competences, so each is asked about as often as its pool allows.
    while len(chosen) < activity.questions:
        for cid in activity.competences:
            if pools[cid] and len(chosen) < activity.questions:
                chosen.append(pools[cid].pop())
    order = generator.permutation(len(chosen))
    return [chosen[int(k)].id for k in order]


@dataclass(frozen=True)
class QuizResult:
    """A scored quiz."""

    correct: int
    total: int
    needed: int
    #: Item id → (chosen option, correct option, whether right).
    answers: dict[str, tuple[int, int, bool]]

    @property
    def passed(self) -> bool:
        """Whether the pass mark was reached."""
        return self.correct >= self.needed

    @property
    def share(self) -> float:
        """Share of correct answers."""
        return self.correct / self.total if self.total else 0.0


def score(
    activity: QuizActivity, bank: ItemBank, items: Sequence[str], chosen: Mapping[str, int]
) -> QuizResult:
    """Score answers (item id → option index) to the items asked.

    Raises:
        ContentError: an item is unanswered, an answer is to an item not asked, or an option
            does not exist — naming the question.
    """
    errors = []
    extra = sorted(set(chosen) - set(items))
    errors += [f"{iid}: this question was not asked in this quiz" for iid in extra]
    answers: dict[str, tuple[int, int, bool]] = {}
    for number, iid in enumerate(items, start=1):
        item = bank.item(iid)
        option = chosen.get(iid)
        if option is None:
            errors.append(f"question {number}: choose an answer")
            continue
        if (
            isinstance(option, bool)
            or not isinstance(option, int)
            or not 0 <= option < len(item.options)
        ):
            errors.append(f"question {number}: option {option!r} does not exist")
            continue
        answers[iid] = (option, item.answer, option == item.answer)
    if errors:
        raise ContentError(errors[0], errors=errors)
    correct = sum(1 for _, _, right in answers.values() if right)
    return QuizResult(correct, len(items), activity.needed(), answers)
