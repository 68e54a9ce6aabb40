/* tillit consent banner. Include once per page:
 *   <script src="/consent.js" defer></script>
 * and give visitors a way back to their choices:
 *   <a href="#cookie-settings" data-tillit-settings>Cookie settings</a>
 * The choice is kept by the server as consent events; the cookie holds
 * only a random consent id. Global Privacy Control counts as "no" to
 * everything until the visitor chooses otherwise. No dependencies. */
(function () {
  "use strict";
  var me = document.currentScript;
  var base = me ? new URL(me.src, location.href).origin : "";
  var lang = (document.documentElement.lang || "sv").slice(0, 2).toLowerCase() === "en" ? "en" : "sv";
  var gpc = navigator.globalPrivacyControl === true;
  var state = null, root = null, back = null, sent = false;

  function call(method, path, body) {
    var init = { method: method, credentials: "same-origin" };
    if (body) {
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(body);
      init.keepalive = true;
    }
    return fetch(base + path, init);
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }

  var css =
    "#tillit-banner{position:fixed;left:0;right:0;bottom:0;z-index:2147483647;background:#fff;color:#111;" +
    "border-top:3px solid #111;padding:1rem 1.25rem;font:16px/1.45 system-ui,sans-serif;max-height:80vh;overflow:auto;" +
    "box-shadow:0 -4px 16px rgba(0,0,0,.2)}" +
    "#tillit-banner h2{font-size:1.15rem;margin:0 0 .4rem}#tillit-banner p{margin:.3rem 0}" +
    "#tillit-banner fieldset{border:0;padding:0;margin:.5rem 0}#tillit-banner label{display:block;margin:.3rem 0}" +
    "#tillit-banner label small{display:block;margin-left:1.6rem;color:#333}" +
    "#tillit-banner .tillit-actions{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:.75rem}" +
    "#tillit-banner button{font:inherit;font-weight:600;min-width:10rem;padding:.6rem 1rem;border:2px solid #111;" +
    "border-radius:4px;background:#111;color:#fff;cursor:pointer}" +
    "#tillit-banner button.tillit-save{background:#fff;color:#111}" +
    "#tillit-banner :focus-visible{outline:3px solid #0a58ca;outline-offset:2px}" +
    "#tillit-banner a{color:#0a3d91}#tillit-banner .tillit-gpc{font-weight:600}";

  function close() {
    if (root) root.remove();
    root = null;
    if (back && back.focus) back.focus();
    back = null;
  }

  function open() {
    if (!state) return;
    if (root) root.remove();
    var b = state.banner;
    if (!document.getElementById("tillit-style")) {
      var s = el("style", { id: "tillit-style" });
      s.textContent = css;
      document.head.appendChild(s);
    }
    root = el("section", {
      id: "tillit-banner", role: "dialog", "aria-modal": "false", tabindex: "-1",
      "aria-labelledby": "tillit-title", "aria-describedby": "tillit-text", lang: b.lang
    });
    root.appendChild(el("h2", { id: "tillit-title" }, b.title));
    root.appendChild(el("p", { id: "tillit-text" }, b.text));
    if (gpc || state.gpc) root.appendChild(el("p", { "class": "tillit-gpc" }, b.gpc));
    var set = el("fieldset");
    set.appendChild(el("legend", { "class": "tillit-legend" }, b.choose));
    b.purposes.forEach(function (p) {
      var label = el("label");
      var box = el("input", { type: "checkbox", name: p.id, "data-purpose": p.id });
      box.checked = state.choices[p.id] === true;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + p.name));
      if (p.description) label.appendChild(el("small", {}, p.description));
      set.appendChild(label);
    });
    root.appendChild(set);
    var details = el("details");
    details.appendChild(el("summary", {}, b.cookies_label));
    var list = el("ul");
    b.cookies.forEach(function (c) {
      list.appendChild(el("li", {}, c.name + " (" + c.provider + (c.necessary ? ", " + b.necessary : "") + ")" +
        (c.description ? ": " + c.description : "")));
    });
    details.appendChild(list);
    root.appendChild(details);
    var privacy = el("p");
    privacy.appendChild(el("a", { href: base + b.privacy_url }, b.privacy));
    root.appendChild(privacy);
    var actions = el("div", { "class": "tillit-actions" });
    // Accept and reject are the same size, colour and weight.
    var reject = el("button", { type: "button", "class": "tillit-reject" }, b.reject);
    var accept = el("button", { type: "button", "class": "tillit-accept" }, b.accept);
    var save = el("button", { type: "button", "class": "tillit-save" }, b.save);
    reject.addEventListener("click", function () { choose(all(false)); });
    accept.addEventListener("click", function () { choose(all(true)); });
    save.addEventListener("click", function () {
      var c = {};
      root.querySelectorAll("input[data-purpose]").forEach(function (i) { c[i.name] = i.checked; });
      choose(c);
    });
    actions.appendChild(reject);
    actions.appendChild(accept);
    actions.appendChild(save);
    root.appendChild(actions);
    root.addEventListener("keydown", function (e) {
      // Once chosen, Escape closes the settings unchanged.
      if (e.key === "Escape" && state.decided) close();
    });
    document.body.appendChild(root);
    root.focus();
  }

  function all(given) {
    var c = {};
    state.banner.purposes.forEach(function (p) { c[p.id] = given; });
    return c;
  }

  function choose(choices) {
    return call("POST", "/consent", { choices: choices, notice_version: state.notice_version, gpc: gpc })
      .then(function (r) {
        if (!r.ok) throw new Error("consent not recorded: " + r.status);
        for (var k in choices) state.choices[k] = choices[k];
        state.decided = true;
        close();
        collect();
        document.dispatchEvent(new CustomEvent("tillit:consent", { detail: state.choices }));
      });
  }

  function collect() {
    if (sent || !state || !state.collect || state.choices[state.collect] !== true) return;
    sent = true;
    var w = window.innerWidth;
    call("POST", "/collect", {
      path: location.pathname,
      referrer: document.referrer || null,
      screen: w < 768 ? "small" : w < 1280 ? "medium" : "large",
      lang: lang,
      gpc: gpc
    }).then(function () {
      document.dispatchEvent(new CustomEvent("tillit:collected"));
    });
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest && e.target.closest("[data-tillit-settings],a[href='#cookie-settings']");
    if (!t) return;
    e.preventDefault();
    back = t;
    open();
  });

  window.tillit = {
    open: open,
    state: function () { return state; },
    ready: call("GET", "/consent?lang=" + lang)
      .then(function (r) { return r.json(); })
      .then(function (s) {
        state = s;
        // Global Privacy Control answers the banner: no to everything,
        // until the visitor opens the settings and chooses otherwise.
        if (!s.decided && !(gpc || s.gpc)) open();
        else collect();
        return s;
      })
  };
})();
