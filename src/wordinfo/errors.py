"""The one exception type users see: a short message naming the problem and the fix."""


class WordinfoError(ValueError):
    """Bad input or an unusable model, with a one-line message meant for a person."""
