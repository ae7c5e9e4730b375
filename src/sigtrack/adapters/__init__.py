"""Adapters: the only code that talks to databases, files, exchanges and Telegram."""
