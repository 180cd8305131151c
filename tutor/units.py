"""A passage → the units an answer is made of: sentences, list items, table cells phrased as "Row: cell".

Shared by the composer (which picks and cites units) and the retriever (a passage is as close to the
question as its closest unit).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .text import content_terms, sentences
from .types import Passage

SHORT_ITEM_WORDS = 6  # list items this short read better joined on one line
# The ingest keeps each notes file's unit vectors on disk under this version (tutor/unit_cache.py). It is the hash
# of the code that splits and phrases passages into units (this module and text.py), so an edit there has every
# file's units embedded again at the next ingest, with nobody having to remember to bump a number.
UNITS_VERSION = hashlib.sha256(b"".join(
    Path(__file__).with_name(n).read_bytes() for n in ("units.py", "text.py"))).hexdigest()[:16]


def nwords(text: str) -> int:
    return len(text.split())


@dataclass
class Unit:
    passage: Passage
    rank: int
    text: str  # what the answer says, already phrased for reading
    terms: frozenset[str]
    score: float = 0.0
    named: float = 0.0  # how much of its passage's key the question names
    context: str = ""  # the row key / bullet head put in front of the text ("Spot: …"), if any

    @property
    def body(self) -> str:
        """The text without the key put in front of it."""
        return self.text[len(self.context) + 2:] if self.context else self.text


# "Allows you to map your domain names to" / "Supports 2 … caching engines:": an item that stops on a colon or a
# preposition is completed by the short items nested under it.
_DANGLING = re.compile(r"(?::|\b(?:to|for|of|with|from|by|like|as|include|includes|including))\s*$", re.I)
_CHILD_MAX_WORDS = 10
# "This breaks the replication": a sentence that opens on a demonstrative says something of the one before.
# "Same as IA. However, data is stored in a single availability zone only": one that opens on a contrast too (cut
# after the first, "S3 - One Zone IA: Same as IA" read as if the two classes were one).
_ANAPHOR = re.compile(r"^(?:This|That|These|Those|However|But|Except|Unlike)\b")


def _join_dangling(items: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(items):
        it = items[i]
        j = i + 1
        if _DANGLING.search(it.strip()):
            while j < len(items) and j - i <= 6 and nwords(items[j]) <= _CHILD_MAX_WORDS and not _DANGLING.search(items[j].strip()):
                j += 1
        if j - i >= 3:  # two or more children: one sentence
            out.append(f"{it.strip()} {', '.join(x.strip() for x in items[i + 1:j])}")
            i = j
        else:
            out.append(it)
            i += 1
    return out


def nest_groups(items: tuple[str, ...], depth: tuple[int, ...]) -> list[tuple[str, list[str]]]:
    """A short item with what is nested under it: "Identity Federation" over "Active Directory, Facebook, Linkedin" is
    one item, "Identity Federation (Active Directory, Facebook, Linkedin and etc)", not a bare name and an orphan list.
    A longer item says something on its own and keeps its children apart (so does one that stops on a colon or a
    preposition: _join_dangling completes it). Returns (item, the children folded into it) pairs, in notes order."""
    if len(depth) != len(items):
        return [(it, []) for it in items]
    out: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(items):
        j = i + 1
        while j < len(items) and depth[j] > depth[i]:
            j += 1
        head, kids = items[i].strip(), [k.strip() for k in items[i + 1:j]]
        if not kids or _DANGLING.search(head) or nwords(head) > SHORT_ITEM_WORDS:
            out += [(head, []), *((k, []) for k in kids)]
        else:
            out.append((head.rstrip(" :;,"), kids))
        i = j
    return out


def _nest(items: tuple[str, ...], depth: tuple[int, ...]) -> list[str]:
    return [f"{head} ({'; '.join(kids)})" if kids else head for head, kids in nest_groups(items, depth)]


def reading_sentences(text: str) -> list[str]:
    """Sentences as an answer quotes them: one that leans on the one before ("This …", "However, …") joined to it."""
    out: list[str] = []
    for s in sentences(text):
        if out and _ANAPHOR.match(s):  # one sentence, so that it ends on one citation
            out[-1] = f"{out[-1].rstrip('.')}; {s[0].lower()}{s[1:]}"
        else:
            out.append(s)
    return out


def units_of(p: Passage, rank: int = 0) -> list[Unit]:
    """The passage's readable pieces (sentences, list items, table cells phrased 'Row: cell'), in notes order."""
    out: list[Unit] = []

    def add(text: str, context: str = "") -> None:
        text = text.strip().rstrip(";")
        if not text or not re.search(r"\w", text):
            return
        # the key leads unless the text opens on it: "Users: End Users", not a bare "End Users"
        prefixed = bool(context) and not text.lower().startswith(context.lower())
        shown = f"{context}: {text}" if prefixed else text
        out.append(Unit(p, rank, shown, frozenset(content_terms(shown + " " + p.section_path)),
                        context=context if prefixed else ""))

    if p.kind == "table_row":
        for label, cell in p.fields[1:]:
            ctx = p.title if not label or label.lower() in ("description",) else f"{p.title} ({label.lower()})"
            cell_items = [it for it in p.items if it and it in cell]
            if cell_items:
                lead = cell.split(":")[0] if ":" in cell and not cell.startswith(cell_items[0]) else ""
                if all(nwords(it) <= SHORT_ITEM_WORDS for it in cell_items) and len(cell_items) > 1:
                    add(", ".join(cell_items), f"{ctx} — {lead}" if lead else ctx)
                else:
                    for it in cell_items:
                        for s in reading_sentences(it):
                            add(s, ctx)
            else:
                for s in reading_sentences(cell):
                    add(s, ctx)
        if len(p.fields) <= 1:
            add(p.text)
    elif p.kind == "bullet" and p.items:
        head = p.title.rstrip(":,")
        items = _join_dangling(tuple(_nest(p.items, p.item_depth)))
        short = all(nwords(it) <= SHORT_ITEM_WORDS for it in items)
        if short:
            add(", ".join(items), head)
        else:
            as_context = nwords(head) <= 6 and not head.endswith("?")
            if not head.endswith("?") and not as_context:  # a short head lives on as its items' context
                for s in reading_sentences(head):
                    add(s)
            for it in items:
                for s in reading_sentences(it):
                    add(s, head if as_context else "")
    else:
        for s in reading_sentences(p.text):
            add(s)
    return out


def unit_texts(p: Passage) -> list[str]:
    """The texts whose embeddings stand for the passage's units (the passage's own text if it has none)."""
    return [u.text for u in units_of(p)] or [p.text]
