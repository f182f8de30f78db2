"""Cue audit of an item bank: can a learner find the key without knowing the answer?

Test-wise learners look for cues in the form of the options: the key is the longest (or the
shortest) option, sits in the same position, repeats words of the stem that no distractor
repeats, or the bank offers "all of the above". :func:`audit` measures each cue per
competence and over the whole bank, and checks the bank against :class:`CueLimits`:

* the key is strictly the longest option in at most 30 % of items, strictly the shortest in
  at most 30 % (in a bank without cues each holds about one item in four);
* no option position holds more than 35 % of the keys;
* the mean length of keys is 0.85–1.15 times the mean length of distractors;
* no "all of the above" or "none of the above" option;
* every competence has at least 10 items and at least 2 at each level 1–4.

Near-duplicate stems (two items asking nearly the same thing, so that one gives the other
away) and stem words echoed only in the key are listed for review; they fail the audit only
beyond their own limits. Lengths are counted in characters of the English text.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field

from crisis.competences.models import Catalogue
from crisis.learners.items import (
    MIN_ITEMS_PER_COMPETENCE,
    MIN_ITEMS_PER_LEVEL,
    Item,
    ItemBank,
)

_WORD = re.compile(r"[a-z][a-z'-]+")
_ABOVE = re.compile(r"\b(all|none|both|neither) of the (above|options|answers)\b", re.IGNORECASE)
#: Words too common to count as an echo of the stem.
# fmt: off
_STOP = frozenset((
    "about", "above", "after", "again", "against", "along", "also", "among", "another", "because",
    "been", "before", "being", "below", "between", "both", "cannot", "could", "does", "doing",
    "down", "during", "each", "either", "every", "from", "further", "have", "having", "here",
    "into", "itself", "just", "least", "less", "more", "most", "much", "must", "neither", "none",
    "only", "other", "ought", "over", "same", "should", "such", "than", "that", "their", "them",
    "then", "there", "these", "they", "this", "those", "through", "under", "until", "upon",
    "very", "were", "what", "when", "where", "which", "while", "whom", "whose", "will", "with",
    "within", "without", "would", "your", "first", "second", "most", "best", "following", "city",
    "city's",
))
# fmt: on


@dataclass(frozen=True)
class CueLimits:
    """Where the cue audit draws the line; a city's small bank may set its own minimums."""

    max_longest: float = 0.30
    max_shortest: float = 0.30
    max_position: float = 0.35
    ratio: tuple[float, float] = (0.85, 1.15)
    #: Share of items with a stem word echoed in the key and in no distractor.
    max_echo: float = 0.20
    #: Word overlap (Jaccard) of two items' scenario and stem above which they are listed.
    similar_stems: float = 0.6
    #: Near-duplicate pairs allowed before the audit fails.
    max_similar: int = 0
    min_items: int = MIN_ITEMS_PER_COMPETENCE
    min_per_level: int = MIN_ITEMS_PER_LEVEL


@dataclass(frozen=True)
class CueStats:
    """The cues of one group of items (a competence, or the whole bank)."""

    group: str
    items: int
    longest: list[str]
    shortest: list[str]
    positions: dict[str, int]
    ratio: float
    echo: list[str]
    #: Share of distractors repeating a stem word that no other option repeats, for comparison.
    distractor_echo: float
    above: list[str]
    levels: dict[int, int]

    def share(self, what: list[str]) -> float:
        """``len(what) / items`` (0 for an empty group)."""
        return len(what) / self.items if self.items else 0.0

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "items": self.items,
            "levels": self.levels,
            "key_longest": round(self.share(self.longest), 3),
            "key_shortest": round(self.share(self.shortest), 3),
            "key_positions": {
                k: round(v / self.items, 3) if self.items else 0.0
                for k, v in self.positions.items()
            },
            "length_ratio": round(self.ratio, 3),
            "echo": round(self.share(self.echo), 3),
            "distractor_echo": round(self.distractor_echo, 3),
            "all_none_of_the_above": self.above,
        }


@dataclass(frozen=True)
class CueAudit:
    """The audit of a bank: statistics per competence and overall, and what breaks a limit."""

    competences: list[CueStats]
    overall: CueStats
    similar: list[tuple[str, str, float]]
    problems: list[str]
    limits: CueLimits = field(default_factory=CueLimits)

    @property
    def passed(self) -> bool:
        """Whether the bank keeps every limit."""
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "overall": self.overall.as_dict(),
            "competences": {s.group: s.as_dict() for s in self.competences},
            "near_duplicates": [
                {"items": [a, b], "overlap": round(j, 2)} for a, b, j in self.similar
            ],
            "problems": self.problems,
            "passed": self.passed,
        }


def _english(item: Item) -> list[str]:
    return [o.get("en") for o in item.options]


def content_words(text: str) -> set[str]:
    """Lower-case words of four letters or more, without the commonest ones."""
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in _STOP}


def stem_text(item: Item) -> str:
    """The English scenario and stem of an item, as one text."""
    return " ".join(t.get("en") for t in (item.scenario, item.stem) if t is not None)


def echoedcontent_words(item: Item, option: int | None = None) -> set[str]:
    """Content words of the scenario and stem that one option (the key by default) repeats
    and no other option does."""
    chosen = item.answer if option is None else option
    options = _english(item)
    stem = content_words(stem_text(item))
    mine = content_words(options[chosen]) & stem
    others = set().union(*(content_words(o) for k, o in enumerate(options) if k != chosen))
    return mine - others


def _stats(group: str, items: Iterable[Item]) -> CueStats:
    items = list(items)
    longest, shortest, echo, above = [], [], [], []
    positions = dict.fromkeys(
        string.ascii_lowercase[: max((len(i.options) for i in items), default=4)], 0
    )
    key_chars = distractor_chars = 0.0
    distractor_echo = distractors = 0
    levels = dict.fromkeys(range(1, 5), 0)
    for item in items:
        lengths = [len(o.strip()) for o in _english(item)]
        key = lengths[item.answer]
        rest = [n for k, n in enumerate(lengths) if k != item.answer]
        if key > max(rest):
            longest.append(item.id)
        if key < min(rest):
            shortest.append(item.id)
        positions[string.ascii_lowercase[item.answer]] += 1
        key_chars += key
        distractor_chars += sum(rest) / len(rest)
        if echoedcontent_words(item):
            echo.append(item.id)
        for k in range(len(lengths)):
            if k != item.answer:
                distractors += 1
                distractor_echo += bool(echoedcontent_words(item, k))
        if any(_ABOVE.search(o) for o in _english(item)):
            above.append(item.id)
        levels[item.level] += 1
    ratio = key_chars / distractor_chars if distractor_chars else 1.0
    return CueStats(
        group,
        len(items),
        longest,
        shortest,
        positions,
        ratio,
        echo,
        distractor_echo / distractors if distractors else 0.0,
        above,
        levels,
    )


def _similar(items: list[Item], threshold: float) -> list[tuple[str, str, float]]:
    words = [(item.id, content_words(stem_text(item))) for item in items]
    pairs = []
    for (id_a, a), (id_b, b) in itertools.combinations(words, 2):
        if a and b:
            jaccard = len(a & b) / len(a | b)
            if jaccard >= threshold:
                pairs.append((id_a, id_b, jaccard))
    return pairs


def _named(ids: list[str], most: int = 12) -> str:
    shown = ", ".join(ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def audit(
    bank: ItemBank, catalogue: Catalogue | None = None, limits: CueLimits | None = None
) -> CueAudit:
    """Measure the option cues of ``bank`` and check them, and its coverage, against ``limits``.

    Args:
        bank: The item bank.
        catalogue: When given, coverage is checked for every competence of its framework.
        limits: The thresholds (default :class:`CueLimits`).
    """
    limits = limits or CueLimits()
    if catalogue is not None:
        order = [c.id for c in catalogue.framework.competences]
    else:
        order = sorted({item.competence for item in bank})
    per = [_stats(cid, bank.for_competence(cid)) for cid in order]
    overall = _stats("overall", bank)
    similar = _similar(list(bank), limits.similar_stems)
    problems: list[str] = []
    n = overall.items
    if overall.share(overall.longest) > limits.max_longest:
        problems.append(
            f"the key is strictly the longest option in {len(overall.longest)} of {n} items "
            f"({overall.share(overall.longest):.0%}, limit {limits.max_longest:.0%}): "
            f"{_named(overall.longest)}"
        )
    if overall.share(overall.shortest) > limits.max_shortest:
        problems.append(
            f"the key is strictly the shortest option in {len(overall.shortest)} of {n} items "
            f"({overall.share(overall.shortest):.0%}, limit {limits.max_shortest:.0%}): "
            f"{_named(overall.shortest)}"
        )
    for letter, count in overall.positions.items():
        if n and count / n > limits.max_position:
            at = [i.id for i in bank if string.ascii_lowercase[i.answer] == letter]
            problems.append(
                f"option {letter} is the key in {count} of {n} items ({count / n:.0%}, limit "
                f"{limits.max_position:.0%}): {_named(at)}"
            )
    low, high = limits.ratio
    if n and not low <= overall.ratio <= high:
        longer = overall.ratio > high
        cued = overall.longest if longer else overall.shortest
        problems.append(
            f"keys are on average {overall.ratio:.2f} times as long as distractors (allowed "
            f"{low:.2f}–{high:.2f}); the items whose key is strictly the "
            f"{'longest' if longer else 'shortest'}: {_named(cued)}"
        )
    if overall.share(overall.echo) > limits.max_echo:
        problems.append(
            f"{len(overall.echo)} of {n} keys repeat a word of the stem that no distractor "
            f"repeats ({overall.share(overall.echo):.0%}, limit {limits.max_echo:.0%}): "
            f"{_named(overall.echo)}"
        )
    if overall.above:
        problems.append(f"'all/none of the above' options (not allowed): {_named(overall.above)}")
    if len(similar) > limits.max_similar:
        problems.append(
            f"{len(similar)} pairs of items with nearly the same stem (word overlap ≥ "
            f"{limits.similar_stems:.0%}): " + _named([f"{a} ~ {b}" for a, b, _ in similar], most=6)
        )
    if catalogue is not None:
        problems += bank.coverage_problems(catalogue, limits.min_items, limits.min_per_level)
    return CueAudit(per, overall, similar, problems, limits)
