// The subscribe page: rewrites each feed's links for the chosen reminder, adds copy buttons,
// and builds the private feed's links from a pasted address, in the browser only: the address
// holds a secret token, so it is never sent to Rollout, not even as a query parameter.
(function () {
  "use strict";
  const alarm = document.getElementById("alarm");
  const pasted = document.getElementById("private-address");
  const privateCard = document.getElementById("feed-private");
  const privateError = document.getElementById("private-error");
  const base = document.getElementById("private").dataset.base;
  const tokenPath = /^\/calendars\/customers\/[A-Za-z0-9_-]+\.ics$/;

  // Percent-encodes all but unreserved characters, like Python's quote(safe=""), so the
  // links match the ones the server wrote.
  function encode(text) {
    return encodeURIComponent(text).replace(/[!'()*]/g, function (c) {
      return "%" + c.charCodeAt(0).toString(16).toUpperCase();
    });
  }

  function fill(card, url) {
    const address = alarm.value ? url + "?alarm=" + alarm.value : url;
    const webcal = "webcal://" + address.split("://")[1];
    const links = {
      address: address,
      webcal: webcal,
      google: "https://calendar.google.com/calendar/render?cid=" + encode(webcal),
      outlook: "https://outlook.live.com/calendar/0/addfromweb?url=" + encode(address) +
        "&name=" + encode(card.dataset.name),
    };
    card.querySelectorAll("[data-link]").forEach(function (element) {
      if (element.tagName === "INPUT") {
        element.value = links[element.dataset.link];
        // The end names the feed; the start is the same on every card.
        element.scrollLeft = element.scrollWidth;
      } else {
        element.href = links[element.dataset.link];
      }
    });
  }

  // The address as the feed serves it (http(s), no query), or null if it is not a private feed.
  function privateFeed(text) {
    text = text.trim();
    if (text.startsWith("webcal://")) {
      text = base.split("://")[0] + "://" + text.slice("webcal://".length);
    }
    let url;
    try {
      url = new URL(text);
    } catch (_) {
      return null;
    }
    if (!/^https?:$/.test(url.protocol) || !tokenPath.test(url.pathname)) {
      return null;
    }
    return url.origin + url.pathname;
  }

  function showPrivate() {
    const url = privateFeed(pasted.value);
    privateCard.hidden = url === null;
    privateError.hidden = url !== null || pasted.value.trim() === "";
    // The page's words, in its language.
    privateError.textContent = privateError.dataset.message;
    if (url !== null) {
      fill(privateCard, url);
    }
  }

  function refresh() {
    document.querySelectorAll(".feed[data-url]").forEach(function (card) {
      fill(card, card.dataset.url);
    });
    showPrivate();
  }

  function copy(button, label) {
    const field = button.parentElement.querySelector("input");
    field.select();
    const done = function () {
      button.textContent = button.dataset.copied;
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {});
    } else if (document.execCommand("copy")) {
      done();
    }
  }

  document.querySelectorAll("button.copy").forEach(function (button) {
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () { copy(button, label); });
  });
  document.querySelectorAll("input.feed-address").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
  document.querySelectorAll("[data-without-script]").forEach(function (element) {
    element.hidden = true;
  });
  alarm.addEventListener("change", refresh);
  pasted.addEventListener("input", showPrivate);
  // A browser may restore the select or the pasted address when going back to the page.
  refresh();
})();
