"""Consent forms as recorded acts, their scans, and a person's standing read from them."""
