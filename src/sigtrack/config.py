"""Typed settings, read once from `SIGTRACK_*` variables and an optional TOML file."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sigtrack.core.errors import InvalidInput
from sigtrack.core.policy import ResolutionPolicy, parse_same_candle
from sigtrack.core.schedule import Schedule, parse_schedule
from sigtrack.core.signals import DEFAULT_TAG_RULES, SignalDefaults
from sigtrack.core.texts import Lang, parse_lang

DEFAULT_DATA_DIR = Path("signal_logs")
CONFIG_FILE = Path("sigtrack.toml")
_PASSWORD_RE = re.compile(r"(://[^:/@]+:)[^@]+@")
API_READS = ("open", "token")
_CHAT_RE = re.compile(r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything configurable. Build with `load_settings()`; adapters get only their fields."""

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""  # empty: SQLite file in data_dir
    display_tz: str = "Asia/Jakarta"
    lang: Lang = Lang.ID
    strategy: str = "default"
    source: str = "autosignal"
    exchange: str = "binance"
    market: str = "usdm"
    tag_rules: tuple[tuple[str, str], ...] = DEFAULT_TAG_RULES
    sqlite_busy_timeout_s: float = 10.0
    sqlite_synchronous: str = "NORMAL"
    admin_ids: tuple[int, ...] = field(default=())
    # market data and settling (DESIGN §3)
    exchange_url: str = ""  # empty: the exchange's own API; else e.g. a proxy or a test server
    exchange_timeout_s: float = 10.0
    exchange_max_retries: int = 5
    exchange_backoff_s: float = 0.5  # the first retry waits this, then twice as long each time
    candles_dir: Path | None = None  # the candle cache; None: data_dir / "candles"
    same_candle: str = "sl_first"
    exit_plan: tuple[float, ...] = (0.5, 0.5)
    move_stop_to_entry: bool = True
    expire_after_timeframes: int = 96
    fee_bps_per_side: float = 0.0
    leverage: float = 1.0
    monitor_every_s: float = 60.0
    # Telegram (adapters/telegram); the bot token is read by `sigtrack bot`, never kept here
    telegram_base_url: str = ""  # empty: api.telegram.org; else a self-hosted Bot API root
    announce_chat: str = ""  # where TP hits and closes are posted: a chat id or @channel
    announce_thread: int | None = None  # the forum topic in that chat
    public_winrate: bool = False  # everyone may use /winrate, not only the admins
    # backups (services/backups.py): folders and s3:// URLs; AWS_* credentials from the env
    backup_to: tuple[str, ...] = ()
    backup_keep_daily: int = 7
    backup_keep_weekly: int = 4
    s3_endpoint_url: str = ""  # empty: AWS; else e.g. Supabase storage's S3 endpoint
    # the HTTP API (adapters/http); its tokens are read by `sigtrack serve`, never kept here
    api_reads: str = "open"  # "open": anyone may read; "token": reads need a token too
    # the automatic jobs (services/jobs.py), in the display zone
    weekly_report_at: str = "mon 09:00"
    backup_at: str = "23:00"

    def __post_init__(self) -> None:
        parse_zone(self.display_tz, "display_tz")
        parse_schedule(self.weekly_report_at, "weekly_report_at")
        parse_schedule(self.backup_at, "backup_at")
        object.__setattr__(self, "lang", parse_lang(self.lang))
        self.policy  # noqa: B018 — builds the policy once so that a bad value fails here
        for name in ("monitor_every_s", "exchange_timeout_s"):
            if not getattr(self, name) > 0:
                raise InvalidInput(name, f"must be seconds > 0 (got {getattr(self, name)!r})")
        if self.exchange_max_retries < 0 or self.exchange_backoff_s < 0:
            raise InvalidInput(
                "exchange_max_retries",
                f"retries and backoff must be >= 0 (got {self.exchange_max_retries!r}, "
                f"{self.exchange_backoff_s!r})",
            )

        if self.announce_chat and not _CHAT_RE.fullmatch(self.announce_chat):
            raise InvalidInput(
                "announce_chat",
                "must be a chat id like -1001234567890 or @channelname "
                f"(got {self.announce_chat!r})",
            )
        if self.api_reads not in API_READS:
            raise InvalidInput(
                "api_reads", f"must be one of {', '.join(API_READS)} (got {self.api_reads!r})"
            )
        for name in ("backup_keep_daily", "backup_keep_weekly"):
            if getattr(self, name) < 0:
                raise InvalidInput(name, f"must be a count >= 0 (got {getattr(self, name)!r})")
        if self.announce_thread is not None and self.announce_thread < 1:
            raise InvalidInput(
                "announce_thread", f"must be a forum topic id >= 1 (got {self.announce_thread!r})"
            )

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["database_url"] = mask_url(self.database_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'sigtrack.db'}"

    @property
    def policy(self) -> ResolutionPolicy:
        return ResolutionPolicy(
            same_candle=parse_same_candle(self.same_candle),
            exit_plan=self.exit_plan,
            move_stop_to_entry=self.move_stop_to_entry,
            expire_after_timeframes=self.expire_after_timeframes,
            fee_bps_per_side=self.fee_bps_per_side,
            leverage=self.leverage,
        )

    @property
    def journal_dir(self) -> Path:
        """Where writes wait while the store does not answer (services/journal.py)."""
        return self.data_dir / "journal"

    @property
    def resolved_candles_dir(self) -> Path:
        return self.candles_dir if self.candles_dir is not None else self.data_dir / "candles"

    @property
    def weekly_report_schedule(self) -> Schedule:
        return parse_schedule(self.weekly_report_at, "weekly_report_at")

    @property
    def backup_schedule(self) -> Schedule:
        return parse_schedule(self.backup_at, "backup_at")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_tz)

    @property
    def signal_defaults(self) -> SignalDefaults:
        return SignalDefaults(
            strategy=self.strategy, source=self.source, exchange=self.exchange,
            market=self.market, tag_rules=self.tag_rules,
        )  # fmt: skip


def parse_zone(name: str, field: str = "tz") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            field, f"must be an IANA zone like Asia/Jakarta (got {name!r})"
        ) from None


def mask_url(url: str) -> str:
    """`postgresql://user:secret@host/db` → `postgresql://user:***@host/db`."""
    return _PASSWORD_RE.sub(r"\1***@", url)


_ENV = {
    "SIGTRACK_DATA_DIR": "data_dir",
    "SIGTRACK_DATABASE_URL": "database_url",
    "SIGTRACK_TZ": "display_tz",
    "SIGTRACK_LANG": "lang",
    "SIGTRACK_STRATEGY": "strategy",
    "SIGTRACK_SOURCE": "source",
    "SIGTRACK_EXCHANGE": "exchange",
    "SIGTRACK_MARKET": "market",
    "SIGTRACK_TAGS": "tag_rules",
    "SIGTRACK_SQLITE_BUSY_TIMEOUT_S": "sqlite_busy_timeout_s",
    "SIGTRACK_SQLITE_SYNCHRONOUS": "sqlite_synchronous",
    "SIGTRACK_EXCHANGE_URL": "exchange_url",
    "SIGTRACK_EXCHANGE_TIMEOUT_S": "exchange_timeout_s",
    "SIGTRACK_EXCHANGE_MAX_RETRIES": "exchange_max_retries",
    "SIGTRACK_EXCHANGE_BACKOFF_S": "exchange_backoff_s",
    "SIGTRACK_CANDLES_DIR": "candles_dir",
    "SIGTRACK_SAME_CANDLE": "same_candle",
    "SIGTRACK_EXIT_PLAN": "exit_plan",
    "SIGTRACK_MOVE_STOP_TO_ENTRY": "move_stop_to_entry",
    "SIGTRACK_EXPIRE_AFTER_TIMEFRAMES": "expire_after_timeframes",
    "SIGTRACK_FEE_BPS_PER_SIDE": "fee_bps_per_side",
    "SIGTRACK_LEVERAGE": "leverage",
    "SIGTRACK_MONITOR_EVERY_S": "monitor_every_s",
    "SIGTRACK_TELEGRAM_BASE_URL": "telegram_base_url",
    "SIGTRACK_ANNOUNCE_CHAT": "announce_chat",
    "SIGTRACK_ANNOUNCE_THREAD": "announce_thread",
    "SIGTRACK_PUBLIC_WINRATE": "public_winrate",
    "SIGTRACK_BACKUP_TO": "backup_to",
    "SIGTRACK_BACKUP_KEEP_DAILY": "backup_keep_daily",
    "SIGTRACK_BACKUP_KEEP_WEEKLY": "backup_keep_weekly",
    "SIGTRACK_S3_ENDPOINT_URL": "s3_endpoint_url",
    "SIGTRACK_API_READS": "api_reads",
    "SIGTRACK_WEEKLY_REPORT_AT": "weekly_report_at",
    "SIGTRACK_BACKUP_AT": "backup_at",
}
_FLOATS = {"sqlite_busy_timeout_s", "fee_bps_per_side", "leverage", "monitor_every_s",
           "exchange_timeout_s", "exchange_backoff_s"}  # fmt: skip
_INTS = {"expire_after_timeframes", "exchange_max_retries", "announce_thread",
         "backup_keep_daily", "backup_keep_weekly"}  # fmt: skip
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _parse_tag_rules(value: object) -> tuple[tuple[str, str], ...]:
    """`{"demand": "demand_zone"}` (TOML) or `demand=demand_zone,supply=supply_zone` (env)."""
    if isinstance(value, Mapping):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    else:
        pairs = []
        for part in str(value).split(","):
            if not part.strip():
                continue
            needle, sep, tag = part.partition("=")
            if not sep or not needle.strip() or not tag.strip():
                raise InvalidInput("tags", f"must look like needle=tag,needle=tag (got {value!r})")
            pairs.append((needle.strip(), tag.strip()))
    return tuple(pairs)


def _parse_admin_ids(env: Mapping[str, str]) -> tuple[int, ...]:
    """The old bot's variables: ADMIN_IDS="1,2" and ADMIN1 … ADMIN9."""
    raw = [p for p in re.split(r"[,\s]+", env.get("ADMIN_IDS", "")) if p]
    raw += [env[f"ADMIN{i}"].strip() for i in range(1, 10) if env.get(f"ADMIN{i}", "").strip()]
    ids = []
    for value in raw:
        try:
            ids.append(int(value))
        except ValueError:
            raise InvalidInput(
                "ADMIN_IDS", f"must hold Telegram user ids (got {value!r})"
            ) from None
    return tuple(dict.fromkeys(ids))


def _coerce(name: str, value: Any) -> Any:
    if name in ("data_dir", "candles_dir"):
        return Path(str(value)).expanduser()
    if name == "tag_rules":
        return _parse_tag_rules(value)
    if name in _FLOATS:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InvalidInput(name, f"must be a number (got {value!r})") from None
    if name in _INTS:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise InvalidInput(name, f"must be a whole number (got {value!r})") from None
    if name in ("move_stop_to_entry", "public_winrate"):
        return _coerce_bool(name, value)
    if name == "exit_plan":
        return _coerce_plan(value)
    if name == "backup_to":
        parts = value if isinstance(value, list | tuple) else str(value).split(",")
        return tuple(str(part).strip() for part in parts if str(part).strip())
    return str(value)


def _coerce_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise InvalidInput(name, f"must be true or false (got {value!r})")


def _coerce_plan(value: Any) -> tuple[float, ...]:
    """`[0.5, 0.5]` (TOML) or `0.5,0.5` (env)."""
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    try:
        return tuple(float(part) for part in parts)
    except (TypeError, ValueError):
        raise InvalidInput("exit_plan", f"must be fractions like 0.5,0.5 (got {value!r})") from None


def load_settings(
    env: Mapping[str, str] | None = None, config_file: Path | None = None, **overrides: Any
) -> Settings:
    """Settings from, in rising order: defaults, the TOML file, the environment, overrides.

    The TOML file is `SIGTRACK_CONFIG`, else `./sigtrack.toml` when it exists.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file or (Path(env["SIGTRACK_CONFIG"]) if env.get("SIGTRACK_CONFIG") else None)
    if path is None and CONFIG_FILE.is_file():
        path = CONFIG_FILE
    if path is not None:
        values |= _read_toml(path)
    for variable, name in _ENV.items():
        if env.get(variable, "").strip():
            values[name] = _coerce(name, env[variable].strip())
    values["admin_ids"] = _parse_admin_ids(env) or values.get("admin_ids", ())
    values |= {k: _coerce(k, v) for k, v in overrides.items() if v is not None}
    return Settings(**values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput("SIGTRACK_CONFIG", f"no such file (got {str(path)!r})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput("SIGTRACK_CONFIG", f"{path}: {exc}") from None
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known - {"tags"})
    if unknown:
        raise InvalidInput(unknown[0], f"{path}: not a setting (known: {sorted(known)})")
    values = {k: _coerce(k, v) for k, v in data.items() if k not in {"tags", "admin_ids"}}
    if "tags" in data:
        values["tag_rules"] = _parse_tag_rules(data["tags"])
    if "admin_ids" in data:
        values["admin_ids"] = tuple(int(v) for v in data["admin_ids"])
    return values
