/*! Leadline tracker, compatible with Fathom's script.js attributes and window.fathom API. Posts hits to this
 * script's origin + /api/event. No cookies; stores only localStorage blockFathomTracking. Leadline's own attribute
 * data-allow-localhost="true" also tracks localhost, 127.0.0.1, [::1], *.localhost and file: pages. */
(() => {
  const w = window, d = document, n = navigator, l = location, FLAG = "blockFathomTracking", prev = w.fathom;
  // A live tracker (this script included twice?) but not a queueing stub: count once.
  if (prev && !prev.q && typeof prev.trackPageview == "function") return;
  const safe =
    (f) =>
    (...a) => {
      try {
        return f(...a);
      } catch (e) {}
    };
  const el = d.currentScript || d.querySelector("#fathom-script,script[data-site]");
  const attr = (k) => el && el.getAttribute("data-" + k);
  const has = (k, h) => (attr(k) || "").toLowerCase().split(",").some((s) => s.trim() == h);
  let site = attr("site"), spa = attr("spa"), endpoint, first = true;
  const blocked = safe(() => localStorage.getItem(FLAG) == "true");

  const pageUrl = (given) => {
    const c = !given && attr("canonical") != "false" && d.querySelector('link[rel="canonical"][href]');
    let u = new URL(given || l.href, l.href);
    if (c) {
      u = new URL(c.href);
      // Canonical URLs lack the visit's UTM tags.
      if (!u.search) u.search = l.search;
      if (!u.hash) u.hash = l.hash;
    }
    if (spa != "hash") u.hash = "";
    return u.href;
  };

  const send = (hit) => {
    const h = l.hostname;
    if (
      !site || !endpoint || blocked() ||
      (attr("honor-dnt") == "true" && (n.doNotTrack == "1" || w.doNotTrack == "1")) ||
      (attr("allow-localhost") != "true" &&
        (l.protocol == "file:" || /^(127\.0\.0\.1|\[::1\]|::1)$|(^|\.)localhost$/.test(h))) ||
      (attr("included-domains") && !has("included-domains", h)) ||
      has("excluded-domains", h)
    )
      return;
    hit.site = hit.site || site;
    const body = JSON.stringify(hit);
    try {
      if (n.sendBeacon(endpoint, body)) return;
    } catch (e) {}
    fetch(endpoint, {
      method: "POST", body, keepalive: true, mode: "cors", credentials: "omit",
      headers: { "Content-Type": "text/plain" },
    }).catch(() => {});
  };

  const api = {
    trackPageview(o) {
      o = o || {};
      // Only the landing view has an outside referrer.
      send({ url: pageUrl(o.url), referrer: o.referrer != null ? o.referrer : first ? d.referrer : "" });
      first = false;
    },
    trackEvent(name, o) {
      o = o || {};
      const v = Math.round(+o._value);
      // A blank name would be taken for a pageview; the server refuses negative cents.
      if (name != null && (name = String(name).trim()))
        send({ site: o._site_id, url: pageUrl(), name, value: v > 0 && isFinite(v) ? v : undefined });
    },
    trackGoal: (code, cents) => api.trackEvent(code, { _value: cents }),
    blockTrackingForMe: () => localStorage.setItem(FLAG, "true"),
    enableTrackingForMe: () => localStorage.removeItem(FLAG),
    isTrackingEnabled: () => !blocked(),
    setSite: (id) => (site = id),
  };

  // Callable, like the queueing stub.
  const fathom = safe((m, ...a) => api[m] && api[m](...a));
  for (const k in api) fathom[k] = safe(api[k]);
  // Set now: fathom-client calls it from our onload.
  w.fathom = fathom;

  safe(() => {
    if (el && el.src) endpoint = new URL("/api/event", el.src).href;
    if (spa == "auto") spa = history.pushState ? "history" : "hash";
    const path = () => l.pathname + (spa == "hash" ? l.hash : "");
    let last = path();
    const nav = safe(() => last != (last = path()) && fathom.trackPageview({ referrer: "" }));
    if (spa == "history") {
      for (const m of ["pushState", "replaceState"]) {
        const orig = history[m];
        history[m] = function () {
          try {
            return orig.apply(this, arguments);
          } finally {
            nav();
          }
        };
      }
      w.addEventListener("popstate", nav);
    }
    if (spa == "hash") w.addEventListener("hashchange", nav);

    for (const a of (prev && prev.q) || []) fathom(...a);

    if (attr("auto") != "false") {
      const go = () => fathom.trackPageview();
      // A prerendered page may never be seen.
      if (d.prerendering) d.addEventListener("prerenderingchange", go, { once: true });
      else go();
    }
  })();
})();
