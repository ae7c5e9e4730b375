"""What fires the automatic jobs in a long-running process (`sigtrack bot`, later
`sigtrack serve`): APScheduler 3 asks every minute, and the run ledger in the store
decides what runs (services/jobs.py). Cron with `sigtrack jobs run-due` is the other way."""

from sigtrack.adapters.jobs.ticker import Ticker

__all__ = ["Ticker"]
