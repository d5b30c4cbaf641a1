"""Run by the system Python (libical's GObject bindings are Debian packages, not PyPI ones):
reads an iCalendar text on stdin, applies libical's iTIP restriction check (RFC 5546's
table of required properties for the calendar's METHOD) and prints the errors it reports,
as JSON. Without METHOD the check has nothing to apply, as RFC 5546 intends."""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402


def errors(component) -> list[str]:
    found = []
    line = component.get_first_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    while line:
        found.append(line.get_xlicerror())
        line = component.get_next_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    child = component.get_first_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    while child:
        found += errors(child)
        child = component.get_next_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    return found


calendar = ICalGLib.Component.new_from_string(sys.stdin.read())
ICalGLib.restriction_check(calendar)
json.dump(errors(calendar), sys.stdout)
