"""A loopback stand-in for the Telegram Bot API, for end-to-end bot tests.

`FakeBotApi` serves `/bot<token>/<method>` on 127.0.0.1 the way api.telegram.org does for
the methods a polling bot uses, with Telegram's refusals (HTML it cannot parse, texts over
4096 UTF-16 units, callback data over 64 bytes, edits that change nothing). Tests queue
what users do (`send_text`, `press`), read what the bot did (`sent`, `message`, `edits`,
`answers`, `calls`), wait for it (`wait_sent`, ...), and inject faults (`fail_next`: 429,
`drop_next`: connection closed unanswered). The pattern of a bot's e2e test::

    from telegram.ext import ApplicationBuilder, CommandHandler
    from telegram_fake import FakeBotApi, fake_bot_api  # noqa: F401  (the fixture)

    async def ping(update, context) -> None:
        await update.effective_message.reply_text("pong")

    def test_ping_is_answered_with_pong(fake_bot_api: FakeBotApi) -> None:
        app = (
            ApplicationBuilder().token(fake_bot_api.token)
            .base_url(fake_bot_api.base_url).base_file_url(fake_bot_api.base_file_url)
            .build()
        )
        app.add_handler(CommandHandler("ping", ping))
        with fake_bot_api.running(app):  # polls in its own thread and event loop
            fake_bot_api.send_text(42, "/ping")
            [reply] = fake_bot_api.wait_sent(42)
        assert reply["text"] == "pong"

In an `async def` test that runs the Application on the test's own loop, use the
`*_async` waits (`await fake_bot_api.wait_sent_async(42)`): the blocking ones refuse to
run inside an event loop, since they would stall the bot they wait for.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
from telegram.ext import Application

T = TypeVar("T")
MAX_TEXT_UTF16 = 4096  # Telegram counts a text's length in UTF-16 code units
MAX_POLL_S = 1.0  # long polls are capped so tests stay fast
MAX_CALLBACK_DATA_BYTES = 64
TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?")
JSON_PARAMS = frozenset(
    {"reply_markup", "reply_parameters", "entities", "allowed_updates", "commands", "scope"}
    | {"link_preview_options"}
)
INT_PARAMS = frozenset(
    {"message_id", "message_thread_id", "offset", "limit", "timeout", "reply_to_message_id"}
    | {"cache_time", "user_id"}
)
BOOL_PARAMS = frozenset(
    {"disable_notification", "protect_content", "show_alert", "drop_pending_updates"}
    | {"disable_web_page_preview", "allow_sending_without_reply"}
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class ApiError(Exception):
    """A refusal as Telegram words it: HTTP status, description, optional parameters."""

    def __init__(self, status: int, description: str, parameters: Any = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- HTML parse mode (the rules of Telegram's parser, stricter on bare "&" and ">") -------

HTML_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
CHAR_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
TAG_NAME = re.compile(r"[^\s>]*")
TAG_REST = re.compile(r"((?:\s+[^\s=>]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>")
ATTRIBUTE = re.compile(r"([^\s=>]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
END_TAG = re.compile(r"</([^\s>]*)\s*>")


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The plain text and entities of an HTML-mode text, or Telegram's refusal."""
    return _Html(text).parse()


class _Html:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[str] = []
        self.units = 0  # UTF-16 length of the plain text so far
        self.open: list[tuple[str, int, dict[str, Any]]] = []  # tag, offset, entity extras
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        i = 0
        while i < len(self.text):
            ch = self.text[i]
            if ch == "<":
                i = self._end(i) if self.text.startswith("</", i) else self._start(i)
                continue
            if ch == "&":
                ch, i = self._char_ref(self.text, i)
            elif ch == ">":
                raise self._refusal(f'Character ">" at byte offset {self._byte(i)} must be &gt;')
            else:
                i += 1
            self.out.append(ch)
            self.units += utf16_len(ch)
        if self.open:
            tag = self.open[-1][0]
            raise self._refusal(f'Can\'t find end tag corresponding to start tag "{tag}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _start(self, i: int) -> int:
        name_end = TAG_NAME.match(self.text, i + 1)
        assert name_end is not None  # [^...]* always matches
        name = name_end[0].lower()
        rest = TAG_REST.match(self.text, name_end.end())
        if name_end.end() >= len(self.text) or (name in HTML_ENTITIES and rest is None):
            raise self._refusal(f"Unclosed start tag at byte offset {self._byte(i)}")
        if name not in HTML_ENTITIES or rest is None:
            raise self._refusal(f'Unsupported start tag "{name}" at byte offset {self._byte(i)}')
        attributes = {
            a[1].lower(): self._decode(a[2].strip("\"'") if a[2] else "")
            for a in ATTRIBUTE.finditer(rest[1])
        }
        self.open.append((name, self.units, self._extras(name, attributes, i)))
        return rest.end()

    def _extras(self, name: str, attributes: dict[str, str], i: int) -> dict[str, Any]:
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise self._refusal(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte(i)}'
            )
        if name == "a":
            return {"url": attributes["href"]} if attributes.get("href") else {"type": None}
        if name == "blockquote" and "expandable" in attributes:
            return {"type": "expandable_blockquote"}
        return {}

    def _end(self, i: int) -> int:
        if not self.open:
            raise self._refusal(f"Unexpected end tag at byte offset {self._byte(i)}")
        tag = END_TAG.match(self.text, i)
        if tag is None:
            raise self._refusal(f"Unclosed end tag at byte offset {self._byte(i)}")
        name, offset, extras = self.open.pop()
        if tag[1] and tag[1].lower() != name:
            raise self._refusal(
                f'Unmatched end tag at byte offset {self._byte(i)}, expected "</{name}>", '
                f'found "</{tag[1]}>"'
            )
        entity: dict[str, Any] = {
            "type": HTML_ENTITIES[name],
            "offset": offset,
            "length": self.units - offset,
        }
        entity.update(extras)
        if entity["length"] > 0 and entity["type"] is not None:
            self.entities.append(entity)
        return tag.end()

    def _decode(self, value: str) -> str:
        out, i = [], 0
        while i < len(value):
            if value[i] == "&":
                ch, i = self._char_ref(value, i)
            else:
                ch, i = value[i], i + 1
            out.append(ch)
        return "".join(out)

    def _char_ref(self, text: str, i: int) -> tuple[str, int]:
        ref = CHAR_REF.match(text, i)
        code = -1
        if ref is not None:
            named, decimal, hexadecimal = ref.groups()
            code = (
                ord(NAMED_REFS[named])
                if named
                else int(decimal or hexadecimal, 10 if decimal else 16)
            )
        if ref is None or not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            where = self._byte(i) if text is self.text else f"{self._byte(0)} (in an attribute)"
            raise self._refusal(f'Character "&" at byte offset {where} must be &amp;')
        return chr(code), ref.end()

    def _byte(self, i: int) -> int:
        return len(self.text[:i].encode())

    @staticmethod
    def _refusal(reason: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {reason}")


@dataclass(frozen=True, slots=True)
class Call:
    """One request the fake got: status 0 means the connection was dropped unanswered."""

    method: str
    params: dict[str, Any]
    at: datetime
    status: int
    response: dict[str, Any] | None


@dataclass(slots=True)
class Fault:
    """A fault waiting for `method`; `refused` counts the requests it turned away."""

    method: str
    times: int
    retry_after_s: int | None  # None: drop the connection
    refused: int = 0


@dataclass(slots=True)
class _Message:
    chat: dict[str, Any]
    message_id: int
    sender: dict[str, Any]
    text: str
    parse_mode: str | None
    plain_text: str
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None = None
    message_thread_id: int | None = None
    reply_to: int | None = None
    date: int = field(default_factory=lambda: int(time.time()))
    edit_date: int | None = None

    def record(self) -> dict[str, Any]:
        """The message as tests read it (the text as the bot sent it, markup included)."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat["id"],
            "text": self.text,
            "parse_mode": self.parse_mode,
            "reply_markup": json.loads(json.dumps(self.reply_markup)),
            "message_thread_id": self.message_thread_id,
            "reply_to": self.reply_to,
            "plain_text": self.plain_text,
            "entities": [dict(e) for e in self.entities],
        }

    def wire(self, messages: dict[tuple[int | str, int], _Message]) -> dict[str, Any]:
        """The Message object Telegram would send."""
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
            "text": self.plain_text,
        }
        optional = {
            "entities": self.entities or None,
            "reply_markup": self.reply_markup,
            "message_thread_id": self.message_thread_id,
            "is_topic_message": True if self.message_thread_id else None,
            "edit_date": self.edit_date,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        replied = messages.get((self.chat["id"], self.reply_to or 0))
        if replied is not None:
            out["reply_to_message"] = replied.wire({})
        return out


class FakeBotApi:
    """The fake Bot API; use as a context manager or call `start()` / `stop()`."""

    def __init__(self, *, token: str | None = None, username: str = "sigtrack_test_bot") -> None:
        bot_id = 7_000_000_000 + secrets.randbelow(1_000_000)
        self.token = token or f"{bot_id}:{secrets.token_urlsafe(27)}"
        self.bot_user = {
            "id": int(self.token.split(":", 1)[0]) if TOKEN_SHAPE.fullmatch(self.token) else bot_id,
            "is_bot": True,
            "first_name": "Sigtrack Test Bot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._calls: list[Call] = []
        self._faults: list[Fault] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100_001)
        self._query_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self.polls_waiting = 0  # getUpdates requests held open right now
        self._message_ids: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], _Message] = {}
        self._sent: list[dict[str, Any]] = []
        self._edits: list[dict[str, Any]] = []
        self._answers: list[dict[str, Any]] = []
        self._commands: dict[str, list[dict[str, Any]]] = {}
        self._changed = threading.Condition()
        self._stopping = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # how soon stop() is noticed
            name="fake-bot-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeBotApi is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @contextmanager
    def running(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        on_start: Callable[[Any], Awaitable[None]] | None = None,
        on_stop: Callable[[Any], Awaitable[None]] | None = None,
    ) -> Iterator[None]:
        """Run `application` with polling in its own thread and event loop until exit;
        `on_start(application)` after it started, `on_stop(application)` before it stops
        (what a bot that drives the Application's life itself does)."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        stop = asyncio.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            async with application:
                await application.start()
                assert application.updater is not None, "the Application has no Updater"
                await application.updater.start_polling(poll_interval=0)
                if on_start is not None:
                    await on_start(application)
                ready.set()
                await stop.wait()
                if on_stop is not None:
                    await on_stop(application)
                await application.updater.stop()
                await application.stop()

        def run() -> None:
            try:
                loop.run_until_complete(main())
            except BaseException as exc:
                failure.append(exc)
            finally:
                ready.set()
                loop.close()

        thread = threading.Thread(target=run, name="bot-under-test", daemon=True)
        thread.start()
        if not ready.wait(timeout=10) or failure:
            raise AssertionError(f"the Application did not start: {failure}") from None
        try:
            yield
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(timeout=10)
            if failure:
                raise AssertionError("the Application failed while stopping") from failure[0]

    # -- what users do -----------------------------------------------------------------

    def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, username: str | None = None
    ) -> int:
        """Queue a message from `user_id` (in their private chat unless `chat_id`)."""
        user = _user(user_id, username)
        chat = _chat(chat_id if chat_id is not None else user_id, user)
        entities = []
        command = COMMAND.match(text)
        if command:
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command[0])}]
        with self._changed:
            message = _Message(
                chat=chat,
                message_id=self._next_message_id(chat["id"]),
                sender=user,
                text=text,
                parse_mode=None,
                plain_text=text,
                entities=entities,
            )
            self._messages[(chat["id"], message.message_id)] = message
            return self._queue({"message": message.wire(self._messages)})

    def press(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        forged: bool = False,
    ) -> str:
        """Queue a press of the button carrying `data` on a message the bot sent (`forged`:
        any data, as a client of the real Bot API can send it, button or not)."""
        user = _user(user_id, None)
        where = chat_id if chat_id is not None else user_id
        with self._changed:
            message = self._messages.get((where, message_id))
            if message is None or message.sender is not self.bot_user:
                raise AssertionError(f"the bot sent no message {message_id} to chat {where}")
            buttons = _callback_data(message.reply_markup)
            if data not in buttons and not forged:
                raise AssertionError(f"message {message_id} has no button {data!r}: {buttons}")
            query_id = f"{user_id}{next(self._query_ids):08d}"
            self._open_queries.add(query_id)
            self._queue(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user,
                        "message": message.wire(self._messages),
                        "chat_instance": f"ci{where}",
                        "data": data,
                    }
                }
            )
            return query_id

    def _queue(self, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **body})
        self._changed.notify_all()
        return update_id

    def _next_message_id(self, chat_id: int | str) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    # -- what the bot did --------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._changed:
            return list(self._calls)

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """The messages the bot sent (to `chat_id`, or anywhere), in order, as sent."""
        with self._changed:
            return [dict(m) for m in self._sent if chat_id is None or m["chat_id"] == chat_id]

    def message(self, chat_id: int | str, message_id: int) -> dict[str, Any]:
        """A message as it is now, after any edits."""
        with self._changed:
            stored = self._messages.get((chat_id, message_id))
            if stored is None:
                raise AssertionError(f"no message {message_id} in chat {chat_id}")
            return stored.record()

    def edits(self) -> list[dict[str, Any]]:
        with self._changed:
            return [dict(e) for e in self._edits]

    def answers(self) -> list[dict[str, Any]]:
        with self._changed:
            return [dict(a) for a in self._answers]

    # -- waiting -----------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10) -> T:
        """Block until `predicate()` is truthy (re-checked on every request and update)."""
        _refuse_inside_event_loop()
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                left = deadline - time.monotonic()
                if result or left <= 0:
                    break
                self._changed.wait(left)
            if result:
                return result
            seen = "\n  ".join(f"{c.method} {c.status} {c.params}" for c in self._calls)
        raise AssertionError(f"condition not met within {timeout} s; calls seen:\n  {seen}")

    def wait_sent(
        self, chat_id: int | str, count: int = 1, timeout: float = 10
    ) -> list[dict[str, Any]]:
        """The first `count` messages sent to `chat_id`, once there are that many."""
        return self.wait_for(lambda: self._first(self.sent(chat_id), count), timeout)

    def wait_edit(
        self, chat_id: int | str, message_id: int, count: int = 1, timeout: float = 10
    ) -> list[dict[str, Any]]:
        """The first `count` edits of one message, once there are that many."""
        return self.wait_for(
            lambda: self._first(
                [
                    e
                    for e in self.edits()
                    if e["chat_id"] == chat_id and e["message_id"] == message_id
                ],
                count,
            ),
            timeout,
        )

    async def wait_for_async(self, predicate: Callable[[], T], timeout: float = 10) -> T:
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    async def wait_sent_async(
        self, chat_id: int | str, count: int = 1, timeout: float = 10
    ) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.wait_sent, chat_id, count, timeout)

    async def wait_edit_async(
        self, chat_id: int | str, message_id: int, count: int = 1, timeout: float = 10
    ) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.wait_edit, chat_id, message_id, count, timeout)

    @staticmethod
    def _first(items: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
        return items[:count] if len(items) >= count else []

    # -- faults ------------------------------------------------------------------------

    def fail_next(self, method: str, *, times: int = 1, retry_after: int = 1) -> Fault:
        """The next `times` calls of `method` get 429 Too Many Requests."""
        return self._add_fault(Fault(method=method, times=times, retry_after_s=retry_after))

    def drop_next(self, method: str, times: int = 1) -> Fault:
        """The next `times` calls of `method` have their connection closed unanswered."""
        return self._add_fault(Fault(method=method, times=times, retry_after_s=None))

    def _add_fault(self, fault: Fault) -> Fault:
        with self._changed:
            self._faults.append(fault)
        return fault

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.method.lower() == method.lower() and fault.times > 0:
                fault.times -= 1
                fault.refused += 1
                return fault
        return None

    # -- serving (called from the server's threads) ------------------------------------

    def handle(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        """Answer one request: (status, JSON body), or (0, None) to drop the connection."""
        method = ""
        try:
            method = self._authorize(path)
            with self._changed:
                fault = self._take_fault(method)
            if fault is not None and fault.retry_after_s is None:
                status, body = 0, None
            elif fault is not None:
                status, body = 429, _error_body(429, _too_many(fault.retry_after_s))
            else:
                status, body = 200, {"ok": True, "result": self._dispatch(method, params)}
        except ApiError as exc:
            status, body = exc.status, _error_body(exc.status, exc.description, exc.parameters)
        with self._changed:
            self._calls.append(Call(method, params, datetime.now(UTC), status, body))
            self._changed.notify_all()
        return status, body

    def _authorize(self, path: str) -> str:
        match = re.fullmatch(r"/bot([^/]*)/([A-Za-z]*)", path)
        if match is None:
            raise ApiError(404, "Not Found")
        token, method = match.groups()
        if token != self.token:
            raise (
                ApiError(401, "Unauthorized")
                if TOKEN_SHAPE.fullmatch(token)
                else ApiError(404, "Not Found")
            )
        if method.lower() not in _METHODS:
            raise ApiError(404, "Not Found: method not found")
        return method

    def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        if method.lower() == "getupdates":
            return self._get_updates(params)
        with self._changed:
            return _METHODS[method.lower()](self, params)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset, limit = params.get("offset", 0), min(max(params.get("limit", 100), 1), 100)
        deadline = time.monotonic() + min(max(params.get("timeout", 0), 0), MAX_POLL_S)
        with self._changed:
            self._poll_generation += 1
            generation = self._poll_generation
            if "allowed_updates" in params:
                self._allowed_updates = list(params["allowed_updates"])
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            self._changed.notify_all()  # an older poll still open ends with a conflict
            while True:
                ready = [u for u in self._updates if self._is_allowed(u)]
                left = deadline - time.monotonic()
                if ready or left <= 0 or self._stopping:
                    return ready[:limit]
                self.polls_waiting += 1
                self._changed.notify_all()
                self._changed.wait(left)
                self.polls_waiting -= 1
                if generation != self._poll_generation:
                    raise ApiError(409, CONFLICT)

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        return not self._allowed_updates or any(k in update for k in self._allowed_updates)

    # -- methods (called with the lock held) -------------------------------------------

    def _get_me(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    def _true(self, params: dict[str, Any]) -> Any:
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _webhook_info(self, params: dict[str, Any]) -> Any:
        pending = len(self._updates)
        return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}

    def _set_commands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: command description must be non-empty")
        self._commands[_commands_key(params)] = commands
        return True

    def _get_commands(self, params: dict[str, Any]) -> Any:
        return self._commands.get(_commands_key(params), [])

    def _delete_commands(self, params: dict[str, Any]) -> Any:
        self._commands.pop(_commands_key(params), None)
        return True

    def _send_message(self, params: dict[str, Any]) -> Any:
        if params.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = _chat(params["chat_id"], None)
        plain, entities = _parsed_text(params)
        markup = _checked_markup(params.get("reply_markup"))
        reply_to = params.get("reply_to_message_id") or (params.get("reply_parameters") or {}).get(
            "message_id"
        )
        if reply_to and (chat["id"], reply_to) not in self._messages:
            allow = params.get("allow_sending_without_reply") or (
                params.get("reply_parameters") or {}
            ).get("allow_sending_without_reply")
            if not allow:
                raise ApiError(400, "Bad Request: message to be replied not found")
            reply_to = None
        message = _Message(
            chat=chat,
            message_id=self._next_message_id(chat["id"]),
            sender=self.bot_user,
            text=params["text"],
            parse_mode=params.get("parse_mode"),
            plain_text=plain,
            entities=entities,
            reply_markup=markup,
            message_thread_id=params.get("message_thread_id"),
            reply_to=reply_to,
        )
        self._messages[(chat["id"], message.message_id)] = message
        self._sent.append(message.record())
        return message.wire(self._messages)

    def _edit_message_text(self, params: dict[str, Any]) -> Any:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self._messages.get(key)  # type: ignore[arg-type]
        if message is None or message.sender is not self.bot_user:
            raise ApiError(400, "Bad Request: message to edit not found")
        plain, entities = _parsed_text(params)
        markup = _checked_markup(params.get("reply_markup"))  # left out: the keyboard goes
        if (plain, entities, markup) == (
            message.plain_text,
            message.entities,
            message.reply_markup,
        ):
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.parse_mode = params["text"], params.get("parse_mode")
        message.plain_text, message.entities, message.reply_markup = plain, entities, markup
        message.edit_date = int(time.time())
        self._edits.append(message.record())
        return message.wire(self._messages)

    def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.discard(query_id)
        self._answers.append(dict(params))
        return True


_METHODS: dict[str, Callable[[FakeBotApi, dict[str, Any]], Any]] = {
    "getme": FakeBotApi._get_me,
    "deletewebhook": FakeBotApi._delete_webhook,
    "getwebhookinfo": FakeBotApi._webhook_info,
    "setmycommands": FakeBotApi._set_commands,
    "getmycommands": FakeBotApi._get_commands,
    "deletemycommands": FakeBotApi._delete_commands,
    "close": FakeBotApi._true,
    "logout": FakeBotApi._true,
    "getupdates": FakeBotApi._get_updates,
    "sendmessage": FakeBotApi._send_message,
    "editmessagetext": FakeBotApi._edit_message_text,
    "answercallbackquery": FakeBotApi._answer_callback_query,
}


def _refuse_inside_event_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "FakeBotApi.wait_* block the thread; inside an event loop use the *_async twins"
    )


def _user(user_id: int, username: str | None) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": f"User{user_id}",
        "username": username or f"user{user_id}",
    }


def _chat(chat_id: int | str, user: dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(chat_id, int) and chat_id > 0:
        chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        if user is not None and user["id"] == chat_id:
            chat.update(first_name=user["first_name"], username=user["username"])
        return chat
    return {"id": chat_id, "type": "supergroup", "title": f"Chat {chat_id}"}


def _parsed_text(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    mode = params.get("parse_mode") or ""
    if mode.lower() not in {"", "html", "markdown", "markdownv2"}:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {mode!r}")
    plain, entities = parse_html(text) if mode.lower() == "html" else (text, [])
    if not plain.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(plain) > MAX_TEXT_UTF16:
        raise ApiError(400, "Bad Request: message is too long")
    return plain, entities


def _checked_markup(markup: Any) -> dict[str, Any] | None:
    """Refuse an inline keyboard Telegram would refuse; other markups pass as they are."""
    if markup is None:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(markup, dict) or ("inline_keyboard" in markup and not _is_grid(rows)):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for button in itertools.chain.from_iterable(rows or []):
        if not button.get("text"):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text is empty")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if len(button) < 2:
            raise ApiError(
                400,
                "Bad Request: can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard",
            )
    return markup


def _is_grid(rows: Any) -> bool:
    return isinstance(rows, list) and all(
        isinstance(row, list) and all(isinstance(b, dict) for b in row) for row in rows
    )


def _callback_data(markup: dict[str, Any] | None) -> list[str]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [b["callback_data"] for b in itertools.chain.from_iterable(rows) if "callback_data" in b]


def _commands_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code", "")], sort_keys=True)


def _too_many(retry_after_s: int | None) -> str:
    return f"Too Many Requests: retry after {retry_after_s}"


def _error_body(status: int, description: str, parameters: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if status == 429 and parameters is None:
        parameters = {"retry_after": int(description.rsplit(" ", 1)[1])}
    if parameters is not None:
        body["parameters"] = parameters
    return body


# -- HTTP ------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeBotApi


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx uses it
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        split = urlsplit(self.path)
        body: dict[str, Any] | None
        try:
            params = decode_params(
                self.headers.get("Content-Type", ""),
                self.rfile.read(int(self.headers.get("Content-Length") or 0)),
                split.query,
            )
        except ApiError as exc:
            status, body = exc.status, _error_body(exc.status, exc.description)
        else:
            status, body = self.server.fake.handle(split.path, params)
        if body is None:
            self.close_connection = True  # dropped: no status line, no body
            return
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a cancelled poll)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # the token sits in the path
        pass


def decode_params(content_type: str, body: bytes, query: str = "") -> dict[str, Any]:
    """Parameters as Telegram reads them: query string, form, multipart or JSON body;
    nested objects arrive JSON-encoded as strings in forms, and are decoded here."""
    raw: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" and body:
        try:
            decoded = json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON body") from exc
        raw.update(decoded if isinstance(decoded, dict) else {})
    elif kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                raw[name] = payload if part.get_filename() else payload.decode()
    elif body:
        raw.update({k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
    return {name: _typed(name, value) for name, value in raw.items()}


def _typed(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if name in JSON_PARAMS:
            return json.loads(value)
        if name in INT_PARAMS:
            return int(value)
    except ValueError as exc:
        raise ApiError(400, f"Bad Request: can't parse {name} (got {value!r})") from exc
    if name in BOOL_PARAMS:
        return value.lower() in {"true", "1"}
    if name == "chat_id":
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    return value


@pytest.fixture
def fake_bot_api() -> Iterator[FakeBotApi]:
    """A started FakeBotApi; its token is `fake_bot_api.token`."""
    with FakeBotApi() as fake:
        yield fake
