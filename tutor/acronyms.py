"""Acronyms the notes spell out: learners write 'MFA', 'RI', 'AZ' where the notes say 'Multifactor
Authentication', 'Reserved Instances', 'Availability Zone'.

A run of capitalised words gives its initials; a closed compound inside it ('Multifactor' = multi +
factor) gives one initial per part, so 'Multifactor Authentication' is 'mfa'. The retriever indexes
these initials with their passage and writes the spelled-out phrase next to an acronym in a question.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .text import STOPWORDS, english_zipf, stem, words

_CAPS_RUN = re.compile(r"\b(?:[A-Z][a-z]+[ -]){1,3}[A-Z][a-z]+s?\b")
# A name ending in a number: learners write 'r53' for 'Route 53', 'L7' for 'Layer 7'.
_NAMED_NUMBER = re.compile(r"\b([A-Z][a-z]+) (\d{1,4})\b")
# An acronym that is also a common English word ('sam', 'cat') would be read as the word.
COMMON_WORD_ZIPF = 4.0
# A closed compound: a rare whole word made of two common ones (Zipf scale, 0 to about 7).
RARE_WHOLE_ZIPF = 3.0
COMMON_PART_ZIPF = 3.5
MIN_PART = 3
MAJORITY = 0.75


@lru_cache(maxsize=4096)
def initials(word: str) -> str:
    """'Balancer' → 'b'; 'Multifactor' → 'mf' (a compound of two common words gives both initials)."""
    w = word.lower()
    if len(w) >= 2 * MIN_PART + 2 and w.isalpha() and english_zipf(w) < RARE_WHOLE_ZIPF:
        best, cut = COMMON_PART_ZIPF, 0
        for i in range(MIN_PART, len(w) - MIN_PART + 1):
            z = min(english_zipf(w[:i]), english_zipf(w[i:]))
            if z >= best:
                best, cut = z, i
        if cut:
            return w[0] + w[cut]
    return w[:1]


def acronyms(text: str) -> list[str]:
    """'Application Load Balancer' → 'alb': learners abbreviate what their notes spell out."""
    out = []
    for m in _CAPS_RUN.finditer(text):
        parts = re.split(r"[ -]", m.group())
        out.append("".join(initials(w) for w in parts))
        if parts[0] == "Amazon" and len(parts) > 2:  # 'Amazon Relational Database Service' is 'RDS'
            out.append("".join(initials(w) for w in parts[1:]))
    return out


def acronym_of(phrase: str) -> str | None:
    """The initials of a capitalised phrase, unless they are a stopword or a common English word."""
    acr = "".join(initials(w) for w in re.split(r"[ -]", phrase))
    if len(acr) >= 2 and acr not in STOPWORDS and english_zipf(acr) < COMMON_WORD_ZIPF:
        return acr
    return None


def text_acronyms(text: str) -> list[str]:
    """The acronyms of every capitalised phrase of a text (those that are not common words)."""
    return [a for a in (acronym_of(m.group()) for m in _CAPS_RUN.finditer(text)) if a]


def _key(phrase: str) -> str:
    return " ".join(stem(w) for w in words(phrase.replace("-", " ")))


class AcronymMap:
    """The acronyms of a set of notes, and the expansion of a question that uses one."""

    def __init__(self, texts: list[str]):
        notes_words = {w for t in texts for w in words(t)}
        counts: dict[str, Counter] = {}
        for t in texts:
            for m in _CAPS_RUN.finditer(t):
                acr = acronym_of(m.group())
                if acr and acr not in notes_words:  # the notes write it themselves: nothing to expand
                    counts.setdefault(acr, Counter())[m.group()] += 1
            for m in _NAMED_NUMBER.finditer(t):
                acr = m.group(1)[0].lower() + m.group(2)
                if acr not in notes_words:  # 'F1' is an instance family, not 'First 1'
                    counts.setdefault(acr, Counter())[m.group()] += 1
        self.phrases: dict[str, str] = {}
        for acr, c in counts.items():
            by_key = Counter()
            for phrase, n in c.items():
                by_key[_key(phrase)] += n
            key, n = by_key.most_common(1)[0]
            # 'GP': General Purpose or Granular Permissions? Only a clear majority is taken.
            if n >= MAJORITY * sum(by_key.values()):
                self.phrases[acr] = max((p for p in c if _key(p) == key), key=lambda p: c[p])

    def expand(self, question: str) -> str:
        """'what is MFA?' → 'what is MFA (Multifactor Authentication)?'. A word in capitals ('MFA',
        'RIs') is taken for an acronym; in lower case only from three letters on ('mfa', 'elb'),
        since 'od' or 'ws' typed in lower case is more likely something else; a letter and a number
        ('r53', 'l7') either way. A part of a hyphenated name ('SSE-KMS') is left as it is."""
        def sub(m: re.Match) -> str:
            tok = m.group()
            if not tok.isupper() and not (tok[:-1].isupper() and tok.endswith("s")) and len(tok) < 3:
                return tok
            acr = tok[:-1] if tok.endswith("s") and tok[:-1].isupper() else tok
            phrase = self.phrases.get(acr.lower())
            return f"{tok} ({phrase})" if phrase else tok

        # not inside a hyphenated name: "SSE-KMS" is one name, not "SSE (Server Side Encryption)-KMS"
        return re.sub(r"(?<![\w\-])(?:[A-Z]{2,6}s?|[a-z]{3,6}|[A-Za-z]\d{1,4})(?![\w\-])", sub, question)

    def spell_numbered(self, text: str) -> str:
        """'r53 vs cloudfront' → 'Route 53 vs cloudfront': a short name with a number is unambiguous once the notes
        name it, and no passage carries 'r53' itself, so retrieval reads the name."""
        def sub(m: re.Match) -> str:
            phrase = self.phrases.get(m.group().lower())
            return phrase if phrase and _NAMED_NUMBER.fullmatch(phrase) else m.group()

        return re.sub(r"\b[A-Za-z]\d{1,4}\b", sub, text)


# "what does RDS stand for?", "what's MFA short for?", "RDS stands for?"
STANDS_FOR = re.compile(r"\b(?:what(?:'s|s| is| does| do)?\s+(?:an?\s+|the\s+)?([A-Za-z][A-Za-z0-9]{1,6})\s+(?:stand|stands)\s+for"
                        r"|what(?:'s|s| is)\s+([A-Za-z][A-Za-z0-9]{1,6})\s+short\s+for"
                        r"|([A-Za-z][A-Za-z0-9]{1,6})\s+stands?\s+for\s+what)\b", re.I)


def asked_acronym(question: str) -> str | None:
    """The acronym of a question that only asks what it stands for ("what does RDS stand for in AWS?"); not of one
    that asks more ("what does EBS stand for, and what is it?")."""
    m = STANDS_FOR.search(question)
    if not m:
        return None
    rest = (question[:m.start()] + " " + question[m.end():]).strip(" ?.!")
    if rest and not re.fullmatch(r"(?:in|on|within|for)\s+[\w \-]+", rest, re.I):
        return None
    return next((g for g in m.groups() if g), None)


def spelled_out(acr: str, texts: list[str], phrases: dict[str, str]) -> tuple[str, int] | None:
    """Where the notes spell out `acr`: "Amazon Relational Database Service (RDS)" (the phrase before the
    acronym in parentheses, whose last words' initials are the acronym), else the phrase the acronym map found
    ("Multifactor Authentication" for MFA). Returns (phrase, index of the text that holds it)."""
    want = acr.lower()
    paren = re.compile(r"((?:[A-Z][\w\-]*\s+){1,6})\(\s*" + re.escape(acr) + r"\s*\)", re.I)
    for i, t in enumerate(texts):
        for m in paren.finditer(t):
            ws = m.group(1).split()
            for k in range(len(ws)):  # the shortest tail that spells it, then back to a leading "Amazon" / "AWS"
                if "".join(initials(w) for w in re.split(r"[ -]", " ".join(ws[k:]))) == want:
                    start = k - 1 if k and ws[k - 1] in ("Amazon", "AWS") else k
                    return " ".join(ws[start:]), i
    phrase = phrases.get(want)
    if phrase:
        for i, t in enumerate(texts):
            if phrase in t:
                return phrase, i
    return None
