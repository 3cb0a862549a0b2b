"""District events: the context a photo is taken in."""
