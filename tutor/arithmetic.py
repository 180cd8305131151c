"""Worked figures: the learner's own numbers put through a rate the notes give, or held against a limit they give.

"a 1,500 GB gp2 volume, what baseline IOPS?" is answered by the notes' "Ratio of 3 IOPS per GB with up to
10,000 IOPS" only if someone does the multiplication. This module finds, in a passage, the rates it states
("3 IOPS per GB", "$0.2 per 1 million requests", "$0.00001667 for every GB/second") with what qualifies them in
the same passage (a free allowance "First 1 million requests are free", a cap "up to 10,000 IOPS", a rounding
"rounded up to the nearest 100ms"), finds the quantities in the question ("3 million calls", "512mb", "230ms"),
and writes the calculation out, step by step, so the learner can check it. Nothing is assumed that the notes do
not say: a question without a quantity in the rate's units gets no worked figure.

A limit is checked the same way: "can i put a 7TB dump into s3 as one file?" against "Can be from 0 bytes to 5TB".
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from .text import content_terms, stem
from .types import Passage

# Units by kind, each with its size in the kind's base unit. Sizes are binary, as AWS bills memory (1 GB = 1,024 MB).
_UNITS: dict[str, tuple[str, float]] = {
    **{u: ("size", 1 / 1024) for u in ("mb", "mib", "megabyte", "megabytes")},
    **{u: ("size", 1.0) for u in ("gb", "gib", "gigabyte", "gigabytes")},
    **{u: ("size", 1024.0) for u in ("tb", "tib", "terabyte", "terabytes")},
    **{u: ("time", 0.001) for u in ("ms", "msec", "millisecond", "milliseconds")},
    **{u: ("time", 1.0) for u in ("s", "sec", "secs", "second", "seconds")},
    **{u: ("time", 60.0) for u in ("min", "mins", "minute", "minutes")},
    **{u: ("time", 3600.0) for u in ("hr", "hrs", "hour", "hours")},
    # what a function or an API is sent: each is one request
    **{u: ("request", 1.0) for u in ("request", "requests", "req", "reqs", "call", "calls", "invocation",
                                     "invocations", "run", "runs", "execution", "executions", "times")},
    "iops": ("iops", 1.0),
}
# a limit is also said in days, bytes and copies ("between 1 and 35 days", "from 0 bytes to 5TB", "up to 5 copies");
# not rates' units: "30 days" is no run time to bill
_LIMIT_UNITS: dict[str, tuple[str, float]] = {
    **_UNITS,
    **{u: ("time", 86400.0) for u in ("day", "days")},
    **{u: ("size", 1 / 1024 ** 3) for u in ("byte", "bytes")},
    **{u: ("size", 1 / 1024 ** 2) for u in ("kb", "kib", "kilobyte", "kilobytes")},
    **{u: ("copy", 1.0) for u in ("copy", "copies", "replica", "replicas")},
}
_BASE_NAME = {"size": "GB", "time": "s", "request": "requests", "iops": "IOPS"}
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mil": 1e6, "mill": 1e6, "million": 1e6, "millions": 1e6,
          "b": 1e9, "billion": 1e9}
_NUM = r"\d[\d,]*(?:\.\d+)?|\.\d+"
_SCALE_RE = r"(?:k|thousand|m|mil|mill|millions?|b|billion)\b"


def _quantity_re(units: dict) -> re.Pattern:
    # "1,500 GB", "3 million calls", "500k requests", "128mb", "2.5 mil invocations", "a million requests", "8 read replicas"
    alts = "|".join(sorted((re.escape(u) for u in units), key=len, reverse=True))
    return re.compile(
        rf"(?<![\w.$])(?P<num>{_NUM}|an?|one)\s*(?P<scale>{_SCALE_RE})?\s*(?:(?:lambda|api|function|more|total|of|"
        rf"baseline|provisioned|extra|additional|read)\s+)?(?P<unit>{alts})\b", re.I)


_QUANTITY = _quantity_re(_UNITS)
_LIMIT_QUANTITY = _quantity_re(_LIMIT_UNITS)
# "3 IOPS per GB", "$0.2 per 1 million requests", "$0.00001667 for every GB/second"
_RATE = re.compile(
    rf"(?P<dollar>\$)?(?P<num>{_NUM})\s*(?P<unit>(?!(?:per|for|every)\b)\w+)?\s+(?:per|for every|for each|every)\s+"
    rf"(?:(?P<dnum>{_NUM})\s*(?P<dscale>{_SCALE_RE})?\s*)?(?P<dunit>[a-z]+(?:/[a-z]+)?)", re.I)
_FREE = re.compile(rf"\bfirst\s+(?P<num>{_NUM})\s*(?P<scale>{_SCALE_RE})?\s*(?P<unit>[a-z]+)\s+(?:are|is)\s+free\b", re.I)
_ROUND = re.compile(rf"\brounded\s+up\s+to\s+the\s+nearest\s+(?P<num>{_NUM})\s*(?P<unit>[a-z]+)", re.I)
# the question asks for an amount: a cost, a count, a size ("how much", "what will it cost", "baseline iops")
_ASKS_AMOUNT = re.compile(r"\bhow (?:much|many|big|large|long)\b|\bcost|\bbill|\bcharge|\bpay\b|\bprice|\bfee|\bwhat (?:size|"
                          r"will|would|do|does)\b|\bbaseline\b|\bget\b|\bgive\b|\bwork(?:ed|s)? out\b|\bcome to\b", re.I)
# a limit in the notes: "up to 20,000 IOPS per volume", "between 1 and 35 days", "from 0 bytes to 5TB"; a rate's cap
# is the first "up to" after it in its own unit ("3 IOPS per GB with up to 10,000 IOPS")
_UP_TO = re.compile(rf"\bup\s+to\s+(?P<num>{_NUM})\s*(?P<scale>{_SCALE_RE})?\s*(?P<unit>[a-z]+)(?:\s+per\s+[a-z]+)?", re.I)
_RANGE = re.compile(rf"\b(?:between|from)\s+(?P<lo>{_NUM})\s*(?P<lounit>[a-z]+)?\s+(?:and|to)\s+(?P<num>{_NUM})\s*"
                    rf"(?P<scale>{_SCALE_RE})?\s*(?P<unit>[a-z]+)", re.I)
# the question asks whether its quantity fits: "can i put a 7TB file…", "can it get that high?", "is 60 days allowed?"
_ASKS_FIT = re.compile(r"\b(?:can|could|possible|allow(?:s|ed)?|support(?:s|ed)?|fit|enough|max(?:imum)?|limit|exceed|"
                       r"too\s+(?:big|large|many|much|long|high)|that\s+(?:high|big|many|much|long|large))\b", re.I)
MAX_VALUE = 1e15  # beyond this a "quantity" is pasted digits, not a workload


@dataclass(frozen=True)
class Quantity:
    value: float  # in the kind's base unit
    kind: str
    said: str  # as the question wrote it
    scale: float = 1.0  # of its unit in the base unit (a TB is 1,024 GB)


@dataclass(frozen=True)
class Rate:
    amount: float  # of `unit` (dollars when money)
    unit: str  # "$" or the numerator's unit as the notes write it ("IOPS")
    per: float  # this much of the denominator, in base units
    per_kinds: tuple[str, ...]  # one kind, or two for a product ("GB/second": size × time)
    said: str  # the notes' words ("3 IOPS per GB")
    free: float = 0.0  # of the denominator, in base units, before the rate applies
    free_said: str = ""
    cap: float | None = None  # of the numerator
    cap_said: str = ""
    rounding: float = 0.0  # seconds: each run's time is rounded up to this
    rounding_said: str = ""


@dataclass(frozen=True)
class Limit:
    kind: str
    low: float | None  # in the kind's base unit
    high: float
    said: str  # the notes' words ("up to 5 copies")


@dataclass(frozen=True)
class Worked:
    text: str  # one sentence, the calculation written out (no citation marker)
    passage: Passage
    value: float
    unit: str
    check: bool = False  # a quantity held against a limit, not a calculation


def _number(num: str, scale: str | None) -> float:
    n = num.lower()
    v = 1.0 if n in ("a", "an", "one") else float(n.replace(",", ""))
    return v * _SCALE.get((scale or "").lower(), 1.0)


def _kind(unit: str) -> tuple[str, float] | None:
    return _UNITS.get(unit.lower())


def quantities(question: str, limits: bool = False) -> list[Quantity]:
    """The question's quantities in rates' units; `limits`: also in limits' units (days, bytes, copies)."""
    out = []
    for m in (_LIMIT_QUANTITY if limits else _QUANTITY).finditer(question):
        k = (_LIMIT_UNITS if limits else _UNITS).get(m.group("unit").lower())
        if k is None:
            continue
        if m.group("num").lower() in ("a", "an", "one") and not m.group("scale"):
            continue  # "a request", "one run": no quantity to work with
        v = _number(m.group("num"), m.group("scale")) * k[1]
        if 0 < v < MAX_VALUE:
            out.append(Quantity(v, k[0], m.group(0).strip(), k[1]))
    return out


def rates(p: Passage) -> list[Rate]:
    """The rates a passage states, each with the allowance, cap and rounding the same passage gives."""
    text = p.text
    free = [(m, _kind(m.group("unit"))) for m in _FREE.finditer(text)]
    rounding = [(m, _kind(m.group("unit"))) for m in _ROUND.finditer(text)]
    out = []
    for m in _RATE.finditer(text):
        unit = "$" if m.group("dollar") else (m.group("unit") or "")
        if not unit or unit.lower() in ("of", "and", "or", "the", "is", "are"):
            continue
        dunit = m.group("dunit").lower()
        parts = dunit.split("/")
        kinds = [_kind(x) for x in parts]
        if any(k is None for k in kinds):
            continue
        per = _number(m.group("dnum"), m.group("dscale")) if m.group("dnum") else 1.0
        per *= math.prod(k[1] for k in kinds)
        try:
            amount = float(m.group("num").replace(",", ""))
        except ValueError:
            continue
        r = Rate(amount, unit, per, tuple(k[0] for k in kinds), m.group(0).strip())
        # a single-kind denominator may have a free allowance of it ("First 1 million requests are free")
        for f, fk in free:
            if len(kinds) == 1 and fk is not None and fk[0] == kinds[0][0]:
                r = replace(r, free=_number(f.group("num"), f.group("scale")) * fk[1], free_said=f.group(0).strip())
        # a cap on the result, said after the rate ("3 IOPS per GB with up to 10,000 IOPS")
        for c in _UP_TO.finditer(text, m.end()):
            if c.group("unit").lower() == unit.lower():
                r = replace(r, cap=_number(c.group("num"), c.group("scale")), cap_said=c.group(0).strip())
                break
        for g, gk in rounding:
            if gk is not None and gk[0] == "time" and "time" in r.per_kinds:
                r = replace(r, rounding=_number(g.group("num"), None) * gk[1], rounding_said=g.group(0).strip())
        out.append(r)
    return out


def _fmt(x: float) -> str:
    """4500 → "4,500", 2.5 → "2.5", 0.125 → "0.125" (money: _money)."""
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{x:.6g}"


def _money(x: float) -> str:
    # a fraction of a cent keeps four significant digits, written out ("$0.00001667", not "1.667e-05")
    return f"${x:,.2f}" if x >= 0.01 or x == 0 else "$" + np.format_float_positional(x, precision=4, fractional=False, trim="-")


def _time(s: float) -> str:
    return f"{_fmt(s * 1000)} ms" if s < 1 else f"{_fmt(s)} s"


def _amount(x: float, r: Rate) -> str:
    return _money(x) if r.unit == "$" else f"{_fmt(x)} {r.unit}"


def _of_kind(qs: list[Quantity], kind: str) -> Quantity | None:
    found = [q for q in qs if q.kind == kind]
    return found[0] if found else None


def _simple(r: Rate, qs: list[Quantity], p: Passage, inverse: bool = True) -> Worked | None:
    kind = r.per_kinds[0]
    q = _of_kind(qs, kind)
    unit_name = _BASE_NAME[kind]
    if q is None:
        if not inverse:
            return None
        # the inverse: the learner gives the result and asks for the input ("9000 IOPS, how big a volume?")
        want = _of_kind(qs, _kind(r.unit)[0]) if r.unit != "$" and _kind(r.unit) else None
        if want is None or not r.amount:
            return None
        if r.cap is not None and want.value > r.cap:
            return Worked(f"{want.said} is more than the notes give ({r.cap_said})", p, r.cap, r.unit)
        need = want.value / r.amount * r.per
        return Worked(f"{want.said} ÷ {r.said} = {_fmt(need)} {unit_name}", p, need, unit_name)
    steps = []
    amount = q.said
    if kind == "size" and q.scale != 1.0:  # "2 TB = 2,048 GB": the rate is per GB
        steps.append(f"{q.said} = {_fmt(q.value)} GB")
        amount = f"{_fmt(q.value)} GB"
    billable = max(0.0, q.value - r.free)
    if r.free:
        if billable == 0:
            return Worked(f"{q.said} is within the free allowance ({r.free_said}), so {_amount(0.0, r)}", p, 0.0, r.unit)
        steps.append(f"{r.free_said}: {q.said} − {_fmt(r.free)} = {_fmt(billable)} {unit_name}")
        amount = _fmt(billable)
    value = billable / r.per * r.amount
    if r.per == 1:
        steps.append(f"{amount} × {r.said} = {_amount(value, r)}")
    else:
        steps.append(f"{amount} ÷ {_fmt(r.per)} × {r.said.split(' per ')[0]} = {_amount(value, r)}")
    text = "; ".join(steps)
    if r.cap is not None and value > r.cap:
        text += f", but the notes cap it: {r.cap_said}"
        value = r.cap
    return Worked(text, p, value, r.unit)


def _product(r: Rate, qs: list[Quantity], p: Passage) -> Worked | None:
    """A rate per GB-second: memory × billed time per run × runs."""
    if sorted(r.per_kinds) != ["size", "time"]:
        return None
    size, time = _of_kind(qs, "size"), _of_kind(qs, "time")
    if size is None or time is None:
        return None
    runs = _of_kind(qs, "request")
    billed = time.value
    steps = []
    if r.rounding:
        billed = math.ceil(round(time.value / r.rounding, 9)) * r.rounding
        if billed != time.value:
            steps.append(f"{time.said} is billed as {_time(billed)} ({r.rounding_said})")
    n = runs.value if runs else 1.0
    gbs = size.value * billed * n
    value = gbs / r.per * r.amount
    product = f"{_fmt(size.value)} GB × {_fmt(billed)} s" + (f" × {_fmt(n)} runs" if runs else "")
    steps.append(f"{product} = {_fmt(gbs)} GB-seconds × {r.said.split(' for ')[0].split(' per ')[0]} = {_money(value)}")
    return Worked("; ".join(steps), p, value, "$")


def _rounding_only(r: Rate, qs: list[Quantity], p: Passage) -> Worked | None:
    """"a run of 230ms is billed as what?": the rounding alone."""
    time = _of_kind(qs, "time")
    if not r.rounding or time is None:
        return None
    billed = math.ceil(round(time.value / r.rounding, 9)) * r.rounding
    if billed == time.value:  # "5 minutes a day" is no run time to round
        return None
    return Worked(f"{time.said} is billed as {_time(billed)} ({r.rounding_said})", p, billed, "s")


_UNIT_TERMS = {stem(u) for u in _LIMIT_UNITS} | set(_LIMIT_UNITS)


def _about(question: str, p: Passage) -> bool:
    """The question names something of the passage besides numbers and units: a gp2 rate per GB is no answer to
    a question on Lambda's memory in GB."""
    said = set(content_terms(question)) - _UNIT_TERMS
    return bool(said & set(content_terms(f"{p.text} {p.section_path} {p.title}")))


def could_work(question: str) -> bool:
    """The question asks for an amount and gives a quantity of its own: worth looking for a rate."""
    return bool(_ASKS_AMOUNT.search(question)) and bool(quantities(question))


def worked_figures(question: str, passages: list[Passage], others: list[Passage] = (), limit: int = 2,
                   context: str = "") -> list[Worked]:
    """Calculations the question's quantities allow with the rates of these passages (in their order), at most
    one per passage and `limit` in all; none when the question asks for no amount or gives no quantity.
    `others` (rows beside the cited ones) only take the learner's quantity forward: "25,000 iops on io1?" is not
    answered by how big a gp2 volume would have to be. `context`: the earlier questions a follow-up stands on, which
    may name what it is about ("do the requests cost anything?" after "how is lambda priced?"); their numbers are not
    the learner's quantities."""
    qs = quantities(question) if _ASKS_AMOUNT.search(question) else []
    if not qs:
        return []
    out: list[Worked] = []
    primary = {p.id for p in passages}
    for p in [*passages, *others]:
        if not _about(f"{question} {context}", p):
            continue
        for r in rates(p):
            w = (_product(r, qs, p) if len(r.per_kinds) == 2 else _simple(r, qs, p, inverse=p.id in primary)) or \
                (_rounding_only(r, qs, p) if len(r.per_kinds) == 2 and p.id in primary else None)
            if w is not None:
                out.append(w)
                break
        if len(out) >= limit:
            break
    return out


def limits(p: Passage) -> list[Limit]:
    """The limits a passage states in units the tutor can compare ("up to 5 copies", "between 1 and 35 days")."""
    out = []
    for m in _UP_TO.finditer(p.text):
        k = _LIMIT_UNITS.get(m.group("unit").lower())
        if k is not None:
            out.append(Limit(k[0], None, _number(m.group("num"), m.group("scale")) * k[1], m.group(0).strip()))
    for m in _RANGE.finditer(p.text):
        k = _LIMIT_UNITS.get(m.group("unit").lower())
        lo = _LIMIT_UNITS.get((m.group("lounit") or m.group("unit")).lower())
        if k is not None and lo is not None and lo[0] == k[0]:
            low, high = _number(m.group("lo"), None) * lo[1], _number(m.group("num"), m.group("scale")) * k[1]
            if low <= high:
                out.append(Limit(k[0], low, high, m.group(0).strip()))
    return out


def _names_key(question: str, p: Passage) -> bool:
    """The question names the passage's key or its own heading ("rds backups" → "Automated Backups", "s3" → "S3"):
    a limit of one thing is not checked against another that merely shares a word with it (a manual snapshot
    against automated backups' retention), nor against every row under "EBS Volume Types"."""
    said = set(content_terms(question)) - _UNIT_TERMS
    return bool(said & (set(content_terms(f"{p.title} {p.section[-1] if p.section else ''}")) - _UNIT_TERMS))


def _outside(q: Quantity, found: list[Limit], p: Passage) -> Worked | None:
    same = [lim for lim in found if lim.kind == q.kind]
    # of several ("up to 10,000 IOPS … burst up to 3000 IOPS") the widest is the limit
    top = max(same, key=lambda lim: lim.high)
    if q.value > top.high:
        return Worked(f"{q.said} is more than they allow ({top.said})", p, top.high, q.kind, check=True)
    floor = min((lim for lim in same if lim.low is not None), key=lambda lim: lim.low, default=None)
    if floor is not None and q.value < floor.low:
        return Worked(f"{q.said} is less than they allow ({floor.said})", p, floor.low, q.kind, check=True)
    return None


def limit_checks(question: str, passages: list[Passage], context: str = "") -> list[Worked]:
    """The question's quantity held against the limits of the passages it names (in their order): the first that
    it falls outside of, unless another of them allows it ("20k iops, which type can do that?": io1's 20,000 does,
    so gp2's 10,000 is no answer). Only outside: "10MB of an object" is within "0 bytes to 5TB" without that
    saying anything."""
    if not _ASKS_FIT.search(question):
        return []
    qs = quantities(question, limits=True)
    if not qs:
        return []
    outside: list[Worked] = []
    for p in passages:
        if not _names_key(f"{question} {context}", p):
            continue
        found = limits(p)
        for q in qs:
            if not any(lim.kind == q.kind for lim in found):
                continue
            w = _outside(q, found, p)
            if w is None:
                return []
            outside.append(w)
    return outside[:1]
