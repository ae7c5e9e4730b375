"""The fake Bot API, driven by python-telegram-bot itself: if PTB accepts its answers and
gets Telegram's refusals from it, a bot tested against it meets the real thing."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, ApplicationBuilder, CommandHandler, ContextTypes, ExtBot

import telegram_fake
from telegram_fake import FakeBotApi

fake_bot_api = telegram_fake.fake_bot_api  # the fixture, as a bot's conftest would take it

USER = 4242
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Winrate 7d", callback_data="wr:7")]])


@pytest_asyncio.fixture
async def bot(fake_bot_api: FakeBotApi) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(fake_bot_api.token, base_url=fake_bot_api.base_url) as opened:
        yield opened


def refusal(fake: FakeBotApi) -> str:
    """The description the fake gave with its last answer (PTB rewords it)."""
    response = fake.calls[-1].response
    assert response is not None and response["ok"] is False
    return str(response["description"])


@pytest.mark.asyncio
async def test_get_me_names_the_bot_behind_the_token(
    fake_bot_api: FakeBotApi, bot: telegram.Bot
) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == int(fake_bot_api.token.split(":")[0])
    assert me.username == "sigtrack_test_bot"


@pytest.mark.asyncio
async def test_a_plain_message_is_stored_and_returned_as_a_message(
    fake_bot_api: FakeBotApi, bot: telegram.Bot
) -> None:
    first = await bot.send_message(USER, "halo")
    second = await bot.send_message(USER, "lagi", reply_to_message_id=first.message_id)
    other = await bot.send_message(USER + 1, "kamu")

    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.chat.id == USER and first.chat.type == "private" and first.text == "halo"
    assert second.reply_to_message is not None and second.reply_to_message.text == "halo"
    [one, two] = fake_bot_api.sent(USER)
    assert one == {
        "message_id": 1,
        "chat_id": USER,
        "text": "halo",
        "parse_mode": None,
        "reply_markup": None,
        "message_thread_id": None,
        "reply_to": None,
        "plain_text": "halo",
        "entities": [],
    }
    assert two["reply_to"] == 1
    assert len(fake_bot_api.sent()) == 3


@pytest.mark.asyncio
async def test_an_html_message_with_a_keyboard_reads_back_with_its_markup_and_entities(
    fake_bot_api: FakeBotApi, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(
        -1001234,
        "<b>Winrate</b> 7d: <i>61&#37;</i> &lt;n=12&gt;",
        parse_mode=ParseMode.HTML,
        reply_markup=KEYBOARD,
        message_thread_id=7,
    )

    assert sent.text == "Winrate 7d: 61% <n=12>"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 7),
        ("italic", 12, 3),
    ]
    assert sent.reply_markup == KEYBOARD
    assert sent.message_thread_id == 7 and sent.is_topic_message
    [stored] = fake_bot_api.sent(-1001234)
    assert stored["parse_mode"] == "HTML"
    assert stored["text"] == "<b>Winrate</b> 7d: <i>61&#37;</i> &lt;n=12&gt;"
    assert stored["reply_markup"] == {
        "inline_keyboard": [[{"text": "Winrate 7d", "callback_data": "wr:7"}]]
    }
    assert stored["message_thread_id"] == 7


@pytest.mark.asyncio
async def test_an_edit_changes_the_message_and_an_edit_that_changes_nothing_is_refused(
    fake_bot_api: FakeBotApi, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(USER, "menunggu…", reply_markup=KEYBOARD)

    edited = await bot.edit_message_text("<b>selesai</b>", USER, sent.message_id, parse_mode="HTML")

    assert isinstance(edited, telegram.Message)
    assert edited.text == "selesai" and edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    now = fake_bot_api.message(USER, sent.message_id)
    assert (now["text"], now["reply_markup"]) == ("<b>selesai</b>", None)
    assert fake_bot_api.sent(USER)[0]["text"] == "menunggu…"  # sent() keeps what was sent
    assert [e["text"] for e in fake_bot_api.edits()] == ["<b>selesai</b>"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>selesai</b>", USER, sent.message_id, parse_mode="HTML")
    assert refusal(fake_bot_api).startswith("Bad Request: message is not modified: ")
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 99)
    assert refusal(fake_bot_api) == "Bad Request: message to edit not found"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("harga < 5", 'Unsupported start tag "" at byte offset 6'),
        ("🚀 <br/>", 'Unsupported start tag "br/" at byte offset 5'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("AT&T", 'Character "&" at byte offset 2 must be &amp;'),
        ("&nbsp;x", 'Character "&" at byte offset 0 must be &amp;'),
        ("5 > 3", 'Character ">" at byte offset 2 must be &gt;'),
    ],
)
@pytest.mark.asyncio
async def test_html_telegram_cannot_parse_is_refused_with_its_reason(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, text: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match=r"^Can't parse entities: "):
        await bot.send_message(USER, text, parse_mode="HTML")

    assert refusal(fake_bot_api) == f"Bad Request: can't parse entities: {reason}"
    assert fake_bot_api.sent() == []


@pytest.mark.asyncio
async def test_every_tag_telegram_knows_is_accepted(bot: telegram.Bot) -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        "<strike>k</strike><del>d</del><code>c</code><pre>p</pre>"
        '<a href="https://example.com/?a=1&amp;b=2">a</a><span class="tg-spoiler">x</span>'
        "<tg-spoiler>y</tg-spoiler><blockquote>q</blockquote><B>upper</B> &amp; &quot; &#x1F680;"
    )
    sent = await bot.send_message(USER, text, parse_mode="HTML")

    assert sent.text == 'bsieunskdcpaxyqupper & " 🚀'
    link = next(e for e in sent.entities if e.type == "text_link")
    assert link.url == "https://example.com/?a=1&b=2"


@pytest.mark.parametrize(
    ("text", "is_accepted"),
    [
        ("a" * 4096, True),
        ("<b>" + "a" * 4096 + "</b>", True),  # the markup does not count
        ("a" * 4097, False),
        ("😀" * 2048, True),  # 4096 UTF-16 code units
        ("😀" * 2049, False),  # 2049 characters, 4098 code units
        ("&amp;" * 4097, False),
    ],
)
@pytest.mark.asyncio
async def test_the_4096_limit_counts_utf16_units_of_the_parsed_text(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, text: str, is_accepted: bool
) -> None:
    if is_accepted:
        await bot.send_message(USER, text, parse_mode="HTML")
        assert len(fake_bot_api.sent(USER)) == 1
        return
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(USER, text, parse_mode="HTML")
    assert refusal(fake_bot_api) == "Bad Request: message is too long"


@pytest.mark.parametrize("text", ["", "<b></b>", "  \n"])
@pytest.mark.asyncio
async def test_an_empty_text_is_refused(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, text: str
) -> None:
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(USER, text, parse_mode="HTML")


@pytest.mark.parametrize(("data", "is_accepted"), [("x" * 64, True), ("é" * 33, False)])
@pytest.mark.asyncio
async def test_callback_data_over_64_bytes_is_refused(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, data: str, is_accepted: bool
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=data)]])
    if is_accepted:
        await bot.send_message(USER, "pilih", reply_markup=markup)
        return
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(USER, "pilih", reply_markup=markup)
    assert refusal(fake_bot_api) == "Bad Request: BUTTON_DATA_INVALID"


@pytest.mark.asyncio
async def test_get_updates_drops_what_an_offset_confirms(
    fake_bot_api: FakeBotApi, bot: telegram.Bot
) -> None:
    first = fake_bot_api.send_text(USER, "/winrate@sigtrack_test_bot 7", username="ani")
    second = fake_bot_api.send_text(USER + 1, "halo", chat_id=-100777)

    both = await bot.get_updates()
    assert [u.update_id for u in both] == [first, second]
    command = both[0].message
    assert command is not None and command.text == "/winrate@sigtrack_test_bot 7"
    assert command.from_user is not None and command.from_user.username == "ani"
    assert command.chat.id == USER and command.chat.type == "private"
    assert [(e.type, e.offset, e.length) for e in command.entities] == [("bot_command", 0, 26)]
    group = both[1].message
    assert group is not None and group.chat.id == -100777 and not group.entities

    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert await bot.get_updates(offset=second + 1) == ()
    assert await bot.get_updates() == ()  # confirmed updates are gone for good
    third = fake_bot_api.send_text(USER, "lagi")
    assert [u.update_id for u in await bot.get_updates(limit=5)] == [third]


@pytest.mark.asyncio
async def test_a_long_poll_wakes_when_an_update_is_queued(
    fake_bot_api: FakeBotApi, bot: telegram.Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await fake_bot_api.wait_for_async(lambda: fake_bot_api.polls_waiting == 1)
    started = time.monotonic()
    update_id = fake_bot_api.send_text(USER, "/ping")

    updates = await asyncio.wait_for(poll, timeout=5)

    assert [u.update_id for u in updates] == [update_id]
    assert time.monotonic() - started < 0.8  # well before the 1 s cap


@pytest.mark.asyncio
async def test_an_empty_long_poll_ends_at_the_one_second_cap(bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == ()
    assert 0.9 <= time.monotonic() - started < 5


@pytest.mark.asyncio
async def test_a_429_is_waited_out_by_the_rate_limiter(fake_bot_api: FakeBotApi) -> None:
    fault = fake_bot_api.fail_next("sendMessage", retry_after=1)
    limiter = AIORateLimiter(max_retries=2)
    async with ExtBot(
        fake_bot_api.token, base_url=fake_bot_api.base_url, rate_limiter=limiter
    ) as bot:
        await bot.send_message(USER, "sabar")

    assert [m["text"] for m in fake_bot_api.sent(USER)] == ["sabar"]
    calls = [c for c in fake_bot_api.calls if c.method == "sendMessage"]
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert (calls[1].at - calls[0].at).total_seconds() >= 1
    assert fault.refused == 1


@pytest.mark.asyncio
async def test_a_dropped_connection_is_a_network_error(
    fake_bot_api: FakeBotApi, bot: telegram.Bot
) -> None:
    fault = fake_bot_api.drop_next("sendMessage")

    with pytest.raises(NetworkError):
        await bot.send_message(USER, "hilang")
    await bot.send_message(USER, "sampai")

    assert [m["text"] for m in fake_bot_api.sent(USER)] == ["sampai"]
    assert [c.status for c in fake_bot_api.calls if c.method == "sendMessage"] == [0, 200]
    assert fault.refused == 1


@pytest.mark.parametrize("token", ["123456:wrong-token", "not-a-token"])
@pytest.mark.asyncio
async def test_a_wrong_token_is_refused(fake_bot_api: FakeBotApi, token: str) -> None:
    with pytest.raises(InvalidToken):
        async with telegram.Bot(token, base_url=fake_bot_api.base_url):
            pass  # initialize() calls getMe

    status = 401 if token[0].isdigit() else 404
    assert fake_bot_api.calls[-1].status == status
    assert refusal(fake_bot_api) == ("Unauthorized" if status == 401 else "Not Found")


@pytest.mark.asyncio
async def test_a_method_the_fake_does_not_serve_is_not_found(
    fake_bot_api: FakeBotApi, bot: telegram.Bot
) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER})
    assert refusal(fake_bot_api) == "Not Found: method not found"


@pytest.mark.asyncio
async def test_a_press_carries_the_message_and_is_answered_once(
    fake_bot_api: FakeBotApi, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(USER, "panel", reply_markup=KEYBOARD)

    query_id = fake_bot_api.press(USER, sent.message_id, "wr:7")
    [update] = await bot.get_updates()

    query = update.callback_query
    assert query is not None and query.id == query_id and query.data == "wr:7"
    assert query.from_user.id == USER
    assert isinstance(query.message, telegram.Message) and query.message.text == "panel"
    assert await bot.answer_callback_query(query_id, text="ok") is True
    assert fake_bot_api.answers() == [{"callback_query_id": query_id, "text": "ok"}]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(AssertionError, match="has no button 'wr:30'"):
        fake_bot_api.press(USER, sent.message_id, "wr:30")
    with pytest.raises(AssertionError, match="the bot sent no message 9"):
        fake_bot_api.press(USER, 9, "wr:7")


@pytest.mark.asyncio
async def test_commands_are_kept_per_scope(bot: telegram.Bot) -> None:
    await bot.set_my_commands([("winrate", "Winrate 7 hari")])
    admins = telegram.BotCommandScopeChat(USER)
    await bot.set_my_commands([("admin", "Panel admin")], scope=admins)

    assert [c.command for c in await bot.get_my_commands()] == ["winrate"]
    assert [c.command for c in await bot.get_my_commands(scope=admins)] == ["admin"]
    assert await bot.delete_my_commands(scope=admins)
    assert await bot.get_my_commands(scope=admins) == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Win-Rate", "bad")])


@pytest.mark.asyncio
async def test_the_polling_start_up_calls_are_served(bot: telegram.Bot) -> None:
    assert await bot.delete_webhook(drop_pending_updates=True)
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0
    assert await bot.close() and await bot.log_out()


def _post(fake: FakeBotApi, method: str, body: bytes, content_type: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{fake.base_url}{fake.token}/{method}", body, {"Content-Type": content_type}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        decoded: dict[str, Any] = json.loads(answer.read())
        return decoded


def test_json_and_multipart_bodies_are_read_like_forms(fake_bot_api: FakeBotApi) -> None:
    markup = {"inline_keyboard": [[{"text": "7d", "callback_data": "wr:7"}]]}
    as_json = json.dumps({"chat_id": USER, "text": "123", "reply_markup": markup}).encode()
    multipart = (
        b'--XX\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n-100555\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="text"\r\n\r\ntrue\r\n--XX--\r\n'
    )

    assert _post(fake_bot_api, "sendMessage", as_json, "application/json")["ok"] is True
    _post(fake_bot_api, "sendMessage", multipart, "multipart/form-data; boundary=XX")

    [from_json, from_multipart] = fake_bot_api.sent()
    assert (from_json["chat_id"], from_json["text"], from_json["reply_markup"]) == (
        USER,
        "123",  # a text stays a text even when it looks like JSON
        markup,
    )
    assert (from_multipart["chat_id"], from_multipart["text"]) == (-100555, "true")


async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("<b>pong</b>", parse_mode="HTML")


def _application(fake: FakeBotApi) -> Any:
    application = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("ping", ping))
    return application


def test_an_application_polling_in_its_thread_answers_a_command(fake_bot_api: FakeBotApi) -> None:
    with fake_bot_api.running(_application(fake_bot_api)):
        fake_bot_api.send_text(USER, "/ping")
        [reply] = fake_bot_api.wait_sent(USER)

    assert len(fake_bot_api.sent(USER)) == 1  # the update was confirmed, not handled twice
    assert (reply["text"], reply["parse_mode"], reply["plain_text"]) == (
        "<b>pong</b>",
        "HTML",
        "pong",
    )
    methods = [c.method for c in fake_bot_api.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"] and "getUpdates" in methods


@pytest.mark.asyncio
async def test_an_application_on_the_tests_loop_answers_a_command(
    fake_bot_api: FakeBotApi,
) -> None:
    application = _application(fake_bot_api)
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0)
        fake_bot_api.send_text(USER, "/ping@sigtrack_test_bot")
        [reply] = await fake_bot_api.wait_sent_async(USER)
        with pytest.raises(RuntimeError, match="use the \\*_async twins"):
            fake_bot_api.wait_sent(USER)
        await application.updater.stop()
        await application.stop()

    assert reply["plain_text"] == "pong"


def test_a_wait_that_times_out_lists_the_calls_seen(fake_bot_api: FakeBotApi) -> None:
    with fake_bot_api.running(_application(fake_bot_api)):
        fake_bot_api.send_text(USER, "/unknown")
        with pytest.raises(AssertionError, match=r"(?s)within 0.3 s; calls seen:.*getMe 200"):
            fake_bot_api.wait_sent(USER, timeout=0.3)
