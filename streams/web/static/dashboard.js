// Wirewatch dashboard: trending actors, one actor's timeline, live alerts and statements.
//
// Safety rule: every string that comes from an article (names, titles, quotes,
// outlets, URLs) reaches the page through textContent / createTextNode or a
// checked href; never innerHTML. The page's CSP also forbids inline scripts.
"use strict";

(function () {
  const MAX_ITEMS = 50;
  const REFRESH_MS = 2000; // at most one trending/timeline refetch per this interval

  const state = {
    selected: null, // actor id
    window: "1h",
    plot: null,
    alerts: new Map(), // alert_id → li
    statements: new Map(), // statement id → li
    timers: {},
    updates: 0,
  };

  // ------------------------------------------------------------------ DOM helpers
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null) continue;
        if (key === "class") node.className = value;
        else if (key === "dataset") Object.assign(node.dataset, value);
        else if (key === "text") node.textContent = String(value);
        else node.setAttribute(key, String(value));
      }
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function safeUrl(url) {
    if (typeof url !== "string") return null;
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(url, label) {
    const href = safeUrl(url);
    if (!href) return document.createTextNode(label);
    return el("a", { href, target: "_blank", rel: "noopener noreferrer" }, label);
  }

  function fmtTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }

  function markUpdated() {
    state.updates += 1;
    const node = document.getElementById("updated");
    node.textContent = new Date().toLocaleTimeString();
    document.body.dataset.updates = String(state.updates);
  }

  async function getJSON(path) {
    const resp = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!resp.ok) throw new Error(path + " → " + resp.status);
    return resp.json();
  }

  function throttle(name, fn) {
    if (state.timers[name]) return;
    state.timers[name] = setTimeout(() => {
      state.timers[name] = null;
      fn().catch(console.error);
    }, REFRESH_MS);
  }

  // ------------------------------------------------------------------ trending
  function sparkline(values) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 96 22");
    svg.setAttribute("preserveAspectRatio", "none");
    const max = Math.max(1, ...values);
    const step = values.length > 1 ? 96 / (values.length - 1) : 96;
    const points = values.map((v, i) => `${(i * step).toFixed(1)},${(21 - (v / max) * 20).toFixed(1)}`);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    svg.append(line);
    return svg;
  }

  function renderTrending(body) {
    const list = document.getElementById("trending");
    if (body.watermark) document.getElementById("watermark").textContent = fmtTime(body.watermark);
    const rows = body.items || [];
    list.replaceChildren(
      ...rows.map((row) => {
        const score = row.spike_score;
        const cls = score === null ? "score" : score >= 3 ? "score hot" : score >= 1.5 ? "score warm" : "score";
        const li = el(
          "li",
          { dataset: { actor: row.actor }, class: row.actor === state.selected ? "selected" : "" },
          el("span", { class: "name", title: row.actor, text: row.name }),
          el("span", { class: cls, text: score === null ? "new" : (score >= 0 ? "+" : "") + score.toFixed(1) }),
          el("span", { class: "detail", text: `${plural(row.count, "article")} · usual ${row.baseline.toFixed(1)}/h` }),
          sparkline(row.sparkline || []),
        );
        li.addEventListener("click", () => selectActor(row.actor));
        return li;
      }),
    );
    document.getElementById("trending-empty").hidden = rows.length > 0;
    if (!state.selected && rows.length) selectActor(rows[0].actor);
    markUpdated();
  }

  async function refreshTrending() {
    renderTrending(await getJSON("/api/trending?limit=20"));
  }

  // ------------------------------------------------------------------ one actor
  function selectActor(actor) {
    state.selected = actor;
    for (const li of document.querySelectorAll("#trending li")) {
      li.classList.toggle("selected", li.dataset.actor === actor);
    }
    refreshActor().catch(console.error);
  }

  function chartData(points) {
    return [points.map((p) => p.start_ms / 1000), points.map((p) => p.count)];
  }

  function drawChart(points) {
    const target = document.getElementById("chart");
    const data = chartData(points);
    const width = Math.max(300, target.clientWidth || 600);
    if (state.plot && state.plot.__window === state.window) {
      state.plot.setData(data);
      return;
    }
    if (state.plot) state.plot.destroy();
    if (typeof uPlot === "undefined") return;
    state.plot = new uPlot(
      {
        width,
        height: 240,
        scales: { x: { time: true } },
        legend: { show: false },
        series: [{}, { label: "articles", stroke: "#1f6feb", fill: "rgba(31,111,235,0.12)", width: 2 }],
        axes: [{}, { label: "articles" }],
      },
      data,
      target,
    );
    state.plot.__window = state.window;
  }

  function renderActor(body) {
    document.getElementById("actor-title").textContent = body.name;
    const counts = body.windows || {};
    const parts = [
      body.type,
      body.country,
      counts["1h"] ? `${counts["1h"].count} this hour` : null,
      counts["24h"] ? `${counts["24h"].count} in 24 h` : null,
    ].filter(Boolean);
    document.getElementById("actor-meta").textContent = parts.join(" · ");
    document.getElementById("actor-panel").dataset.actor = body.actor;
    drawChart((body.timeline || {})[state.window] || []);
    document.getElementById("partners").replaceChildren(
      ...(body.partners || []).map((p) =>
        el("li", null, el("span", { text: p.name }), el("span", { text: p.count })),
      ),
    );
    document.getElementById("countries").replaceChildren(
      ...(body.countries || []).map((c) => el("li", null, el("span", { text: c.code }), el("span", { text: c.count }))),
    );
    document.getElementById("actor-quotes").replaceChildren(
      ...(body.quotes || []).map((q) => statementItem({ ...q, speakers: null }, false)),
    );
    markUpdated();
  }

  async function refreshActor() {
    if (!state.selected) return;
    renderActor(await getJSON("/api/actors/" + encodeURIComponent(state.selected)));
  }

  // ------------------------------------------------------------------ feeds
  function statementItem(s, fresh) {
    const speakers = s.speakers ? s.speakers.map((sp) => (typeof sp === "string" ? sp : sp.name)).join(", ") : null;
    const outlet = [s.source, fmtTime(s.published_at)].filter(Boolean).join(" · ");
    return el(
      "li",
      { class: fresh ? "new" : "", dataset: { id: s.id || "" } },
      speakers ? el("div", { class: "speaker", text: speakers }) : null,
      el("div", { class: s.direct ? "quote direct" : "quote", text: s.text }),
      el("div", { class: "source" }, outlet ? outlet + " · " : "", link(s.url, s.title || "article")),
    );
  }

  function addStatement(s, fresh) {
    const list = document.getElementById("statements");
    const old = state.statements.get(s.id);
    const item = statementItem(s, fresh);
    if (old) old.replaceWith(item);
    else list.prepend(item);
    state.statements.set(s.id, item);
    while (list.children.length > MAX_ITEMS) {
      const last = list.lastElementChild;
      state.statements.delete(last.dataset.id);
      last.remove();
    }
    document.getElementById("statements-empty").hidden = list.children.length > 0;
  }

  function alertItem(a, fresh) {
    const title = (a.title && (a.title.en || Object.values(a.title)[0])) || a.rule_id;
    const st = a.statement;
    const article = (a.articles || [])[a.articles ? a.articles.length - 1 : 0] || {};
    return el(
      "li",
      { class: `${fresh ? "new " : ""}sev-${a.severity}`, dataset: { id: a.alert_id } },
      el("div", null, el("span", { class: "sev", text: a.severity }), el("span", { class: "title", text: title })),
      st
        ? el(
            "div",
            { class: "statement" },
            el("span", { class: "speaker", text: (st.speakers || []).map((sp) => sp.name).join(", ") }),
            st.speakers && st.speakers.length ? ": " : "",
            el("span", { class: st.direct ? "quote direct" : "quote", text: st.text }),
          )
        : null,
      el(
        "div",
        { class: "source" },
        `v${a.version} · ${a.sources_count} source(s) · ${fmtTime(a.last_seen)} · `,
        link(article.url || (a.urls || [])[0], article.title || "article"),
      ),
    );
  }

  function addAlert(a, fresh) {
    const list = document.getElementById("alerts");
    const old = state.alerts.get(a.alert_id);
    const item = alertItem(a, fresh);
    if (old) old.remove();
    list.prepend(item);
    state.alerts.set(a.alert_id, item);
    while (list.children.length > MAX_ITEMS) {
      const last = list.lastElementChild;
      state.alerts.delete(last.dataset.id);
      last.remove();
    }
    document.getElementById("alerts-empty").hidden = list.children.length > 0;
  }

  async function loadFeeds() {
    const [alerts, statements] = await Promise.all([
      getJSON("/api/alerts/recent?limit=" + MAX_ITEMS),
      getJSON("/api/statements/recent?limit=" + MAX_ITEMS),
    ]);
    for (const a of (alerts.items || []).slice().reverse()) addAlert(a, false);
    for (const s of (statements.items || []).slice().reverse()) addStatement(s, false);
    markUpdated();
  }

  // ------------------------------------------------------------------ live
  function connect() {
    const conn = document.getElementById("conn");
    const source = new EventSource("/api/stream");
    source.addEventListener("open", () => {
      conn.textContent = "live";
      conn.className = "conn up";
      conn.dataset.state = "live";
    });
    source.addEventListener("error", () => {
      conn.textContent = "reconnecting…";
      conn.className = "conn down";
      conn.dataset.state = "reconnecting";
    });
    source.addEventListener("hello", (e) => {
      const hello = JSON.parse(e.data);
      if (hello.watermark) document.getElementById("watermark").textContent = fmtTime(hello.watermark);
    });
    source.addEventListener("alert", (e) => {
      addAlert(JSON.parse(e.data), true);
      markUpdated();
    });
    source.addEventListener("statement", (e) => {
      addStatement(JSON.parse(e.data), true);
      markUpdated();
    });
    source.addEventListener("counts", (e) => {
      const updates = JSON.parse(e.data);
      throttle("trending", refreshTrending);
      const rows = updates.filter((u) => u && typeof u === "object");
      if (rows.some((u) => u.actor === state.selected)) throttle("actor", refreshActor);
      const latest = rows.map((u) => u.watermark).filter(Boolean).sort().pop();
      if (latest) document.getElementById("watermark").textContent = fmtTime(latest);
    });
  }

  function init() {
    for (const button of document.querySelectorAll(".window-tabs button")) {
      button.addEventListener("click", () => {
        state.window = button.dataset.window;
        for (const b of document.querySelectorAll(".window-tabs button")) b.classList.toggle("active", b === button);
        refreshActor().catch(console.error);
      });
    }
    refreshTrending().catch(console.error);
    loadFeeds().catch(console.error);
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
