"""Albums: many photos cleared in the background, each with its own outcome."""
