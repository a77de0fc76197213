"""User-facing errors: one line saying what is wrong and how to fix it."""


class DrnetError(Exception):
    """An error caused by the user's input or environment, not by a bug.

    Stage commands catch it and print ``error: <message>`` on one line, then exit with status 2.
    The message must name the offending thing (file, key, value) and say how to fix it.
    """
