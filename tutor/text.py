"""Word-level text helpers shared by BM25, the answer composer and the quiz (one tokenizer for all)."""
from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
# "10,000 IOPS" is the number 10000, not "10" and "000" (a "10.0.0.0/16" option matched it on "10")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")

# Function words and question scaffolding: they carry no topic, so they neither match nor count.
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from into onto over under as is are was were be
    been being do does did done doing have has had having it its it's this that these those there here
    i me my we our you your he she they them their what which who whom whose when where why how
    can could should would will shall may might must not no nor so than then too very just also
    about any all some each such only own same other more most s t don doesn isn aren
    tell explain describe mean means meaning please thing things something use used using get
    whats wats wat wut im ive dont doesnt didnt isnt arent cant wont hows whys wheres thats theres youre u ur
    pls plz actually really basically exactly even ok okay hey hi thanks thank want wanna gonna know
    kinda sorta anyway vs versus difference differences compare compared comparison ve ll re d m
    myself yourself himself herself itself ourselves yourselves themselves us him her his hers ours yours theirs
    stuff
    """.split()
)
_PLURAL_NUMBER = re.compile(r"^\d+s$")
_NUMBER_UNIT = re.compile(r"^(\d+(?:\.\d+)?)([a-z]+)$")  # "100ms", "5tb": the same as "100 ms", "5 TB"
QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=8192)
def english_zipf(word: str) -> float:
    """How common a word is in English (wordfreq's Zipf scale, 0 to about 7)."""
    from wordfreq import zipf_frequency  # lazy: its word list loads on first use

    return zipf_frequency(word, "en")


def words(text: str) -> list[str]:
    """Lower-cased word tokens; keeps 'gp2', 'x-forwarded-for', '3.5', 'node.js' whole."""
    return _TOKEN.findall(_THOUSANDS.sub("", text.lower()))


def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def content_terms(text: str) -> list[str]:
    """Stemmed content words (stopwords dropped), in order, with repeats."""
    ws = [w for w in words(text) if w not in STOPWORDS]
    out = []
    for w in ws:
        if _PLURAL_NUMBER.match(w):
            w = w[:-1]  # 'throwing 504s' asks about the 504 error
        out.append(stem(w))
        unit = _NUMBER_UNIT.match(w)
        if unit:
            out.extend(unit.groups())
        elif ("-" in w or "." in w) and not re.fullmatch(r"[\d.]+", w):  # "10.0.0.0" is one number, not "10"
            # 'x-forwarded-for' also matches 'forwarded'; 'node.js' also 'node'
            out.extend(stem(p) for p in re.split(r"[.\-]", w) if p and p not in STOPWORDS)
    return out


def sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking '3.5', 'e.g.' or 'node.js'."""
    parts = re.split(r"(?<=[.!?])(?<![eE]\.g\.)(?<![iI]\.e\.)\s+(?=[A-Z(\"'])", text.strip())
    return [p.strip() for p in parts if p.strip()]


_NEGATORS = frozenset("not no never cannot without nor non cant dont doesnt isnt arent wont".split())
NEGATION_REACH = 2  # content words after a negator that it turns: "Cannot be a boot volume", "can't be used as a boot"


def _terms_by_negation(text: str) -> tuple[set[str], set[str]]:
    t = re.sub(r"\b(ca|wo)n[’']t\b", lambda m: "can not" if m.group(1).lower() == "ca" else "will not", text)
    said, negated = set(), set()
    for clause in re.split(r"[,;:.!?()]", re.sub(r"n[’']t\b", " not", t)):  # a "not" reaches no further
        reach = 0
        for w in words(clause):
            if w in _NEGATORS:
                reach = NEGATION_REACH
            elif w not in STOPWORDS:
                (negated if reach else said).add(stem(w))
                reach = max(0, reach - 1)
    return said, negated


def plain_terms(text: str) -> set[str]:
    """Content terms the text says without a negation."""
    return _terms_by_negation(text)[0]


def negated_terms(text: str) -> set[str]:
    """Content terms the text says under a negation ("Cannot be a boot volume" → boot, volum)."""
    return _terms_by_negation(text)[1]


def only_negated_terms(text: str) -> set[str]:
    """Content terms the text says only under a negation, never plainly."""
    said, negated = _terms_by_negation(text)
    return negated - said
