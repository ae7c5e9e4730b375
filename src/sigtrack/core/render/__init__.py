"""Rendering results for people and programs: text (id / en), JSON-ready values, HTML.

The one home of output formatting (issue 9 §3): services return plain values, and the CLI,
the `Tracker`, the bot and the API render them only through the functions here.
"""
