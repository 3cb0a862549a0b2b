"""Clearing a photo: identify, decide, record; reviews, and who may learn who a face is."""
