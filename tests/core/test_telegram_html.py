"""Telegram HTML: values are escaped, replies split into parts that are each valid and short
enough, and a table becomes aligned plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigtrack.core.errors import InvalidInput
from sigtrack.core.render.tables import TextTable, plain_table
from sigtrack.core.render.telegram_html import LIMIT, escape, pre, split_message

ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}
Styled = tuple[str, tuple[tuple[str, tuple[tuple[str, str | None], ...]], ...]]


def units(text: str) -> int:
    """UTF-16 code units, counted independently of the module under test."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


class _Reader(HTMLParser):
    """Reads one message as Telegram would: fails on a tag that is not allowed or not
    balanced; keeps each visible character with the tags (and attributes) around it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []
        self.chars: list[Styled] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED_TAGS, tag
        self.open.append((tag, tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1][0] == tag, (tag, self.open)
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.chars += [(char, tuple(self.open)) for char in data]


def read(message: str) -> list[Styled]:
    reader = _Reader()
    reader.feed(message)
    reader.close()
    assert not reader.open, f"left open: {reader.open}"
    return reader.chars


def check_part(part: str, limit: int) -> list[Styled]:
    """One part is sendable: short enough, balanced, no broken entity or surrogate, and
    shows something."""
    assert units(part) <= limit, (units(part), limit)
    outside_tags = re.sub(r"<[^>]*>", "", part)
    assert "<" not in outside_tags and ">" not in outside_tags, part
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt|quot|#[0-9]+);)*", outside_tags, re.S), part
    assert not any(0xD800 <= ord(char) <= 0xDFFF for char in part)
    chars = read(part)
    assert "".join(char for char, _ in chars).strip(), f"part shows nothing: {part!r}"
    return chars


def check_split(message: str, parts: list[str], limit: int) -> None:
    """Every part is sendable, and the invariant of the text: the original's visible
    characters are the parts' characters in order, each with the same tags and attributes,
    with only runs of whitespace between parts (and at both ends) left out: the newline or
    space at a cut, blank lines and spaces at the ends of a part. Nothing else is lost."""
    original = read(message)
    at = 0
    for part in parts:
        chars = check_part(part, limit)
        start = at
        while original[start : start + len(chars)] != chars:
            assert start < len(original) and original[start][0].isspace(), (
                f"part {part!r} is not the text that follows {at} up to whitespace"
            )
            start += 1
        at = start + len(chars)
    assert all(char.isspace() for char, _ in original[at:]), original[at:]


def test_html_in_a_symbol_comes_out_literal() -> None:
    symbol = "<b>BTC&USDT</b>"
    message = f"<b>{escape(symbol)}</b> {escape(None)}"
    assert message == "<b>&lt;b&gt;BTC&amp;USDT&lt;/b&gt;</b> —"
    assert read(message) == [*((char, (("b", ()),)) for char in symbol), (" ", ()), ("—", ())]
    assert escape('say "hi" it\'s') == 'say "hi" it\'s'  # quotes mean nothing outside tags
    assert escape(1.5) == "1.5"
    assert pre("a < b & c") == "<pre>a &lt; b &amp; c</pre>"


def test_a_ten_thousand_line_table_splits_into_pre_blocks_of_whole_lines() -> None:
    rows = tuple((f"COIN{i}<&>", str(i), f"{i % 97:+.1f}%") for i in range(10_000))
    table = TextTable(title="📊 <by coin>", columns=("coin", "n", "pnl"), rows=rows,
                      caption="ranked & sorted", left=frozenset({"coin"}))  # fmt: skip
    text = plain_table(table)
    parts = split_message(pre(text))
    assert len(parts) >= units(pre(text)) // LIMIT > 80
    check_split(pre(text), parts, LIMIT)
    bodies = []
    for part in parts:
        assert part.startswith("<pre>") and part.endswith("</pre>")
        assert "<pre>" not in part[5:] and "</pre>" not in part[:-6]
        bodies.append(unescape(part[5:-6]))
    assert "\n".join(bodies) == text  # lines whole, only the newline at each cut dropped
    for part, following in pairwise(parts):
        next_line = following[5:-6].split("\n", 1)[0]
        assert units(part) + 1 + units(next_line) > LIMIT  # as many lines as fit


def test_a_line_of_9000_characters_with_no_space_is_cut_between_characters() -> None:
    parts = split_message("<b>" + "x" * 9000 + "</b>")
    assert parts == [f"<b>{'x' * 4089}</b>", f"<b>{'x' * 4089}</b>", f"<b>{'x' * 822}</b>"]
    assert units(parts[0]) == LIMIT


def test_a_long_line_is_cut_at_its_last_space_that_fits() -> None:
    assert split_message("alpha beta gamma", 11) == ["alpha beta", "gamma"]
    assert split_message("alpha beta gamma", 10) == ["alpha beta", "gamma"]  # the space drops
    assert split_message("aaa\nbbb\nccc", 7) == ["aaa\nbbb", "ccc"]
    assert split_message("abc\n   \n\ndef", 3) == ["abc", "def"]


def test_an_emoji_at_a_cut_stays_whole() -> None:
    parts = split_message("a" + "😀" * 5, 10)
    assert parts == ["a" + "😀" * 4, "😀"]
    assert units(parts[0]) == 9  # one unit short of the limit: half an emoji does not fit


def test_an_entity_at_a_cut_stays_whole() -> None:
    assert split_message("abc&amp;def", 5) == ["abc", "&amp;", "def"]
    assert split_message("abc&amp;d", 7) == ["abc", "&amp;d"]
    assert split_message("x&#128512;y", 9) == ["x", "&#128512;", "y"]


def test_tags_open_at_a_cut_are_closed_and_opened_again_with_their_attributes() -> None:
    link = '<a href="https://example.com/?a=1&amp;b=2">'
    parts = split_message(f"<b>{link}one two three four</a> end</b>", 62)  # the last part: 62
    assert parts == [f"<b>{link}one two</a></b>", f"<b>{link}three</a></b>",
                     f"<b>{link}four</a> end</b>"]  # fmt: skip
    assert split_message("<b>ab</b><i>cd</i>", 10) == ["<b>ab</b>", "<i>cd</i>"]


def test_a_message_that_fits_is_sent_as_it_is() -> None:
    message = '<b>BTC</b> <a href="https://x.y/">chart</a>\n<pre>a  b\n  c</pre>'
    assert split_message(message) == [message]
    assert split_message("  \n <b> </b>\n") == []


def test_a_limit_too_small_for_the_open_tags_and_one_character_is_refused() -> None:
    assert split_message("<b><i>x</i></b>", 15) == ["<b><i>x</i></b>"]
    with pytest.raises(InvalidInput) as error:
        split_message("<b><i>x</i></b>", 14)
    assert error.value.field == "limit" and "<b><i>" in str(error.value)
    with pytest.raises(InvalidInput, match="got 0") as error:
        split_message("x", 0)
    assert error.value.field == "limit"


def test_tags_that_do_not_nest_are_refused() -> None:
    with pytest.raises(InvalidInput, match="must close <i> \\(got </b>\\)") as error:
        split_message("<b><i>x</b></i>")
    assert error.value.field == "html"


# Properties

CHARS = st.sampled_from([*"ab xyz", "😀", "🚀", "Ж", "д", "中", "文", "<", "&", ">", "\n", " "])
TAGS = [("<b>", "</b>"), ("<i>", "</i>"), ("<u>", "</u>"), ("<s>", "</s>"),
        ("<code>", "</code>"), ("<pre>", "</pre>"), ("<blockquote>", "</blockquote>"),
        ("<tg-spoiler>", "</tg-spoiler>"),
        ('<a href="https://example.com/?q=1&amp;r=&quot;2&quot;">', "</a>")]  # fmt: skip


@dataclass(frozen=True)
class Node:
    """A text or a tag around nodes: rendered, and the most markup a cut can reopen."""

    html: str
    deepest_tags: int


def text_node(text: str) -> Node:
    return Node(escape(text), 0)


def tag_node(tag: tuple[str, str], children: list[Node]) -> Node:
    opening, closing = tag
    inner = "".join(child.html for child in children)
    deepest = max(child.deepest_tags for child in children)
    return Node(opening + inner + closing, len(opening) + len(closing) + deepest)


TEXTS = st.text(CHARS, min_size=1, max_size=12) | st.text(CHARS, min_size=60, max_size=400)
TREES = st.recursive(
    TEXTS.map(text_node),
    lambda kids: st.builds(tag_node, st.sampled_from(TAGS), st.lists(kids, min_size=1, max_size=4)),
    max_leaves=10,
)
MESSAGES = st.lists(TREES, min_size=1, max_size=4).map(
    lambda nodes: Node("".join(n.html for n in nodes), max(n.deepest_tags for n in nodes))
)


@settings(max_examples=300, deadline=None)
@given(MESSAGES, st.integers(min_value=0, max_value=120))
def test_every_part_is_valid_short_and_keeps_the_text_and_its_tags(
    message: Node, spare: int
) -> None:
    # the deepest reopened tags plus the widest character (`&amp;`) always fit
    limit = message.deepest_tags + len("&amp;") + spare
    check_split(message.html, split_message(message.html, limit), limit)


@settings(max_examples=200, deadline=None)
@given(MESSAGES, st.integers(min_value=1, max_value=60))
def test_a_small_limit_either_splits_validly_or_names_the_limit(message: Node, limit: int) -> None:
    try:
        parts = split_message(message.html, limit)
    except InvalidInput as error:
        assert error.field == "limit"
        assert limit < message.deepest_tags + len("&amp;")
    else:
        check_split(message.html, parts, limit)


@settings(max_examples=200, deadline=None)
@given(st.data(), st.integers(min_value=16, max_value=80), st.sampled_from(TAGS))
def test_lines_that_fit_are_packed_whole_as_many_as_fit(
    data: st.DataObject, limit: int, tag: tuple[str, str]
) -> None:
    opening, closing = data.draw(st.sampled_from([("", ""), tag, ("<pre>", "</pre>")]))
    room = limit - len(opening) - len(closing)
    visible = st.sampled_from([*"abxyz", "😀", "Ж", "中", "<", "&", ">"])
    lines = data.draw(
        st.lists(st.text(visible, min_size=1).map(escape).filter(lambda s: units(s) <= room),
                 min_size=1, max_size=40)
    )  # fmt: skip
    expected: list[list[str]] = []
    for line in lines:
        if expected and units("\n".join([*expected[-1], line])) <= room:
            expected[-1].append(line)
        else:
            expected.append([line])
    message = opening + "\n".join(lines) + closing
    assert split_message(message, limit) == [opening + "\n".join(p) + closing for p in expected]


def test_a_plain_table_aligns_its_columns() -> None:
    table = TextTable(
        title="Per coin", columns=("coin", "n", "winrate", ""), caption="at least 5",
        rows=(("BTC", "12", "50.0%", ""), ("DOGEUSDT", "3", "—", "too few")),
        left=frozenset({"coin", ""}),
    )  # fmt: skip
    assert plain_table(table) == (
        "Per coin\n"
        "coin       n  winrate\n"
        "BTC       12    50.0%\n"
        "DOGEUSDT   3        —  too few\n"
        "at least 5"
    )
    bare = TextTable(columns=("a", "bb"), rows=(("x", "1"), ("yyy", "22")), show_header=False)
    assert plain_table(bare) == "  x   1\nyyy  22"
    assert plain_table(TextTable(columns=("a",), rows=())) == "a"
