"""Learners misspell ("elasticahce", "recieve"); their notes' own words are the dictionary.
A question word the notes lack is replaced by the one notes word within an edit or two of it,
unless the word is common English (then it is a real word the notes simply do not use).
Two words the notes write as one ("host name" → "hostname", "fail over" → "failover") are joined, one word
the notes write hyphenated ("xray" → "x-ray") is split, and so is one the notes write as two or three words
("loadbalancer" → "load balancer", "puttygen" → "putty key generator")."""
from __future__ import annotations

import bisect
import re
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .text import STOPWORDS, english_zipf, stem, words

MAX_COMPOUND = 40  # letters: a longer "word" is pasted junk, not a compound to read apart
MIN_LEN = 5  # shorter words are too often another real word one edit away
# What learners type for a word in chat; written out only when the notes do not use the short form themselves.
ABBREVIATIONS = {
    "u": "you", "r": "are", "ur": "your", "pls": "please", "plz": "please", "ppl": "people", "thru": "through",
    "bc": "because", "cuz": "because", "abt": "about", "req": "request", "reqs": "requests", "sec": "second",
    "secs": "seconds", "hr": "hour", "hrs": "hours", "yr": "year", "yrs": "years", "perf": "performance",
    "config": "configuration", "info": "information", "msg": "message", "msgs": "messages",
    "auth": "authentication", "env": "environment", "prod": "production", "db": "database",
    "dbs": "databases", "gw": "gateway", "approx": "approximately", "avg": "average", "diff": "difference",
}
# Asides on how to answer, not on what: "in plain english", "noob q -", "in a nutshell". Their words are no
# query words ("what is EC2 in simple terms?" ranked On-Demand's "simple" first; "in plain english" made the
# question look uncovered).
_ASIDES = re.compile(
    r"^\s*(?:(?:a\s+)?(?:noob|newbie|beginner|dumb|stupid|silly|quick|basic|simple)\s+(?:q|qn|question)\b)"
    r"\s*[-–—:,.]?\s*"
    r"|,?\s*\b(?:in\s+(?:plain|simple|layman'?s?|easy|basic|everyday)\s+(?:english|terms|words|language)"
    r"|(?:in|into)\s+(?:\w+\s+)?steps|step[\s-]+by[\s-]+step"  # a form: "break it down into steps" is no Step Functions
    r"|in\s+a\s+nutshell|tl;?\s?dr|eli5|explain(?:ed)?\s+like\s+i'?m\s+(?:five|5)|for\s+(?:a\s+)?(?:dummies|beginners|noobs?))\b",
    re.I,
)


def without_asides(question: str) -> str:
    """The question without asides on how to answer it (unchanged if nothing else would be left)."""
    # a space before punctuation that ends a word goes; not before a name that starts with a dot (".ppk", ".com")
    out = re.sub(r"\s+([?.!,;:])(?=\s|$)", r"\1", re.sub(r"\s{2,}", " ", _ASIDES.sub(" ", question))).strip(" ,")
    return out if re.search(r"\w", out) else question


_CODED = re.compile(r"\b[A-Za-z]{2,}[0-9]+[A-Za-z0-9]*\b")
SHORT_TYPO_ZIPF = 1.0  # a four-letter word rarer than this is no English word: a typo ("puty"), not a word
COMMON_ZIPF = 3.0  # wordfreq Zipf at or above which an unknown word is taken as meant
# A misspelt English word the notes do not use ("diffrence", "cheapst") is mapped to the one common English word
# an edit away, so that it reads as English, not as a name the notes lack. Only long words: a short one is too
# often a product name one edit from a common word ("macie" → "marie"); and only rare ones: a word in some use
# is more likely jargon than a typo ("backend", Zipf 2.9, is not "backed").
ENGLISH_MIN_LEN = 7
ENGLISH_ZIPF = 3.5
TYPO_ZIPF = 2.5


@lru_cache(maxsize=1)
def _english() -> list[str]:
    from wordfreq import top_n_list, zipf_frequency

    return [w for w in top_n_list("en", 40_000)
            if w.isalpha() and len(w) >= ENGLISH_MIN_LEN - 1 and zipf_frequency(w, "en") >= ENGLISH_ZIPF]


def _closest(w: str, vocab: list[str], limit: int) -> list[str]:
    """The words of `vocab` closest to `w`, within `limit` edits (none, one, or a tie)."""
    hits = process.extract(w, vocab, scorer=OSA.distance, score_cutoff=limit, limit=3)
    best = min((d for _, d, _ in hits), default=0)
    return [m for m, d, _ in hits if d == best]


@lru_cache(maxsize=1)
def _english_words() -> list[str]:
    """English words in some use (Zipf ≥ 2.5), for what the notes misspelt."""
    from wordfreq import top_n_list, zipf_frequency

    ranked = top_n_list("en", 100_000)  # most frequent first: cut where the frequency falls under 2.5
    lo, hi = 0, len(ranked)
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if zipf_frequency(ranked[mid], "en") >= 2.5 else (lo, mid)
    return [w for w in ranked[:lo] if w.isalpha() and len(w) >= 5]


# A question word typed wrong ("wht", "teh", "wich"): a rare string the notes never write, one word of the stopword
# list with two letters swapped or one dropped. Not one letter changed: a name one letter off a stopword ("alb",
# "ses") is a name.
FUNCTION_TYPO_ZIPF = 3.1


@lru_cache(maxsize=1)
def _function_words() -> list[str]:
    return sorted(w for w in STOPWORDS if w.isalpha() and len(w) >= 3)


def _function_word(w: str) -> str:
    tops = [t for t in _closest(w, _function_words(), 1)
            if sorted(t) == sorted(w) or len(t) > len(w) and re.fullmatch(".*".join(map(re.escape, w)), t)]
    return tops[0] if len(tops) == 1 else ""


NOTES_TYPO_ZIPF = 1.0  # a notes word rarer than this in English is no word at all ("medatadata", "quries")


def _notes_typos(vocab: list[str]) -> dict[str, str]:
    """English word → the notes' misspelling of it: the learner types "metadata", the notes wrote "Medatadata".
    Only a notes word that is no English word, with one English word closest to it (never a tie: "quries" is as
    near "queries" as "juries"), and only when the notes never spell that word right."""
    known = set(vocab)
    out = {}
    for w in vocab:
        if len(w) < 6 or english_zipf(w) >= NOTES_TYPO_ZIPF:
            continue
        tops = _closest(w, _english_words(), 1 if len(w) <= 8 else 2)
        if len(tops) == 1 and tops[0] not in known:
            out[tops[0]] = w
    return out


class Speller:
    def __init__(self, texts: list[str]):
        self.vocab = sorted({w for t in texts for w in words(t) if w.isalpha() and len(w) >= MIN_LEN - 1})
        self._known = set(self.vocab)
        notes_words = {w for t in texts for w in words(t)}
        self._abbreviations = {a: w for a, w in ABBREVIATIONS.items() if a not in notes_words}
        # "xray", "multiaz": a hyphenated name of the notes written as one word
        self._unhyphenated = {w.replace("-", ""): w for w in notes_words
                              if "-" in w and w.replace("-", "").isalpha() and w.replace("-", "") not in notes_words}
        self._notes_typos = _notes_typos(self.vocab)
        # names with digits ("route53", "ec2", "gp2"): "rout53" is one of them misspelt, not the word "rout"
        self._coded = sorted({m.lower() for t in texts for m in _CODED.findall(t)})
        self._notes_words = {w.lower() for w in notes_words}
        # each notes word → the (up to three) words that follow it somewhere: where a compound is written apart
        self._after: dict[str, set[tuple[str, ...]]] = {}
        for t in texts:
            run = [w.lower() for w in words(t)]
            for i in range(len(run) - 1):
                self._after.setdefault(run[i], set()).add(tuple(run[i + 1:i + 4]))

    def fix_word(self, w: str) -> str:
        if w in self._abbreviations:
            return self._abbreviations[w]
        if (len(w) >= 4 and w.endswith("s") and w not in self._notes_words and w[:-1] in self._notes_words
                and w[:-1] not in STOPWORDS and stem(w) != stem(w[:-1])):
            return w[:-1]  # "gpus": the stemmer keeps a name's plural whole ("gpus", "ssds"); the notes say "GPU"
        if w in self._unhyphenated:
            return self._unhyphenated[w]
        if w in self._notes_typos:
            return self._notes_typos[w]
        if len(w) == MIN_LEN - 1 and w.isalpha() and w not in self._known and english_zipf(w) < SHORT_TYPO_ZIPF:
            # a short word that is no word at all ("puty"): the one notes word an edit away, if there is one
            tops = _closest(w, self.vocab, 1)
            if len(tops) > 1:  # "puts" or "putty": a learner misspells the notes' names more than "puts"
                tops = [t for t in tops if english_zipf(t) < COMMON_ZIPF]
            return tops[0] if len(tops) == 1 else w
        if (3 <= len(w) <= 7 and w.isalpha() and w not in STOPWORDS and w not in self._notes_words
                and english_zipf(w) < FUNCTION_TYPO_ZIPF):
            said = _function_word(w)
            if said:
                return said
        if len(w) < MIN_LEN or not w.isalpha() or w in self._known or w in STOPWORDS or english_zipf(w) >= COMMON_ZIPF:
            return w
        longer = self._starting_with(w)
        if len(longer) == 1:
            return longer[0]  # "postgres": the notes write "PostgreSQL"
        apart = self.written_apart(w)
        if apart:
            return apart
        limit = 1 if len(w) <= 8 else 2
        tops = _closest(w, self.vocab, limit)
        if not tops and len(w) >= ENGLISH_MIN_LEN and english_zipf(w) < TYPO_ZIPF:
            tops = _closest(w, _english(), 1)
        if len({stem(t) for t in tops}) == 1:  # "reservd": "reserve" or "reserved", the same word to the search
            return min(tops, key=len)
        return w  # two equally close words: do not guess

    def _starting_with(self, w: str) -> list[str]:
        i = bisect.bisect_left(self.vocab, w)
        out = []
        while i < len(self.vocab) and self.vocab[i].startswith(w) and len(out) < 2:
            out.append(self.vocab[i])
            i += 1
        return out

    def written_apart(self, w: str) -> str | None:
        """The words the notes write for a compound typed as one word: "loadbalancer" → "load balancer" (the notes
        write the two side by side), "puttygen" → "putty key generator" (a notes name that is no common English word,
        then within three words one that the rest begins: a tool's name shortened the usual way). None unless exactly
        one reading fits."""
        if len(w) > MAX_COMPOUND:
            return None
        found: set[str] = set()
        for k in range(3, len(w) - 2):
            head, rest = w[:k], w[k:]
            if head not in self._after or head in STOPWORDS:
                continue
            # a shortened word ("gen") only after a name that is no common English word: "loadgen" is no notes phrase
            shortened_ok = english_zipf(head) < COMMON_ZIPF
            for nxt in self._after[head]:
                for j, x in enumerate(nxt):
                    if (x == rest and j == 0) or (shortened_ok and x.startswith(rest)):
                        found.add(" ".join((head, *nxt[:j + 1])))
                        break
        return found.pop() if len(found) == 1 else None

    def part_of_notes_word(self, w: str, min_len: int = 5) -> bool:
        """The word starts a longer notes word ("postgres" of "postgresql"), or a notes name that is no common English
        word starts it ("puttygen" of "putty"). At least `min_len` letters in common: "ec" starts many words."""
        if len(w) < min_len or not w.isalpha():
            return False
        if self._starting_with(w):
            return True
        # a name that starts it, not an English word: "cloudtrail" is no kind of "cloud" the notes mean
        return any(v in self._known and english_zipf(v) < COMMON_ZIPF for v in (w[:k] for k in range(min_len, len(w))))

    def fix(self, text: str) -> str:
        """The text with misspelt words replaced (case and punctuation of the rest kept)."""
        text = _CODED.sub(lambda m: self._fix_coded(m.group()), self.join_compounds(text))
        return re.sub(r"(?<![0-9])[A-Za-z]+(?![0-9])", lambda m: self._fix_token(m.group()), text)

    def _fix_coded(self, tok: str) -> str:
        """"rout53" → "route53": the one notes name with the same digits an edit away."""
        low = tok.lower()
        if low in self._coded:
            return tok
        digits = re.sub(r"[^0-9]", "", low)
        tops = [c for c in _closest(low, self._coded, 1) if re.sub(r"[^0-9]", "", c) == digits]
        return tops[0] if len(tops) == 1 else tok

    def join_compounds(self, text: str) -> str:
        """"host name" → "hostname" when the notes write the joined word (a first word that is a stopword
        never joins: the notes' own typo "theresults" must not swallow "the results")."""
        out, last = [], 0
        toks = list(re.finditer(r"[A-Za-z]{3,}", text))
        i = 0
        while i < len(toks):
            a = toks[i]
            b = toks[i + 1] if i + 1 < len(toks) else None
            if b is not None and text[a.end():b.start()] == " " and a.group().lower() not in STOPWORDS:
                joined = (a.group() + b.group()).lower()
                if joined in self._known:
                    out.append(text[last:a.start()] + joined)
                    last, i = b.end(), i + 2
                    continue
            i += 1
        return "".join(out) + text[last:]

    def _fix_token(self, tok: str) -> str:
        fixed = self.fix_word(tok.lower())
        return tok if fixed == tok.lower() else fixed
