// A survey's steps in one round trip each. Every form marked data-step is sent as it
// would be without JavaScript, with one header more (X-Materia-Navigate: in-place); the
// server answers with the page its redirect would have led to, and its URL, which goes
// into the address bar, so that reloading or going back is a plain GET of that page
// (surveys/navigation.py). Without this script, or where anything here fails, the form
// is sent the ordinary way: the same pages, one redirect more.
(function () {
  "use strict";
  if (!window.fetch || !window.URLSearchParams || !window.DOMParser ||
      !window.history || !window.history.pushState) return;
  var sending = false;
  // The address of the page shown, without its fragment: following a link within the
  // page (the error summary's, "skip to content") fires popstate too, and must not
  // reload it (which would drop the errors and what was chosen since).
  function withoutFragment(url) { return url.split("#")[0]; }
  var shown = withoutFragment(window.location.href);

  function sendNatively(form, submitter) {
    // form.submit() sends no button and fires no submit event: add the button's value,
    // for this sending only (a page shown again from the browser's cache keeps no stale
    // button, which would turn every later Next into, say, a language switch).
    var input = null;
    if (submitter && submitter.name) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = submitter.name;
      input.value = submitter.value;
      form.appendChild(input);
    }
    HTMLFormElement.prototype.submit.call(form);
    if (input) form.removeChild(input);
  }

  function show(html, url) {
    var next = new DOMParser().parseFromString(html, "text/html");
    if (!next.body || !next.getElementById("main")) return false;
    document.title = next.title;
    document.documentElement.lang = next.documentElement.lang;
    document.documentElement.replaceChild(document.importNode(next.body, true), document.body);
    // Scripts put in by a parser do not run; the page's own (copy-link.js on "later") must.
    Array.prototype.forEach.call(document.body.querySelectorAll("script[src]"), function (old) {
      var script = document.createElement("script");
      script.src = old.src;
      old.parentNode.replaceChild(script, old);
    });
    if (url && url !== window.location.href) window.history.pushState({ step: true }, "", url);
    shown = withoutFragment(window.location.href);
    window.scrollTo(0, 0);
    // As after a page load: an error summary takes the focus (its autofocus), otherwise
    // the main content, so that a screen reader starts on the new step. The page stays at
    // its top: focusing a main taller than the screen would scroll the header away.
    var summary = document.querySelector("[autofocus]");
    if (summary) summary.focus();
    else document.getElementById("main").focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-step") || !("submitter" in event)) return;
    event.preventDefault();
    if (sending) return; // a double tap sends the step once
    sending = true;
    var submitter = event.submitter;
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { body.append(name, value); });
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    // Not form.action: a form's controls named "action" (the step's buttons) hide it.
    var action = form.getAttribute("action");
    form.setAttribute("aria-busy", "true");
    fetch(action ? new URL(action, document.baseURI).href : window.location.href, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Materia-Navigate": "in-place" }
    }).then(function (response) {
      var location = response.headers.get("X-Materia-Location");
      var url = location ? new URL(location, window.location.href).href
        : (response.redirected ? response.url : "");
      var type = response.headers.get("Content-Type") || "";
      return (type.indexOf("text/html") === 0 ? response.text() : Promise.resolve(""))
        .catch(function () { return ""; }) // the connection dropped while reading
        .then(function (html) {
          sending = false;
          form.removeAttribute("aria-busy");
          var done = false;
          try { done = html !== "" && show(html, url); } catch (error) { done = false; }
          // The server has acted on the step: a page this script cannot show is loaded
          // with a GET, never sent again.
          if (!done) window.location.assign(url || window.location.href);
        });
    }, function () {
      // No answer at all (offline for a moment): the ordinary way sends the step again
      // and says what happened, as it would without JavaScript.
      sending = false;
      form.removeAttribute("aria-busy");
      sendNatively(form, submitter);
    });
  });

  // A page the browser keeps and shows again on Back (its back-forward cache) may have
  // been left while a step was being sent the ordinary way: it can send again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) sending = false;
  });

  // A step shown in place has its own history entry; going back loads that page.
  window.addEventListener("popstate", function () {
    if (withoutFragment(window.location.href) !== shown) window.location.reload();
  });
})();
