"""Notes file → passages (pure: text in, dataclasses out).

markdown-it-py finds the blocks (headings, list items, paragraphs) with their line maps;
BeautifulSoup reads each embedded `<table>`. Tables are cut out of the text first (their lines
blanked, so line numbers stay exact) because a CommonMark HTML block ends at a blank line and would
split a table that contains one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag
from markdown_it import MarkdownIt

from .types import ParsedFile, Passage

# A bullet with its children stays one passage up to these sizes; a bigger one is split into
# its children (its head line then goes into their section path), so passages stay a few lines.
MAX_BULLET_LINES = 14
MAX_BULLET_WORDS = 160
# Bump when passages would come out differently: indexes built by an older parser are re-read.
PARSER_VERSION = "3"
_IMAGE_LINE = re.compile(r"^\s*!\[[^\]]*\]\([^)]*\)\s*$")
CAPTION_MAX_WORDS = 8  # a longer line above a table is prose, not the table's caption

_INLINE_TAGS = ["strong", "b", "em", "i", "u", "span", "a", "code", "font", "small", "sup", "sub", "mark"]
_TABLE_OPEN = re.compile(r"<table\b", re.I)
_TABLE_CLOSE = re.compile(r"</table\s*>", re.I)
_BLOCK_START = re.compile(r"^(#{1,6}\s|[*+-]\s)")
_WS = re.compile(r"\s+")
_CLOSING_HEADING = re.compile(r"\s+#+\s*$")


# markdown-it stops reading a document (silently dropping the rest) once blocks nest deeper than
# maxNesting (20 in the commonmark preset: about 9 levels of bullets). Raise it, and cap each line's
# container prefix (indentation and `-`/`>`/`1.` markers) so that no input can reach the limit or
# Python's recursion limit: bullets deeper than the cap are read as siblings at the cap's depth.
MAX_NESTING = 200
MAX_PREFIX_CHARS = 64
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line breaks markdown-it (and Python's text mode) know
_LAST_MARKER = re.compile(r"(?:>|[-*+]|\d{1,9}[.)])$")
_CONTAINER_PREFIX = re.compile(r"(?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])))*[ \t]*")


def _md() -> MarkdownIt:
    # html_block off: tables are cut out beforehand; stray tags are removed from inline text.
    return MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING})


def _tame(line: str) -> str:
    """The line with its container prefix cut to MAX_PREFIX_CHARS (same line count, same text)."""
    m = _CONTAINER_PREFIX.match(line)
    if m.end() <= MAX_PREFIX_CHARS:
        return line
    last = _LAST_MARKER.search(m.group().rstrip(" \t")[-10:])  # the innermost marker: a deep bullet stays one
    marker = (last.group() + " ") if last else ""
    head = line[: MAX_PREFIX_CHARS - len(marker)]
    if head and head[-1] not in " \t":
        head = head.rstrip("-*+>0123456789.)") + " "
    return head + marker + line[m.end() :]


_PUNCT_SPACE = re.compile(r"\s+([),.;:!?])|([(])\s+")


def clean(text: str) -> str:
    text = _WS.sub(" ", text).strip()
    return _PUNCT_SPACE.sub(lambda m: m.group(1) or m.group(2), text)


def words(text: str) -> int:
    return len(text.split())


# ---------------------------------------------------------------- tables
@dataclass
class _TableRegion:
    start: int  # 1-based line of `<table`
    end: int  # 1-based line of `</table>` (or where an unclosed table was cut)
    closed: bool


def find_tables(lines: list[str]) -> list[_TableRegion]:
    """Top-level `<table>` regions, nesting counted; an unclosed table ends before the next block."""
    regions, i = [], 0
    while i < len(lines):
        if not _TABLE_OPEN.search(lines[i]):
            i += 1
            continue
        depth, j, closed = 0, i, False
        while j < len(lines):
            line = lines[j]
            if j > i and depth > 0 and _BLOCK_START.match(line):
                break  # a heading or a top-level bullet: the table was never closed
            depth += len(_TABLE_OPEN.findall(line)) - len(_TABLE_CLOSE.findall(line))
            if depth <= 0:
                closed = True
                break
            j += 1
        if not closed:
            j -= 1
            while j > i and not lines[j].strip():
                j -= 1
        regions.append(_TableRegion(i + 1, j + 1, closed))
        i = j + 1
    return regions


def _cell_text(cell: Tag) -> tuple[str, list[str]]:
    """Readable cell text with lists flattened into '; '-joined items, plus those items."""
    items = []
    for li in cell.find_all("li"):
        own = [str(s) for s in li.find_all(string=True) if s.find_parent("li") is li]
        if clean(" ".join(own)):
            items.append(clean(" ".join(own)))
    if items:
        for lst in cell.find_all(["ul", "ol"]):
            lst.extract()
        lead = clean(cell.get_text(" "))
        text = "; ".join(items)
        return (f"{lead}: {text}" if lead else text), ([lead] if lead else []) + items
    return clean(cell.get_text(" ")), []


def _unnest_cells(table: Tag) -> None:
    """html.parser does not close `<td>`/`<tr>` implicitly as browsers do, so `<td>a<td>b` nests the
    second cell (and any later row) inside the first; move each such cell or row out to where HTML puts it."""
    for tag in table.find_all(["tr", "td", "th"]):
        host = tag.find_parent(["td", "th", "table"])
        if host is None or host.name == "table":
            continue
        target = host if tag.name != "tr" else host.find_parent("tr")
        if target is not None:
            target.insert_after(tag.extract())


def _own_rows(table: Tag) -> list[Tag]:
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def _row_span(rows: list[Tag], k: int, offset: int, lines: list[str], table_end: int) -> tuple[int, int]:
    start = offset + (rows[k].sourceline or 1) - 1
    nxt = offset + rows[k + 1].sourceline - 1 if k + 1 < len(rows) else table_end
    end = max(start, nxt - 1)
    # Trim trailing blank lines and bare closing tags (`</tbody>`) that belong to the table.
    while end > start and re.fullmatch(r"\s*(</(tbody|thead|tfoot|table)\s*>\s*)*", lines[end - 1]):
        end -= 1
    return start, end


def table_passages(
    file: str, lines: list[str], region: _TableRegion, heading_path: tuple[str, ...], caption: str | None
) -> list[Passage]:
    html = "\n".join(lines[region.start - 1 : region.end])
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_INLINE_TAGS):
        tag.unwrap()  # <strong>fixed rate</strong> reads as plain words, without stray spaces
    table = soup.find("table")
    if table is None:
        return []
    _unnest_cells(table)
    rows = _own_rows(table)
    headers: list[str] = []
    out: list[Passage] = []
    for k, tr in enumerate(rows):
        cells = [c for c in tr.find_all(["td", "th"]) if c.find_parent("tr") is tr]
        if not cells:
            continue
        if all(c.name == "th" for c in cells) and not headers and not out:
            headers = [clean(c.get_text(" ")) for c in cells]
            continue
        texts, items = [], []
        for c in cells:
            t, its = _cell_text(c)
            texts.append(t)
            items.extend(its)
        if not any(texts):
            continue
        key = texts[0] or next(t for t in texts if t)
        labels = (headers + [""] * len(texts))[: len(texts)]
        fields = tuple((labels[i], texts[i]) for i in range(len(texts)) if texts[i])
        body = [f"{lab}: {t}" if lab else t for lab, t in fields]
        text = ". ".join(b.rstrip(".") for b in body) + "."
        section = heading_path + ((caption,) if caption else ((labels[0],) if labels[0] else ())) + (key,)
        start, end = _row_span(rows, k, region.start, lines, region.end)
        out.append(
            Passage(file, start, end, section, "table_row", text, fields=fields, title=key, items=tuple(items))
        )
    return out


# ---------------------------------------------------------------- markdown blocks
@dataclass
class _Item:
    line: int  # 1-based line of the bullet marker
    head_end: int  # last line of the bullet's own text
    indent: int
    text: str
    children: list["_Item"] = field(default_factory=list)
    parent: "_Item | None" = None

    @property
    def end(self) -> int:
        return max([self.head_end] + [c.end for c in self.children])

    def all_text(self) -> list[str]:
        return [t for t, _ in self.all_with_depth()]

    def all_with_depth(self, depth: int = 0) -> list[tuple[str, int]]:
        out = [(self.text, depth)]
        for c in self.children:
            out += c.all_with_depth(depth + 1)
        return out


def _inline_text(tok) -> str:
    parts = []
    for ch in tok.children or []:
        if ch.type in ("text", "code_inline"):
            parts.append(ch.content)
        elif ch.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        # html_inline (<strong>, <br>...) is dropped: only its text children remain
    return clean("".join(parts))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


@dataclass
class _Block:
    kind: str  # heading | item | paragraph
    line: int
    end: int
    text: str
    level: int = 0  # heading level or item indent


def md_blocks(lines: list[str]) -> list[_Block]:
    tokens = _md().parse("\n".join(lines))
    blocks: list[_Block] = []
    pending_item: int | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            text = _CLOSING_HEADING.sub("", _inline_text(tokens[i + 1]))
            blocks.append(_Block("heading", tok.map[0] + 1, tok.map[1], text, int(tok.tag[1])))
        elif tok.type == "list_item_open":
            pending_item = tok.map[0]
            blocks.append(_Block("item", tok.map[0] + 1, tok.map[0] + 1, "", _indent(lines[tok.map[0]])))
        elif tok.type == "paragraph_open":
            text = _inline_text(tokens[i + 1])
            if pending_item is not None and blocks and blocks[-1].kind == "item" and not blocks[-1].text:
                blocks[-1].text, blocks[-1].end = text, tok.map[1]
            elif tok.level == 0:
                blocks.append(_Block("paragraph", tok.map[0] + 1, tok.map[1], text))
            pending_item = None
        elif tok.type in ("fence", "code_block") and tok.level == 0:
            blocks.append(_Block("paragraph", tok.map[0] + 1, tok.map[1], clean(tok.content)))
        elif tok.type in ("list_item_close", "bullet_list_open", "ordered_list_open"):
            pending_item = None
    return blocks


def _bullet_passages(file: str, item: _Item, path: tuple[str, ...], skip: set[int]) -> list[Passage]:
    texts = item.all_text()
    n_lines, n_words = item.end - item.line + 1, sum(words(t) for t in texts)
    if not item.children or (n_lines <= MAX_BULLET_LINES and n_words <= MAX_BULLET_WORDS):
        if item.line in skip and not item.children:
            return []  # a caption with nothing under it lives on in its table rows' section path
        head = item.text.rstrip(",;")
        body = head + ("" if not item.children else (": " if not head.endswith((":", "?", ".")) else " "))
        body += "; ".join(t for t in texts[1:] if t)
        nested = [(t, d) for t, d in item.all_with_depth()[1:] if t]
        items, depth = tuple(t for t, _ in nested), tuple(d for _, d in nested)
        return [Passage(file, item.line, item.end, path, "bullet", clean(body), title=item.text, items=items,
                        item_depth=depth if any(d > 1 for d in depth) else ())]
    out = []
    # A short head ("What is X-Ray?", "Amazon RDS") names its children's section and says nothing
    # on its own (as a passage it would win every search for its name); a long one is a passage.
    names_section = 0 < words(item.text) <= CAPTION_MAX_WORDS
    if not names_section and words(item.text) and not item.text.endswith("?"):
        out.append(Passage(file, item.line, item.head_end, path, "bullet", item.text, title=item.text))
    sub = path + ((item.text.rstrip(":,"),) if names_section else ())
    for child in item.children:
        out += _bullet_passages(file, child, sub, skip)
    return out


def _build_tree(blocks: list[_Block]) -> list[_Item]:
    """Nest bullets by the indentation of their marker (what the writer meant, even where
    CommonMark would read a one-space indent as a sibling)."""
    roots: list[_Item] = []
    stack: list[_Item] = []
    for b in blocks:
        it = _Item(b.line, b.end, b.level, b.text)
        while stack and stack[-1].indent >= it.indent:
            stack.pop()
        if stack:
            it.parent = stack[-1]
            stack[-1].children.append(it)
        else:
            roots.append(it)
        stack.append(it)
    return roots


def _caption_for(region: _TableRegion, lines: list[str], items_by_line: dict[int, _Item]) -> _Item | None:
    above = region.start - 1
    gap, image = 0, False
    while above >= 1 and (not lines[above - 1].strip() or _IMAGE_LINE.match(lines[above - 1])):
        image = image or bool(lines[above - 1].strip())
        above, gap = above - 1, gap + (not lines[above - 1].strip())
    # One blank line may part a caption from its table; a picture between them brings its own.
    if above < 1 or gap > (3 if image else 1):
        return None
    item = next((it for ln, it in items_by_line.items() if it.line <= above <= it.head_end), None)
    if item is None:
        return None
    cands = [item]
    if gap == 0:
        p = item.parent
        while p is not None:
            cands.append(p)
            p = p.parent
    elif item.parent is not None:
        if not image:
            return None
        while item.parent is not None:  # past a picture, the table belongs to the whole top bullet
            item = item.parent
        cands = [item]
    return next((c for c in cands if c.text and words(c.text) <= CAPTION_MAX_WORDS), None)


def parse_notes(file: str, text: str) -> ParsedFile:
    """Split one notes file into passages with exact 1-based line spans and section paths."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    warnings: list[str] = []
    regions = find_tables(lines)
    masked = [_tame(ln) for ln in lines]
    for r in regions:
        if not r.closed:
            warnings.append(f"{file}:{r.start}: <table> is never closed; read it up to line {r.end}")
        for ln in range(r.start, r.end + 1):
            masked[ln - 1] = ""
    blocks = md_blocks(masked)

    # Walk blocks and tables in line order, keeping the heading path current.
    events = [(b.line, 0, b) for b in blocks] + [(r.start, 1, r) for r in regions]
    events.sort(key=lambda e: (e[0], e[1]))
    heads: list[tuple[int, str]] = []
    passages: list[Passage] = []
    run: list[_Block] = []  # consecutive list items under the current heading path
    run_path: tuple[str, ...] = ()
    captions: set[int] = set()

    def flush() -> None:
        nonlocal run
        if run:
            for root in _build_tree(run):
                passages.extend(_bullet_passages(file, root, run_path, captions))
        run = []

    pending: list[tuple[_TableRegion, tuple[str, ...], _Item | None]] = []
    for _, _, ev in events:
        path = tuple(h for _, h in heads)
        if isinstance(ev, _TableRegion):
            # Build the tree so far to find the caption item, then keep going.
            tree_items = {}
            for root in _build_tree(run):
                stack = [root]
                while stack:
                    it = stack.pop()
                    tree_items[it.line] = it
                    stack += it.children
            cap = _caption_for(ev, lines, tree_items)
            if cap is not None and not cap.children:
                captions.add(cap.line)
            pending.append((ev, path, cap))
            continue
        if ev.kind == "heading":
            flush()
            heads = [h for h in heads if h[0] < ev.level] + [(ev.level, ev.text)]
            if ev.text:
                run_path = tuple(h for _, h in heads)
        elif ev.kind == "item":
            if not run:
                run_path = path
            run.append(ev)
        elif ev.kind == "paragraph" and ev.text:
            flush()
            passages.append(Passage(file, ev.line, ev.end, path, "paragraph", ev.text))
    flush()
    for region, path, cap in pending:
        passages.extend(table_passages(file, lines, region, path, cap.text.rstrip(":,") if cap else None))
    passages = [p for p in passages if p.text.strip()]
    passages.sort(key=lambda p: (p.start, p.end))
    return ParsedFile(file, _dedupe(passages), warnings)


def _dedupe(passages: list[Passage]) -> list[Passage]:
    seen, out = set(), []
    for p in passages:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out
