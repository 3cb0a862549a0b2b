"""Images and faces: safe decoding, detection, encodings, matching, redaction.

Takes bytes, arrays and explicit thresholds; returns small frozen dataclasses. No database, no
settings, no web framework.
"""
