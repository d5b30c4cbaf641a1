"""Where a form may send the browser next: only a path on this site, never an open redirect."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit


def is_local_path(target: str) -> bool:
    """Whether `target` is a path on this site that no browser would read as another site."""
    # Browsers drop tabs and newlines inside URLs and read a backslash as "/", so "/<tab>/evil"
    # and "/<backslash>evil" lead off the site as "//evil" does; a newline breaks the header.
    if "\\" in target or any(
        char.isspace() or unicodedata.category(char).startswith("C") for char in target
    ):
        return False
    parts = urlsplit(target)
    return (
        not parts.scheme
        and not parts.netloc
        and target.startswith("/")
        and not target.startswith("//")
    )
