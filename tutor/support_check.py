"""Does a sentence say only what the passage it cites says? The check the optional LLM must pass.

The composer (answer.py) never writes a fact, so its sentences need no check. An LLM rephrasing
does, and it is checked, not trusted: each sentence must end with `[n]` markers that name passages
of the answer, and those passages must hold the sentence's facts:
- every number in the sentence (digits, or a number word such as "five") is in the cited passage;
- every capitalised name or acronym (S3, Multi-AZ, DynamoDB, AWS...) is in the cited passage;
- a negation ("not", "never", "cannot"...) appears only if the cited passage has one;
- at least `min_share` of the sentence's stemmed content words are in the cited passage.
The check is lexical and strict on purpose: a faithful rephrasing keeps the notes' words, and a
sentence that cannot be matched is dropped rather than shown (the answer says what was dropped).
Its known limit: it cannot tell a wrong recombination of words that are all in the same passage.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .text import STOPWORDS, content_terms, sentences, stem, words

MARKER = re.compile(r"\[(\d+)\]")
ENDS_WITH_MARKER = re.compile(r"\[\d+\][\s.!?;:,\"')]*$")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
NEGATION = re.compile(r"\b(not|no|never|none|nor|neither|cannot|without)\b|n't\b", re.I)
NUMBER_WORDS = {  # "one" is left out: it is far more often a pronoun than a count
    "zero": "0", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15",
    "twenty": "20", "thirty": "30", "hundred": "100", "thousand": "1000",
}
# A word right after one of these starts a clause, so its capital letter says nothing.
_CLAUSE_START = re.compile(r"(^|[:;(—–\-\"'“‘]\s*)$")

# Reasons, as shown to the learner (plural forms are built by `summarise`).
NO_CITATION = "no citation at the end"
UNKNOWN_CITATION = "cites a source the answer does not have"
NOT_SUPPORTED = "not supported by the cited passage"


@dataclass(frozen=True)
class SentenceCheck:
    sentence: str
    cited: tuple[int, ...]  # the [n] markers in the sentence
    reason: str = ""  # "" when the sentence is supported; else one of the reasons above
    detail: str = ""  # what was missing, e.g. "number 90", "name Amazon", "3 of 8 words"

    @property
    def ok(self) -> bool:
        return not self.reason


def split_sentences(text: str) -> list[str]:
    """Sentences of a (rephrased) answer; a marker written after the full stop stays with its sentence."""
    text = re.sub(r"([.!?])((?:\s*\[\d+\])+)", r"\2\1", text)  # "facts. [1] Next" → "facts [1]. Next"
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line)  # list bullets an LLM may add
        out.extend(sentences(line))
    return out


def _numbers(text: str) -> set[str]:
    found = {m.group(0).replace(",", "") for m in NUMBER.finditer(text)}
    found |= {NUMBER_WORDS[w] for w in words(text) if w in NUMBER_WORDS}
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in found}


def _names(sentence: str) -> list[str]:
    """Capitalised words that are not just starting a clause, and acronyms / camel-case names anywhere."""
    out = []
    for m in re.finditer(r"(?<![\w.\-])[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*", sentence):
        tok = m.group(0)
        if tok.lower() in STOPWORDS or tok == "I" or not any(c.isupper() for c in tok):
            continue
        inner_caps = any(c.isupper() for c in tok[1:])
        if inner_caps or not _CLAUSE_START.search(sentence[: m.start()]):
            out.append(tok)
    return out


class PassageFacts:
    """What a passage (or the union of cited passages) holds, in the forms the check compares."""

    def __init__(self, text: str):
        self.words = set(words(text))
        self.stems = set(content_terms(text)) | {stem(w) for w in self.words}
        self.numbers = _numbers(text)
        self.negated = bool(NEGATION.search(text))

    def has_word(self, w: str) -> bool:
        return w in self.words or stem(w) in self.stems

    def has_name(self, name: str) -> bool:
        """Each word of the name is in the passage ('Multi-AZ' also matches 'Multi AZ')."""
        return all(self.has_word(w) or all(self.has_word(p) for p in re.split(r"[.\-]", w) if p)
                   for w in words(name))


def check_sentence(sentence: str, passages: dict[int, str], min_share: float = 0.7) -> SentenceCheck:
    """Check one sentence against `passages` (citation number → the passage's text)."""
    cited = tuple(int(n) for n in MARKER.findall(sentence))
    if not cited or not ENDS_WITH_MARKER.search(sentence.strip()):
        return SentenceCheck(sentence, cited, NO_CITATION)
    unknown = [n for n in cited if n not in passages]
    if unknown:
        return SentenceCheck(sentence, cited, UNKNOWN_CITATION, ", ".join(f"[{n}]" for n in unknown))
    facts = PassageFacts("\n".join(passages[n] for n in dict.fromkeys(cited)))
    body = MARKER.sub(" ", sentence)
    missing_numbers = sorted(_numbers(body) - facts.numbers)
    if missing_numbers:
        return SentenceCheck(sentence, cited, NOT_SUPPORTED, "number " + ", ".join(missing_numbers))
    missing_names = [n for n in _names(body) if not facts.has_name(n)]
    if missing_names:
        return SentenceCheck(sentence, cited, NOT_SUPPORTED, "name " + ", ".join(dict.fromkeys(missing_names)))
    if NEGATION.search(body) and not facts.negated:
        return SentenceCheck(sentence, cited, NOT_SUPPORTED, "a negation the passage does not have")
    terms = set(content_terms(body))
    found = terms & facts.stems
    if terms and len(found) < min_share * len(terms):
        return SentenceCheck(sentence, cited, NOT_SUPPORTED, f"{len(found)} of {len(terms)} words")
    return SentenceCheck(sentence, cited)


def check_text(text: str, passages: dict[int, str], min_share: float = 0.7) -> list[SentenceCheck]:
    return [check_sentence(s, passages, min_share) for s in split_sentences(text)]


def summarise(dropped: list[SentenceCheck]) -> str:
    """'2 sentences dropped: not supported by the cited passage' (reasons counted, most common first)."""
    if not dropped:
        return ""
    counts: dict[str, int] = {}
    for c in dropped:
        counts[c.reason] = counts.get(c.reason, 0) + 1
    n = len(dropped)
    head = f"{n} sentence{'s' if n != 1 else ''} dropped"
    if len(counts) == 1:
        return f"{head}: {dropped[0].reason}"
    parts = [f"{k} {reason}" for reason, k in sorted(counts.items(), key=lambda kv: -kv[1])]
    return f"{head}: {', '.join(parts)}"
