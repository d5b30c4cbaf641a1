// A "Copy" button beside a read-only field (a support reply, a private address), shown only
// when script runs: without it the field is still there to select by hand. The button names
// its field in `data-copy`; `data-copied` is what it says once copied, in the page's language.
(function () {
  "use strict";

  function copy(button) {
    const field = document.getElementById(button.dataset.copy);
    if (!field) {
      return;
    }
    const label = button.textContent;
    const done = function () {
      button.textContent = button.dataset.copied || "Copied";
      button.classList.add("copied");
      setTimeout(function () {
        button.textContent = label;
        button.classList.remove("copied");
      }, 2000);
    };
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        if (document.execCommand("copy")) {
          done();
        }
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { copy(button); });
  });
})();
