"""Synthetic study notes for scale and robustness tests: `generate_corpus(dest, n_files, seed)`.

Each file reads like a learner's notes on one topic in the AWS notes' conventions: `#### Title ####`
headings (and some `##` ones), nested bullets, HTML tables with `<th>` headers, `<strong>`, lists
inside cells, links and images. Topics come from several subjects; about a third are notes on
fictional cloud providers whose wording overlaps the AWS notes (instances, replicas, buckets, edge
caches, pricing options), so a bigger corpus brings realistic near-miss distractors, not noise.

File i depends only on (seed, i): the first k files of a 200-file corpus are a k-file corpus. Pure
stdlib, no model, so tests can import it cheaply:

    from bench.gen_notes import generate_corpus
    paths = generate_corpus(tmp_path / "notes", n_files=200, seed=7)
"""
from __future__ import annotations

import random
import re
from pathlib import Path

# ---------------------------------------------------------------- vocabularies
SUBJECTS: dict[str, dict[str, list[str]]] = {
    "cloud": {
        "prefix": ["Nimbus", "Cirrus", "Stratus", "Aster", "Halcyon", "Boreal", "Quill", "Vesper", "Orbit", "Tidal"],
        "thing": ["Compute", "Block Store", "Object Vault", "Queue", "Cache", "Edge Network", "Relational DB",
                  "Functions", "Gateway", "Directory", "Load Balancer", "DNS", "Data Warehouse", "Stream"],
        "noun": ["instances", "read replicas", "snapshots", "buckets", "objects", "volumes", "edge locations",
                 "availability zones", "regions", "policies", "roles", "requests", "partitions", "nodes",
                 "throughput", "IOPS", "latency", "backups", "encryption keys", "access logs", "versions",
                 "lifecycle rules", "health checks", "target groups", "subnets", "certificates", "queues"],
        "adj": ["durable", "low-latency", "regional", "managed", "serverless", "provisioned", "burstable",
                "encrypted", "multi-zone", "cross-region", "on-demand", "reserved", "interruptible", "cold"],
        "verb": ["replicates", "caches", "stores", "routes", "scales", "bills", "encrypts", "retains",
                 "distributes", "throttles", "snapshots", "mirrors", "invokes", "balances"],
        "unit": ["hour", "second", "GB-month", "million requests", "instance", "volume", "region"],
        "col": ["Option", "Tier", "Instance class", "Storage class", "Plan", "Mode"],
    },
    "biology": {
        "prefix": ["Cell", "Plant", "Marine", "Neural", "Microbial", "Human", "Insect", "Fungal"],
        "thing": ["Respiration", "Membranes", "Genetics", "Immunity", "Photosynthesis", "Ecology",
                  "Development", "Metabolism", "Signalling", "Evolution"],
        "noun": ["proteins", "enzymes", "ribosomes", "chloroplasts", "mitochondria", "alleles", "receptors",
                 "antibodies", "neurons", "hormones", "membranes", "genes", "spores", "tissues", "cells"],
        "adj": ["aerobic", "anaerobic", "dominant", "recessive", "selective", "passive", "active", "diploid",
                "haploid", "innate", "adaptive", "hydrophobic"],
        "verb": ["transports", "encodes", "binds", "regulates", "synthesises", "releases", "absorbs",
                 "catalyses", "inhibits", "divides"],
        "unit": ["cell cycle", "generation", "minute", "molecule", "litre"],
        "col": ["Structure", "Process", "Organelle", "Stage", "Type"],
    },
    "history": {
        "prefix": ["Roman", "Ottoman", "Tudor", "Meiji", "Byzantine", "Mughal", "Hanseatic", "Carolingian"],
        "thing": ["Trade", "Reforms", "Empire", "Wars", "Law", "Religion", "Economy", "Navy", "Architecture"],
        "noun": ["treaties", "merchants", "provinces", "taxes", "guilds", "armies", "dynasties", "councils",
                 "ports", "charters", "coins", "monasteries", "roads", "courts"],
        "adj": ["imperial", "feudal", "maritime", "religious", "colonial", "agrarian", "urban", "secular",
                "hereditary", "centralised"],
        "verb": ["taxed", "conquered", "reformed", "founded", "abolished", "expanded", "controlled",
                 "negotiated", "codified", "rebuilt"],
        "unit": ["year", "decade", "century", "reign", "province"],
        "col": ["Period", "Ruler", "Event", "Institution", "Region"],
    },
    "data": {
        "prefix": ["Columnar", "Graph", "Document", "Time-series", "Vector", "Key-value", "Ledger", "Spatial"],
        "thing": ["Indexes", "Transactions", "Replication", "Sharding", "Query Planning", "Storage Engines",
                  "Isolation Levels", "Consensus", "Compaction", "Caching"],
        "noun": ["indexes", "transactions", "replicas", "shards", "locks", "pages", "logs", "queries",
                 "joins", "tables", "rows", "keys", "leaders", "followers", "checkpoints", "snapshots"],
        "adj": ["consistent", "eventual", "serializable", "append-only", "in-memory", "distributed",
                "clustered", "sparse", "compressed", "write-heavy", "read-heavy"],
        "verb": ["replicates", "partitions", "compacts", "locks", "indexes", "flushes", "merges",
                 "elects", "caches", "rebalances"],
        "unit": ["query", "transaction", "node", "second", "page", "shard"],
        "col": ["Level", "Engine", "Strategy", "Algorithm", "Approach"],
    },
    "finance": {
        "prefix": ["Retail", "Corporate", "Municipal", "Sovereign", "Private", "Mutual", "Islamic", "Green"],
        "thing": ["Bonds", "Accounting", "Banking", "Insurance", "Derivatives", "Taxation", "Auditing",
                  "Budgeting", "Payments"],
        "noun": ["bonds", "coupons", "premiums", "ledgers", "assets", "liabilities", "dividends", "options",
                 "futures", "invoices", "accounts", "reserves", "audits", "loans"],
        "adj": ["fixed-rate", "variable", "secured", "unsecured", "short-term", "long-term", "taxable",
                "deferred", "accrued", "liquid", "hedged"],
        "verb": ["pays", "accrues", "hedges", "depreciates", "amortises", "settles", "discounts",
                 "reports", "insures", "charges"],
        "unit": ["year", "quarter", "month", "contract", "account"],
        "col": ["Instrument", "Account type", "Method", "Standard", "Product"],
    },
}
WEIGHTS = {"cloud": 3, "biology": 1, "history": 1, "data": 2, "finance": 1}
QUALIFIERS = ["by default", "in most cases", "unless you opt out", "for a small extra charge", "automatically",
              "when enabled", "only within one region", "across all zones", "at no extra cost", "on request"]
TIME_UNITS = ["days", "hours", "minutes", "weeks", "months", "years"]
INTRO = ["Notes from the {t} chapter", "Summary of {t}", "{t} in one page", "Revision notes: {t}",
         "Key facts about {t}", "{t}: what to remember"]


# ---------------------------------------------------------------- sentences
class _Writer:
    def __init__(self, rng: random.Random, subject: str):
        self.rng, self.v = rng, SUBJECTS[subject]

    def pick(self, key: str) -> str:
        return self.rng.choice(self.v[key])

    def entity(self) -> str:
        return f"{self.pick('prefix')} {self.pick('thing')}"

    def num(self) -> int:
        return self.rng.choice([2, 3, 5, 7, 10, 12, 15, 24, 30, 35, 64, 90, 100, 128, 500, 1000, 3500, 5500])

    def sentence(self, e: str | None = None) -> str:
        r, p = self.rng, self.pick
        e = e or self.entity()
        forms = [
            lambda: f"{e} {p('verb')} {p('adj')} {p('noun')} {r.choice(QUALIFIERS)}",
            lambda: f"Supports up to {self.num()} {p('noun')} per {p('unit')}",
            lambda: f"Use {e} when you need {p('adj')} {p('noun')} and {p('adj')} {p('noun')}",
            lambda: f"{p('noun').capitalize()} are kept for {self.num()} {r.choice(TIME_UNITS)} {r.choice(QUALIFIERS)}",
            lambda: f"Charged per {p('unit')}; {p('adj')} {p('noun')} are {r.choice(['free', 'billed separately', 'included'])}",
            lambda: f"Unlike {self.entity()}, it {p('verb')} {p('noun')} {r.choice(QUALIFIERS)}",
            lambda: f"A <strong>{p('adj')}</strong> option that {p('verb')} {p('noun')} for {p('adj')} workloads",
            lambda: f"Good for {p('adj')} {p('noun')} with {r.choice(['flexible', 'strict', 'unpredictable', 'steady'])} {p('noun')}",
            lambda: f"Minimum of {self.num()} {p('noun')}; maximum of {self.num()} {p('noun')}",
            lambda: f"Can be {r.choice(['purchased', 'configured', 'enabled', 'requested'])} {r.choice(QUALIFIERS)}",
        ]
        s = r.choice(forms)()
        return s[0].upper() + s[1:]

    def heading_question(self, e: str) -> str:
        return self.rng.choice([f"What is {e}?", f"Why use {e}?", f"How does {e} work?", f"{e} limits",
                                f"When to choose {e}", f"{e} pricing", f"Key terms for {e}"])


# ---------------------------------------------------------------- blocks
def _bullets(w: _Writer, e: str, depth: int = 0, budget: int = 3) -> list[str]:
    """A top-level bullet (a question or a fact) with nested children, AWS-notes style (2 spaces a level)."""
    r, ind = w.rng, "  " * depth
    head = w.heading_question(e) if depth == 0 and r.random() < 0.5 else w.sentence(e)
    lines = [f"{ind}* {head}"]
    for _ in range(r.randint(0, budget)):
        if depth < 2 and r.random() < 0.35:
            lines += _bullets(w, e, depth + 1, budget=2)
        else:
            lines.append(f"{ind}  * {w.sentence(e)}")
    return lines


def _table(w: _Writer, e: str) -> list[str]:
    r = w.rng
    cols = [w.pick("col"), r.choice(["Description", "Good for", "Notes", "Limits"])]
    if r.random() < 0.4:
        cols.append(r.choice(["Cost", "Durability", "Example", "Use case"]))
    out = ["<table>", "    <tbody>"]
    if r.random() < 0.85:  # some tables, like the AWS notes' IAM terms, have no header row
        out += ["        <tr>", *[f"            <th>{c}</th>" for c in cols], "        </tr>"]
    keys = set()
    for _ in range(r.randint(2, 6)):
        key = r.choice([w.entity(), f"{w.pick('adj').capitalize()} {w.pick('noun')}", w.pick("thing")])
        if key in keys:
            continue
        keys.add(key)
        out += ["        <tr>", f"            <td>{key}</td>"]
        for _c in cols[1:]:
            if r.random() < 0.3:
                items = [f"                    <li>{w.sentence(key)}</li>" for _ in range(r.randint(2, 4))]
                out += ["            <td>", "                <ul>", *items, "                </ul>", "            </td>"]
            else:
                out.append(f"            <td>{w.sentence(key)}</td>")
        out.append("        </tr>")
    return out + ["    </tbody>", "</table>"]


def _section(w: _Writer, topic: str) -> list[str]:
    r = w.rng
    e = w.entity()
    style = r.random()
    title = e if r.random() < 0.6 else w.heading_question(e)
    lines = [f"#### {title} ####" if style < 0.75 else f"## {title}"]
    if r.random() < 0.3:
        lines += [f"{w.sentence(e)}. {w.sentence(e)}.", ""]
    for _ in range(r.randint(2, 6)):
        lines += _bullets(w, e)
    if r.random() < 0.6:
        lines.append(f"* {r.choice(['Comparison', 'Options', 'Key terms', 'Summary', 'Classes'])}")
        lines += _table(w, e)
        lines.append("")
    if r.random() < 0.25:
        lines.append(f"* See [{topic} docs](https://example.org/{_slug(topic)}) for details")
    if r.random() < 0.15:
        lines.append(f"![{e} diagram](images/{_slug(e)}.png)")
    return lines + ["", "---", ""]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def generate_file(index: int, seed: int) -> tuple[str, str]:
    """(file name, markdown text) of generated file `index`; depends only on (seed, index)."""
    rng = random.Random(f"notes-{seed}-{index}")
    subject = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    w = _Writer(rng, subject)
    topic = w.entity()
    lines = [f"# {rng.choice(INTRO).format(t=topic)}", ""]
    for _ in range(rng.randint(5, 9)):
        lines += _section(w, topic)
    return f"gen-{index:04d}-{subject}-{_slug(topic)}.md", "\n".join(lines).rstrip() + "\n"


def generate_corpus(dest: Path, n_files: int, seed: int) -> list[Path]:
    """Write `n_files` generated notes files into `dest` (created if needed); their paths, in order."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_files):
        name, text = generate_file(i, seed)
        path = dest / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":  # python bench/gen_notes.py DEST N [SEED]
    import sys

    out = generate_corpus(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    print(f"wrote {len(out)} files to {sys.argv[1]}")
