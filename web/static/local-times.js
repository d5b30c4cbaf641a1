// Rewrites each <time data-end> (a UTC span) into the reader's own zone, naming that zone.
// The text mirrors the server's "Sat 12 Dec 2026, 09:00–11:00" (or, on a French page,
// "sam. 12 déc. 2026, 09:00–11:00") so both read alike.
(function () {
  "use strict";
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) {
    return;
  }
  // The page's language for the weekday and month names only (CLDR's abbreviations, as the
  // server's tables): the parts are assembled here, not by locale.
  const language = document.documentElement.lang === "fr" ? "fr" : "en-US";
  const format = new Intl.DateTimeFormat(language, {
    timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  function parts(iso) {
    const found = {};
    for (const part of format.formatToParts(new Date(iso))) {
      found[part.type] = part.value;
    }
    return found;
  }

  function day(p) {
    return p.weekday + " " + p.day + " " + p.month + " " + p.year;
  }

  function span(startIso, endIso) {
    const start = parts(startIso);
    const end = parts(endIso);
    const from = day(start) + ", " + start.hour + ":" + start.minute;
    if (day(start) === day(end)) {
      return from + "–" + end.hour + ":" + end.minute;
    }
    return from + " – " + day(end) + ", " + end.hour + ":" + end.minute;
  }

  // A single moment (the audit's): the day and the time, in the reader's zone.
  document.querySelectorAll("time[data-instant]").forEach(function (element) {
    const at = parts(element.dateTime);
    element.textContent = day(at) + ", " + at.hour + ":" + at.minute + " " + zone;
  });

  document.querySelectorAll("time[data-end]").forEach(function (element) {
    element.textContent = span(element.dateTime, element.dataset.end) + " " + zone;
    const label = element.parentElement.querySelector(".label[data-yours]");
    if (label) {
      label.textContent = label.dataset.yours;
    }
  });
})();
