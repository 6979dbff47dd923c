/*! Leadline tracker, Fathom-compatible (script.js attributes and window.fathom API). Posts hits to this script's
 * origin + /api/event. No cookies: stores only localStorage blockFathomTracking. Leadline's own attribute:
 * data-allow-localhost="true" also tracks localhost, 127.0.0.1, [::1], *.localhost and file: pages. */
(() => {
  const w = window, d = document, n = navigator, FLAG = "blockFathomTracking", prev = w.fathom;
  // Already live (e.g. included twice): a second copy would double-count.
  if (prev && typeof prev.trackPageview == "function") return;
  const safe =
    (f) =>
    (...a) => {
      try {
        return f(...a);
      } catch (e) {}
    };
  const el = d.currentScript || d.getElementById("fathom-script") || d.querySelector("script[data-site]");
  const attr = (k) => el && el.getAttribute("data-" + k);
  const has = (k, h) => (attr(k) || "").toLowerCase().split(",").some((s) => s.trim() == h);
  let site = attr("site"), spa = attr("spa"), endpoint, first = true;
  const blocked = () => {
    try {
      return localStorage.getItem(FLAG) == "true";
    } catch (e) {}
  };

  const pageUrl = (given) => {
    const loc = location, c = !given && attr("canonical") != "false" && d.querySelector('link[rel="canonical"][href]');
    let u = new URL(given || loc.href, loc.href);
    if (c) {
      u = new URL(c.href);
      // Canonical URLs lack the visit's UTM tags.
      if (!u.search) u.search = loc.search;
      if (!u.hash) u.hash = loc.hash;
    }
    if (spa != "hash") u.hash = "";
    return u.href;
  };

  const send = (hit) => {
    const h = location.hostname;
    if (
      !site || !endpoint || blocked() ||
      (attr("honor-dnt") == "true" && (n.doNotTrack == "1" || w.doNotTrack == "1")) ||
      (attr("allow-localhost") != "true" &&
        (location.protocol == "file:" || /^(localhost|127\.0\.0\.1|\[::1\]|::1)$|\.localhost$/.test(h))) ||
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

  // undefined, so left out of the JSON, for 0 or no value.
  const cents = (v) => ((v = Math.round(+v)) && isFinite(v) ? v : undefined);

  const api = {
    trackPageview(o) {
      o = o || {};
      // Only the landing view was referred; later (SPA) views come from this site.
      send({ url: pageUrl(o.url), referrer: o.referrer != null ? o.referrer : first ? d.referrer : "" });
      first = false;
    },
    trackEvent(name, o) {
      o = o || {};
      send({ site: o._site_id, url: pageUrl(), name: String(name), value: cents(o._value) });
    },
    trackGoal(code, c) {
      send({ url: pageUrl(), name: String(code), value: cents(c) });
    },
    blockTrackingForMe() {
      localStorage.setItem(FLAG, "true");
    },
    enableTrackingForMe() {
      localStorage.removeItem(FLAG);
    },
    isTrackingEnabled() {
      return !blocked();
    },
    setSite(id) {
      site = id;
    },
  };

  // Callable like the queueing stub, so fathom("trackEvent", ...) still works after load.
  const fathom = safe((m, ...a) => api[m] && api[m](...a));
  for (const k in api) fathom[k] = safe(api[k]);
  // Synchronously: fathom-client calls window.fathom.* from this script's onload.
  w.fathom = fathom;

  safe(() => {
    if (el && el.src) endpoint = new URL("/api/event", el.src).href;
    if (spa == "auto") spa = history.pushState ? "history" : "hash";
    const path = () => location.pathname + (spa == "hash" ? location.hash : "");
    let last = path();
    const nav = safe(() => last != (last = path()) && fathom.trackPageview({ referrer: "" }));
    if (spa == "history") {
      for (const m of ["pushState", "replaceState"]) {
        const orig = history[m];
        history[m] = function () {
          const r = orig.apply(this, arguments);
          nav();
          return r;
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
