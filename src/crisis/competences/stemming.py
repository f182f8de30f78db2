"""Words to stems, per language, with the Snowball stemmers (for matching texts by meaning).

English "planning", "plans" and "plan" meet at "plan"; Greek «σχεδιασμός» and «σχεδιασμού»
at «σχεδιασμ». Languages without a Snowball stemmer are only lower-cased. Stems are cached,
since the same words recur across thousands of ESCO labels.
"""

from __future__ import annotations

import re
from functools import cache

import snowballstemmer

#: Snowball algorithm per language code (ESCO's 28 languages include these; others pass through).
ALGORITHMS: dict[str, str] = {
    "en": "english",
    "el": "greek",
    "de": "german",
    "pt": "portuguese",
    "es": "spanish",
    "fr": "french",
    "it": "italian",
    "nl": "dutch",
    "sv": "swedish",
    "da": "danish",
    "fi": "finnish",
    "hu": "hungarian",
    "ro": "romanian",
    "lt": "lithuanian",
    "no": "norwegian",
    "ga": "irish",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that say nothing about a skill's subject, per language (after lower-casing).
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "a an and are as at be by for from how in into is it its of on or own such that the "
        "their them they this to use using what when where which who with within other others "
        "able city cities"
    ),
    "el": _words(
        "ο η το οι τα του της των τον την στο στη στην στον στα στους στις σε με και ή για από "
        "ως να που ένα μια ενός μιας κατά προς χωρίς μετά πριν όταν όπως τους τις αυτό αυτή "
        "πόλη πόλης πόλεων"
    ),
    "de": _words(
        "der die das den dem des ein eine einer eines einem einen und oder für von mit zu zur "
        "zum im in an am auf aus bei nach über unter wie als ist sind sich ihre ihr sein seine "
        "stadt städte"
    ),
    "pt": _words(
        "o a os as um uma uns umas de do da dos das em no na nos nas por para com e ou que se "
        "ao aos à às como sobre entre sua seu suas seus cidade cidades"
    ),
}

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@cache
def _stemmer(lang: str) -> snowballstemmer.stemmer | None:
    algorithm = ALGORITHMS.get(lang)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


@cache
def stem(word: str, lang: str) -> str:
    """The stem of one lower-case word in ``lang``."""
    stemmer = _stemmer(lang)
    return stemmer.stemWord(word) if stemmer is not None else word


def terms(text: str, lang: str) -> list[str]:
    """The stems of the meaningful words of ``text``, in order (repeats kept)."""
    stop = STOPWORDS.get(lang, frozenset())
    out = []
    for word in _WORD.findall(text.lower()):
        if word in stop or len(word) < 3:
            continue
        out.append(stem(word, lang))
    return out
