"""Public release notes: every release, one release's notes and dates, the upcoming release
filling up live, and an Atom feed. Only public notes; security fixes wait for the embargo."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_babel import force_locale, gettext

from rollout.customers import EnvironmentKind, Region
from rollout.errors import NotFound
from rollout.i18n import N_
from rollout.releases import (
    ItemKind,
    Release,
    ReleaseItem,
    ReleaseStatus,
    get_release,
    list_releases,
    public_items,
)
from rollout.validation import strip_controls
from rollout.windows import Window
from web.database import db, now, public_url
from web.pages.display import day_text, utc_iso

blueprint = Blueprint("releases", __name__)

PUBLIC = {
    ReleaseStatus.SCHEDULED,
    ReleaseStatus.ROLLING_OUT,
    ReleaseStatus.COMPLETED,
    ReleaseStatus.CANCELLED,
}
FILLING = {ReleaseStatus.DRAFT, ReleaseStatus.SCHEDULED}
# The English; pages translate them where they are shown (`gettext`, `_()`).
KINDS = {
    ItemKind.FEATURE: N_("New features"),
    ItemKind.IMPROVEMENT: N_("Improvements"),
    ItemKind.FIX: N_("Fixes"),
    ItemKind.SECURITY: N_("Security fixes"),
}
STATUSES = {
    ReleaseStatus.DRAFT: N_("Being prepared"),
    ReleaseStatus.SCHEDULED: N_("Scheduled"),
    ReleaseStatus.ROLLING_OUT: N_("Rolling out"),
    ReleaseStatus.COMPLETED: N_("Completed"),
    ReleaseStatus.CANCELLED: N_("Cancelled"),
}
ATOM = "http://www.w3.org/2005/Atom"
# How often the upcoming page asks for new items; small, since it is one cheap query.
POLL_MILLISECONDS = 4000


@dataclass(frozen=True)
class NoteGroup:
    """The public notes of one kind."""

    kind: str
    label: str
    items: list[ReleaseItem]


@dataclass(frozen=True)
class RegionRollout:
    """When a region's preview and production environments get a release: first windows."""

    region: Region
    preview: Window | None
    production: Window | None


def note_groups(release: Release) -> list[NoteGroup]:
    """Public items grouped by kind, features first, empty kinds left out."""
    items = public_items(release)
    groups = [
        NoteGroup(kind, label, [i for i in items if i.kind == kind])
        for kind, label in KINDS.items()
    ]
    return [g for g in groups if g.items]


def region_rollouts(release: Release) -> list[RegionRollout]:
    """Each region's first preview and production window for `release`, by region name."""
    first: dict[tuple[int, str], Window] = {}
    regions: dict[int, Region] = {}
    for wave in release.waves:
        window, key = wave.window, (wave.window.region_id, str(wave.environment_kind))
        regions[window.region_id] = window.region
        if key not in first or window.starts_at < first[key].starts_at:
            first[key] = window
    return [
        RegionRollout(
            region,
            first.get((region.id, EnvironmentKind.PREVIEW)),
            first.get((region.id, EnvironmentKind.PRODUCTION)),
        )
        for region in sorted(regions.values(), key=lambda r: r.name)
    ]


def rollout_days(release: Release) -> tuple[str, str] | None:
    """The first and last day a release reaches anyone, each in its region's own calendar."""
    days = sorted(
        w.window.starts_at.astimezone(ZoneInfo(w.window.timezone)).date() for w in release.waves
    )
    return (day_text(days[0]), day_text(days[-1])) if days else None


@blueprint.get("/releases")
def index():
    """Every release but drafts, newest first, with its status and rollout dates."""
    return render_template(
        "releases/index.html",
        releases=list_releases(db(), statuses=PUBLIC),
        upcoming=_upcoming(),
        rollout_days=rollout_days,
    )


@blueprint.get("/releases/<version>")
def release(version: str):
    """One release's public notes by kind and the dates each region gets it."""
    found = _public_release(version)
    return render_template(
        "releases/release.html",
        release=found,
        groups=note_groups(found),
        rollouts=region_rollouts(found),
    )


@blueprint.get("/releases/upcoming")
def upcoming():
    """The next release as it is being filled; the page fetches new items itself."""
    found = _upcoming()
    return render_template(
        "releases/upcoming.html",
        release=found,
        groups=note_groups(found) if found else [],
        rollouts=region_rollouts(found) if found else [],
        poll=POLL_MILLISECONDS,
    )


@blueprint.get("/releases/upcoming.json")
def upcoming_json():
    """What the upcoming page shows, public fields only; an ETag makes an unchanged poll 304."""
    response = jsonify(upcoming_body(_upcoming()))
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@blueprint.get("/releases.atom")
def atom():
    """An Atom 1.0 feed of every release but drafts, with its public notes, in English."""
    # One feed for every reader, as the calendar feeds: not in this browser's language.
    with force_locale("en"):
        body = atom_feed(list_releases(db(), statuses=PUBLIC), public_url())
    return Response(body, mimetype="application/atom+xml")


def upcoming_body(found: Release | None) -> dict:
    """The upcoming release's version, title, status and public notes by kind, as JSON, its
    labels in the page's language."""
    if found is None:
        return {"release": None, "groups": []}
    return {
        "release": {
            "version": found.version,
            "title": found.title,
            "status": str(found.status),
            "status_label": gettext(STATUSES[found.status]),
        },
        "groups": [
            {
                "kind": g.kind,
                "label": gettext(g.label),
                "items": [{"id": i.id, "html": i.public_html} for i in g.items],
            }
            for g in note_groups(found)
        ],
    }


def atom_feed(found: list[Release], base: str) -> bytes:
    """Atom 1.0: one entry per release, its content the page's public notes and dates."""
    feed = ET.Element("feed", xmlns=ATOM)
    _text(feed, "id", f"{base}/releases")
    _text(feed, "title", "Rollout release notes")
    _text(feed, "updated", utc_iso(max((r.updated_at for r in found), default=now())))
    ET.SubElement(feed, "link", rel="self", href=f"{base}/releases.atom")
    ET.SubElement(feed, "link", rel="alternate", type="text/html", href=f"{base}/releases")
    # Atom wants an author on the feed unless every entry names one.
    _text(ET.SubElement(feed, "author"), "name", "Rollout")
    for each in found:
        link = base + url_for(".release", version=each.version)
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", link)
        _text(entry, "title", f"{each.version}: {each.title} ({STATUSES[each.status]})")
        _text(entry, "updated", utc_iso(each.updated_at))
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=link)
        content = render_template(
            "releases/_entry.html",
            release=each,
            groups=note_groups(each),
            rollouts=region_rollouts(each),
        )
        # ElementTree escapes the markup: type="html" means escaped HTML, as Atom readers expect.
        _text(entry, "content", content).set("type", "html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _public_release(version: str) -> Release:
    found = get_release(db(), version)
    if found.status not in PUBLIC:
        # A draft answers as an unknown version would, so its existence stays private.
        raise NotFound(f"no release {version!r}", field="version")
    return found


def _upcoming() -> Release | None:
    found = list_releases(db(), statuses=FILLING)
    return found[0] if found else None


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    # ElementTree writes a control character as is, which no XML parser accepts.
    element.text = strip_controls(text)
    return element
