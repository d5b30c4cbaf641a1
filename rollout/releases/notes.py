"""Customer-facing notes: Markdown rendered, then sanitized so no script survives."""

from __future__ import annotations

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
