// A customer contact's home: the countdown to the next downtime, kept going from the time the
// server wrote into the page. Words come from the page, in its language: this script changes
// only numbers. (Its copy buttons are copy.js's.)
(function () {
  "use strict";

  const countdown = document.querySelector(".countdown[data-until]");
  if (!countdown) {
    return;
  }
  const until = Date.parse(countdown.dataset.until);
  const parts = {};
  countdown.querySelectorAll("[data-part]").forEach(function (part) {
    parts[part.dataset.part] = part;
  });

  function tick() {
    const left = Math.floor((until - Date.now()) / 1000);
    if (left <= 0) {
      countdown.hidden = true;
      const done = document.querySelector(".countdown-done");
      if (done) {
        done.hidden = false;
      }
      return;
    }
    const values = {
      days: Math.floor(left / 86400),
      hours: Math.floor((left % 86400) / 3600),
      minutes: Math.floor((left % 3600) / 60),
    };
    Object.keys(parts).forEach(function (name) {
      parts[name].textContent = String(values[name]);
    });
    setTimeout(tick, 1000 * ((left % 60) || 60));
  }
  tick();
})();
