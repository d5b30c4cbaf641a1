"""Customer-facing notes: Markdown rendered, then sanitized so no script survives."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown
import nh3

_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote", "h3", "h4"}


def render_note(text: str) -> str:
    """Safe HTML for a Markdown note: links keep only their href, everything else is text."""
    html = markdown.markdown(text or "", extensions=["fenced_code"], output_format="html")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def plain_note(text: str) -> str:
    """The note as plain text for a mail's text part: render_note's HTML without tags, a
    link written `text (address)` (only http, https and mailto links survive sanitizing)."""
    reader = _PlainText()
    reader.feed(render_note(text))
    reader.close()
    return reader.text()


class _PlainText(HTMLParser):
    """Text of sanitized note HTML: blocks become paragraphs, list items `- ` lines."""

    _BLOCKS = {"p", "ul", "ol", "pre", "blockquote", "h3", "h4"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._links: list[tuple[str | None, int]] = []  # href, where its text starts
        self._pre = 0  # inside <pre>, where line breaks are the text's own

    def handle_starttag(self, tag, attrs) -> None:
        self._pre += tag == "pre"
        if tag in self._BLOCKS:
            self._parts.append("\n\n")
        elif tag == "li":
            self._parts.append("\n- ")
        elif tag == "br":
            self._parts.append("\n")
        elif tag == "a":
            self._links.append((dict(attrs).get("href"), len(self._parts)))

    def handle_endtag(self, tag) -> None:
        self._pre -= tag == "pre"
        if tag in self._BLOCKS:
            self._parts.append("\n\n")
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            address = (href or "").removeprefix("mailto:")
            if address and address != "".join(self._parts[start:]).strip():
                self._parts.append(f" ({address})")

    def handle_data(self, data) -> None:
        # Markdown puts a line break between block tags; only <pre> keeps its own.
        if data.strip() or "\n" not in data or self._pre:
            self._parts.append(data)

    def text(self) -> str:
        paragraphs = (p.strip() for p in re.split(r"\n\s*\n", "".join(self._parts)))
        return "\n\n".join(p for p in paragraphs if p)
