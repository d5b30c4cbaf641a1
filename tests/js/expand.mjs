// Reads an iCalendar text on stdin, parses it with Mozilla's ical.js (Thunderbird's parser)
// and prints, as JSON, the calendar's properties and every VEVENT with its start and end in
// UTC as ical.js computes them from the feed's own VTIMEZONEs.
//
// A TZID that names no VTIMEZONE in the feed is an error, not a silent fallback to the
// floating (process-local) time ical.js would otherwise use.

import { readFileSync } from "node:fs";

import ICAL from "ical.js";

function utc(time) {
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

function checkZone(event, name, time) {
  const property = event.component.getFirstProperty(name);
  const tzid = property.getParameter("tzid");
  if (tzid && time.zone.tzid !== tzid) {
    throw new Error(`${event.uid}: ${name} TZID ${tzid} resolved to ${time.zone.tzid}`);
  }
  if (!tzid && time.zone !== ICAL.Timezone.utcTimezone) {
    throw new Error(`${event.uid}: ${name} is neither UTC nor TZID'd (floating)`);
  }
  return tzid ?? "UTC";
}

function alarms(component) {
  return component.getAllSubcomponents("valarm").map((alarm) => ({
    action: alarm.getFirstPropertyValue("action"),
    trigger: alarm.getFirstPropertyValue("trigger")?.toString() ?? null,
  }));
}

// The package's "exports" hide its package.json from import; read it beside this script.
const version = JSON.parse(
  readFileSync(new URL("./node_modules/ical.js/package.json", import.meta.url), "utf8"),
).version;

const text = readFileSync(0, "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));

const timezones = calendar.getAllSubcomponents("vtimezone").map((vtimezone) => {
  const zone = new ICAL.Timezone(vtimezone);
  ICAL.TimezoneService.register(zone);
  return zone.tzid;
});

const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const start = event.startDate;
  const end = event.endDate;
  return {
    uid: event.uid,
    sequence: event.sequence,
    status: component.getFirstPropertyValue("status"),
    summary: event.summary,
    start: utc(start),
    end: utc(end),
    start_tzid: checkZone(event, "dtstart", start),
    end_tzid: checkZone(event, "dtend", end),
    local_start: start.toString(),
    local_end: end.toString(),
    alarms: alarms(component),
  };
});

const output = {
  parser: `ical.js ${version}`,
  calname: calendar.getFirstPropertyValue("x-wr-calname"),
  timezone: calendar.getFirstPropertyValue("x-wr-timezone"),
  refresh_interval: calendar.getFirstPropertyValue("refresh-interval")?.toString() ?? null,
  published_ttl: calendar.getFirstPropertyValue("x-published-ttl")?.toString() ?? null,
  timezones,
  events,
};
process.stdout.write(JSON.stringify(output, null, 1) + "\n");
