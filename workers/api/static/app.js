// Newsdesk search page: plain DOM, no framework. Everything that comes from the index is
// written with textContent or text nodes, never innerHTML, so article text cannot inject
// markup; highlights arrive as {text, mark} segments and become <mark> elements here.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const TYPING_DELAY_MS = 300;
  const state = { selected: new Map(), cursor: null, size: null, seq: 0, done: 0, timer: null };

  function make(tag, className) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  function isWebUrl(text) {
    // Only http(s) links: a "javascript:" URL in an article must not become clickable.
    try {
      return ["http:", "https:"].includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }

  function appendSegments(parent, segments) {
    for (const segment of segments) {
      if (segment.mark) {
        const mark = make("mark");
        mark.textContent = segment.text;
        parent.append(mark);
      } else {
        parent.append(document.createTextNode(segment.text));
      }
    }
  }

  function searchParams(cursor) {
    const params = new URLSearchParams();
    const q = $("q").value.trim();
    if (q) params.set("q", q);
    if ($("since").value) params.set("since", $("since").value);
    if ($("until").value) params.set("until", $("until").value);
    if ($("sort").value !== "relevance") params.set("sort", $("sort").value);
    if ($("collapse").checked) params.set("collapse", "story");
    if (state.size) params.set("size", state.size);
    for (const [facet, values] of state.selected) {
      for (const value of values) params.append(facet, value);
    }
    if (cursor) params.set("cursor", cursor);
    return params;
  }

  function restoreFromLocation() {
    const params = new URLSearchParams(window.location.search);
    const fixed = new Set(["q", "since", "until", "sort", "collapse", "cursor", "size"]);
    $("q").value = params.get("q") || "";
    $("since").value = params.get("since") || "";
    $("until").value = params.get("until") || "";
    $("sort").value = params.get("sort") === "date" ? "date" : "relevance";
    $("collapse").checked = params.get("collapse") === "story";
    state.size = params.get("size"); // results per page; the API's default otherwise
    for (const [name, value] of params) {
      if (fixed.has(name)) continue;
      if (!state.selected.has(name)) state.selected.set(name, new Set());
      state.selected.get(name).add(value);
    }
  }

  function describeError(body, status) {
    if (body && typeof body.detail === "string") return body.detail;
    if (body && Array.isArray(body.detail)) {
      return body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
    return `the server answered ${status}`;
  }

  async function search(append) {
    const seq = ++state.seq;
    const params = searchParams(append ? state.cursor : null);
    if (!append) {
      const shown = searchParams(null).toString();
      window.history.replaceState(null, "", shown ? `?${shown}` : window.location.pathname);
    }
    let body;
    try {
      const response = await fetch(`/search?${params}`, { headers: { Accept: "application/json" } });
      body = await response.json().catch(() => null);
      if (!response.ok) throw new Error(describeError(body, response.status));
    } catch (error) {
      if (seq === state.seq) showError(error.message);
      return;
    }
    if (seq !== state.seq) return; // a newer search started meanwhile: drop this answer
    showError("");
    render(body, append);
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
    if (message) finish();
  }

  function render(body, append) {
    const list = $("results");
    if (!append) list.replaceChildren();
    for (const hit of body.hits) list.append(renderHit(hit));
    const shown = list.children.length;
    const noun = body.total === 1 ? "article" : "articles";
    $("count").textContent = body.total
      ? `${body.total} ${noun}${body.collapse ? " (one per story)" : ""}; showing ${shown}`
      : "No articles match.";
    state.cursor = body.next_cursor;
    $("more").hidden = !state.cursor;
    if (!append) renderFacets(body.facets);
    finish();
  }

  function finish() {
    // Lets tests (and curious people) see that a search round trip completed.
    state.done += 1;
    document.body.dataset.searches = String(state.done);
  }

  function renderHit(hit) {
    const item = make("li", "hit");
    item.dataset.id = hit.id;
    const title = make("a", "hit-title");
    if (isWebUrl(hit.url)) {
      title.href = hit.url;
      title.rel = "noopener noreferrer";
    }
    appendSegments(title, hit.highlight.title || [{ text: hit.title, mark: false }]);
    const meta = make("div", "hit-meta");
    const when = hit.published_at ? hit.published_at.slice(0, 10) : "undated";
    const parts = [(hit.facets.source || []).join(", "), when];
    if (hit.story_hits > 1) parts.push(`${hit.story_hits} articles in this story`);
    meta.textContent = parts.filter(Boolean).join(" · ");
    item.append(title, meta);
    for (const snippet of hit.highlight.snippets) {
      const para = make("p", "snippet");
      para.append(document.createTextNode("… "));
      appendSegments(para, snippet);
      para.append(document.createTextNode(" …"));
      item.append(para);
    }
    if (!hit.highlight.snippets.length && hit.summary) {
      const para = make("p", "snippet");
      para.textContent = hit.summary;
      item.append(para);
    }
    return item;
  }

  function renderFacets(facets) {
    const aside = $("facets");
    aside.replaceChildren();
    for (const [name, buckets] of Object.entries(facets)) {
      const chosen = state.selected.get(name) || new Set();
      const counts = new Map(buckets.map((b) => [b.value, b.count]));
      for (const value of chosen) if (!counts.has(value)) counts.set(value, 0);
      if (!counts.size) continue;
      const group = make("fieldset");
      group.dataset.facet = name;
      const legend = make("legend");
      legend.textContent = name.replace(/[._]/g, " ");
      group.append(legend);
      for (const [value, count] of counts) {
        const label = make("label");
        const box = make("input");
        box.type = "checkbox";
        box.dataset.facet = name;
        box.dataset.value = value;
        box.checked = chosen.has(value);
        box.addEventListener("change", () => toggleFacet(name, value, box.checked));
        const text = make("span");
        text.textContent = value;
        const number = make("span", "facet-count");
        number.textContent = `(${count})`;
        label.append(box, text, number);
        group.append(label);
      }
      aside.append(group);
    }
  }

  function toggleFacet(name, value, on) {
    if (!state.selected.has(name)) state.selected.set(name, new Set());
    const values = state.selected.get(name);
    if (on) values.add(value);
    else values.delete(value);
    if (!values.size) state.selected.delete(name);
    search(false);
  }

  function init() {
    restoreFromLocation();
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      window.clearTimeout(state.timer);
      search(false);
    });
    $("q").addEventListener("input", () => {
      window.clearTimeout(state.timer);
      state.timer = window.setTimeout(() => search(false), TYPING_DELAY_MS);
    });
    for (const id of ["since", "until", "sort", "collapse"]) {
      $(id).addEventListener("change", () => search(false));
    }
    $("more").addEventListener("click", () => search(true));
    search(false);
  }

  init();
})();
