"""Telegram's HTML parse mode: the one escaper, the one message splitter, a monospace block.

Every value shown in a bot reply goes through `escape`, and every reply through
`split_message` before it is sent, so that no part breaks Telegram's 4096-character limit
or its HTML parser (a tag cut in two, an entity cut in two, a tag left open).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from sigtrack.core.errors import InvalidInput
from sigtrack.core.texts import NO_VALUE

LIMIT = 4096  # Telegram's limit of a message's text, in UTF-16 code units

_TOKEN = re.compile(
    r"""<(?P<close>/?)(?P<name>[A-Za-z][\w-]*)(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?\s*>"""
    r"|&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);"
    r"|\n"
)


def escape(value: object) -> str:
    """`value` as text that Telegram's HTML mode shows literally: `&`, `<`, `>` become
    `&amp;`, `&lt;`, `&gt;`; None is "—". Quotes stay as they are: they mean nothing
    outside a tag (a value put in an attribute, `<a href="…">`, needs its quotes escaped
    too: html.escape(value, quote=True))."""
    if value is None:
        return NO_VALUE
    return html.escape(str(value), quote=False)


def pre(text: str) -> str:
    """`text` as a monospace block (tables keep their columns), escaped."""
    return f"<pre>{escape(text)}</pre>"


def utf16_units(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (a character beyond the BMP is 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class _Kind(Enum):
    TEXT = "text"  # characters, split at any character when a line must be cut
    ENTITY = "entity"  # `&amp;`, `&#128512;`: never split
    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    markup: str
    name: str = ""  # the tag's name, for OPEN and CLOSE

    @property
    def units(self) -> int:
        return utf16_units(self.markup)

    @property
    def closer_units(self) -> int:
        """The length of the `</name>` that an open tag needs at the end of a part."""
        return len(self.name) + 3

    @property
    def is_space(self) -> bool:
        return self.kind is _Kind.TEXT and not self.markup.strip()

    @property
    def is_visible(self) -> bool:
        if self.kind is _Kind.TEXT:
            return bool(self.markup.strip())
        return self.kind is _Kind.ENTITY and bool(html.unescape(self.markup).strip())


_NEWLINE = _Token(_Kind.TEXT, "\n")


def split_message(html_text: str, limit: int = LIMIT) -> list[str]:
    """`html_text` (valid Telegram HTML) as messages of at most `limit` UTF-16 code units
    of markup each, every one valid on its own.

    Whole lines are kept together as long as they fit; a longer line is cut at its last
    whitespace that fits, else between two characters, never inside a tag or an entity.
    Tags open at a cut are closed at the end of the part and opened again, with the same
    attributes, at the start of the next. The newline or space at a cut is dropped, and so
    is whitespace at the ends of a part (Telegram trims it anyway); a part with no visible
    text is not sent, so a reply of only whitespace gives no parts.
    """
    if limit < 1:
        raise InvalidInput("limit", f"must be at least 1 (got {limit})")
    splitter = _Splitter(limit)
    for line in _lines(_tokens(html_text)):
        splitter.add_line(line)
    return splitter.finish()


def _tokens(text: str) -> Iterator[_Token]:
    """The markup as text runs, entities, tags and newlines; tags are checked to nest."""
    names: list[str] = []
    at = 0
    for match in _TOKEN.finditer(text):
        if match.start() > at:
            yield _Token(_Kind.TEXT, text[at : match.start()])
        at = match.end()
        markup = match.group()
        name = (match.group("name") or "").lower()
        if markup == "\n":
            yield _NEWLINE
        elif not name:
            yield _Token(_Kind.ENTITY, markup)
        elif not match.group("close"):
            names.append(name)
            yield _Token(_Kind.OPEN, markup, name)
        elif names and names[-1] == name:
            names.pop()
            yield _Token(_Kind.CLOSE, markup, name)
        else:
            inner = f"<{names[-1]}>" if names else "no tag"
            raise InvalidInput(
                "html",
                f"the closing tag at offset {match.start()} must close {inner} (got {markup})",
            )
    if at < len(text):
        yield _Token(_Kind.TEXT, text[at:])


def _growth(token: _Token) -> int:
    """How much longer a part gets, its closing tags included, when `token` is added: a
    closing tag takes the place of the one the part would end with."""
    if token.kind is _Kind.OPEN:
        return token.units + token.closer_units
    return 0 if token.kind is _Kind.CLOSE else token.units


def _lines(tokens: Iterable[_Token]) -> Iterator[list[_Token]]:
    line: list[_Token] = []
    for token in tokens:
        if token is _NEWLINE:
            yield line
            line = []
        else:
            line.append(token)
    yield line


def _atoms(line: list[_Token]) -> list[_Token]:
    """The line with its text runs as single characters: the places a cut may fall."""
    atoms: list[_Token] = []
    for token in line:
        if token.kind is _Kind.TEXT and len(token.markup) > 1:
            atoms.extend(_Token(_Kind.TEXT, char) for char in token.markup)
        else:
            atoms.append(token)
    return atoms


class _Splitter:
    """Fills one part at a time; `stack` holds the tags open at the current point."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.stack: list[_Token] = []
        self.closers = 0  # units of the `</name>`s the stack needs
        self.body: list[_Token] = []
        self.size = 0
        self.pending = 0  # the part's reopened tags, while nothing follows them
        self._start()

    @property
    def is_fresh(self) -> bool:
        return len(self.body) == self.pending

    def add_line(self, line: list[_Token]) -> None:
        if self.is_fresh and all(t.is_space for t in line):
            return  # a blank line at the start of a part shows nothing
        newline = 0 if self.is_fresh else 1
        if self.size + self.closers + newline + sum(map(_growth, line)) <= self.limit:
            if newline:
                self._append(_NEWLINE)
            for token in line:
                self._append(token)
        elif not self.is_fresh:
            self._flush()
            self.add_line(line)
        else:
            self._cut(_atoms(line))

    def finish(self) -> list[str]:
        self._flush()
        return self.parts

    def _cut(self, atoms: list[_Token]) -> None:
        """A line longer than a fresh part, put into as many parts as it takes."""
        while atoms:
            fitting = self._fitting(atoms)
            if fitting == len(atoms):
                break
            if not any(a.kind in (_Kind.TEXT, _Kind.ENTITY) for a in atoms[:fitting]):
                if not any(a.kind in (_Kind.TEXT, _Kind.ENTITY) for a in atoms[fitting:]):
                    break  # only tags: they go on with the text of the next line
                self._too_small(atoms)
            space = self._last_space(atoms, fitting)
            head, atoms = (
                (atoms[:space], atoms[space + 1 :]) if space else (atoms[:fitting], atoms[fitting:])
            )
            for atom in head:
                self._append(atom)
            self._flush()
        for atom in atoms:
            self._append(atom)

    def _fitting(self, atoms: list[_Token]) -> int:
        """How many of `atoms` fit in this part, closing tags included. Reopened tags that
        are closed at once are not sent, so leading closes may make room."""
        total = self.size + self.closers
        pending = self.pending
        for count, atom in enumerate(atoms):
            if atom.kind is _Kind.CLOSE and pending:
                pending -= 1
                total -= self.stack[pending].units + atom.closer_units
                continue
            pending = 0
            total += _growth(atom)
            if total > self.limit:
                return count
        return len(atoms)

    @staticmethod
    def _last_space(atoms: list[_Token], fitting: int) -> int:
        """The last whitespace at which the line may be cut (the whitespace is dropped,
        so it may be the first atom that does not fit), after some visible text; 0: none."""
        first = next((i for i, a in enumerate(atoms) if a.is_visible), len(atoms))
        for index in range(min(fitting, len(atoms) - 1), first, -1):
            if atoms[index].is_space:
                return index
        return 0

    def _too_small(self, atoms: list[_Token]) -> None:
        opened = [t.markup for t in self.stack]
        for atom in atoms:
            if atom.kind in (_Kind.TEXT, _Kind.ENTITY):
                break
            if atom.kind is _Kind.OPEN:
                opened.append(atom.markup)
            else:
                opened.pop()
        raise InvalidInput(
            "limit",
            f"must hold the open tags {''.join(opened) or '(none)'} plus the next character "
            f"{atom.markup!r} and their closing tags (got {self.limit})",
        )

    def _append(self, token: _Token) -> None:
        if token.kind is _Kind.CLOSE and self.pending and self.is_fresh:
            opened = self.body.pop()  # a reopened tag closed at once: send neither
            self.pending -= 1
            self.size -= opened.units
        else:
            self.pending = 0
            self.body.append(token)
            self.size += token.units
        if token.kind is _Kind.OPEN:
            self.stack.append(token)
            self.closers += token.closer_units
        elif token.kind is _Kind.CLOSE:
            self.stack.pop()
            self.closers -= token.closer_units

    def _flush(self) -> None:
        """Sends the part (if it shows anything) and starts the next with the open tags."""
        body = self.body
        dropped_opens = 0
        while body and (body[-1].kind is _Kind.OPEN or body[-1].is_space):
            dropped_opens += body.pop().kind is _Kind.OPEN
        if body and body[-1].kind is _Kind.TEXT:
            body[-1] = _Token(_Kind.TEXT, body[-1].markup.rstrip())
        if any(t.is_visible for t in body):
            still_open = self.stack[: len(self.stack) - dropped_opens]
            closing = "".join(f"</{t.name}>" for t in reversed(still_open))
            self.parts.append("".join(t.markup for t in body) + closing)
        self._start()

    def _start(self) -> None:
        self.body = list(self.stack)
        self.size = sum(t.units for t in self.body)
        self.pending = len(self.body)
