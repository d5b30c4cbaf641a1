// Reads an iCalendar text on stdin with each calendar library named on the command line and
// prints, as JSON by library, every VEVENT with its start and end in UTC as that library computes them.
// These are libraries customers' own tools are built on (dashboards, bots, web calendars),
// each with its own idea of VTIMEZONE: the feeds must be written so that all read them right.
//
//   node-ical      node-ical 0.26 (MagicMirror and many Node dashboards)
//   ical-expander  ical-expander 3.2, which bundles ical.js 1.5 (its zones end in 2035)
//   ts-ics         ts-ics 2.4 (TypeScript web apps)

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import IcalExpander from "ical-expander";
import nodeIcal from "node-ical";
import { convertIcsCalendar } from "ts-ics";

const require = createRequire(import.meta.url);

function iso(date) {
  return date.toISOString().replace(".000Z", "Z");
}

// node-ical gives a property with parameters as {params, val}.
function plain(value) {
  return value !== null && typeof value === "object" && "val" in value ? value.val : value;
}

const READERS = {
  "node-ical": (text) =>
    Object.values(nodeIcal.sync.parseICS(text))
      .filter((item) => item.type === "VEVENT")
      .map((event) => ({
        uid: event.uid,
        sequence: Number(event.sequence ?? 0),
        status: event.status ?? null,
        summary: plain(event.summary),
        start: iso(event.start),
        end: iso(event.end),
      })),

  "ical-expander": (text) =>
    new IcalExpander({ ics: text, maxIterations: 0 }).all().events.map((event) => ({
      uid: event.uid,
      sequence: event.sequence,
      status: event.component.getFirstPropertyValue("status"),
      summary: event.summary,
      start: iso(event.startDate.toJSDate()),
      end: iso(event.endDate.toJSDate()),
    })),

  "ts-ics": (text) =>
    (convertIcsCalendar(undefined, text).events ?? []).map((event) => ({
      uid: event.uid,
      sequence: event.sequence ?? 0,
      status: event.status ?? null,
      summary: event.summary,
      start: iso(event.start.date),
      end: iso(event.end.date),
    })),
};

const VERSIONS = {
  "node-ical": "node-ical/package.json",
  "ical-expander": "ical-expander/package.json",
  "ts-ics": "ts-ics/package.json",
};

const clients = process.argv.slice(2);
if (!clients.length || clients.some((client) => !(client in READERS))) {
  process.stderr.write(`usage: node clients.mjs ${Object.keys(READERS).join(" ")}... < feed.ics\n`);
  process.exit(2);
}
const text = readFileSync(0, "utf8");
const output = Object.fromEntries(
  clients.map((client) => [
    client,
    {
      parser: `${client} ${require(`./node_modules/${VERSIONS[client]}`).version}`,
      events: READERS[client](text),
    },
  ]),
);
process.stdout.write(JSON.stringify(output, null, 1) + "\n");
