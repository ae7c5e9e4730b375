"""Use cases: they reach the world only through the ports in `ports.py`."""
