"""Families sign and withdraw online: consent requests, their private links, the family's form, letters and e-mail."""
