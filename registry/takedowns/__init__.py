"""Takedown requests, and the daily re-check of posted photos."""
