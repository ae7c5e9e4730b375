"""What runs by itself in a long-running process (`sigtrack bot`, `sigtrack serve`): the
jobs' ticker — APScheduler 3 asks every minute, and the run ledger in the store decides what
runs (services/jobs.py); cron with `sigtrack jobs run-due` is the other way — and, in a
server without a bot, the settling monitor's thread beside it."""

from sigtrack.adapters.jobs.ticker import Ticker
from sigtrack.adapters.jobs.workers import Workers

__all__ = ["Ticker", "Workers"]
