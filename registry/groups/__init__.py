"""Groups a member of staff leads, and the class list drawn from them."""
