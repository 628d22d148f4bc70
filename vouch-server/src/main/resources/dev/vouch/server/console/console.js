// Vouch web console: one ES module, no framework. Every datum comes from the JSON API with the
// admin bearer token; everything from the server is written with textContent, never as HTML,
// because host ids and failure reasons come from hosts and must not run as markup.

const TOKEN_KEY = "vouch.console.token";
const POLL_MS = 2000;
const FAILING = new Set(["ATTESTATION_FAILED", "SECURE_BOOT_DISABLED"]);

const $ = (id) => document.getElementById(id);
let pollTimer = null;
let generation = 0; // bumped on each navigation so late answers for an old view are dropped

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

class Unauthorized extends Error {}

async function api(path, method = "GET") {
  const res = await fetch(path, {
    method,
    headers: { Authorization: "Bearer " + token(), Accept: "application/json" },
    cache: "no-store",
  });
  if (res.status === 401 || res.status === 403) {
    throw new Unauthorized("the server refused the token");
  }
  const text = await res.text();
  const body = text ? JSON.parse(text) : {};
  if (!res.ok) {
    throw new Error((body.title || "HTTP " + res.status) + (body.detail ? ": " + body.detail : ""));
  }
  return body;
}

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function badge(status) {
  const cls = FAILING.has(status) ? "failing" : status;
  return el("span", status, { class: "badge " + cls, "data-status": status });
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

function say(message, error = false) {
  const s = $("status");
  s.textContent = message;
  s.classList.toggle("error", error);
}

function show(view) {
  for (const id of ["login-view", "fleet-view", "host-view"]) $(id).hidden = id !== view;
  $("logout").hidden = view === "login-view";
}

/** The reasons of the newest history entry when the host is failing; history is oldest first. */
function failingReasons(detail) {
  if (!FAILING.has(detail.status)) return [];
  const last = [...(detail.history || [])].reverse().find((c) => c.current === detail.status);
  return last ? last.reasons : [];
}

// ------------------------------------------------------------------ fleet

async function refreshFleet(gen) {
  const { hosts } = await api("/api/v1/hosts");
  // the list carries no reasons: ask for each failing host's detail (a first version; a fleet
  // of thousands wants the reasons in the list)
  const reasons = new Map();
  await Promise.all(
    hosts
      .filter((h) => FAILING.has(h.status))
      .map(async (h) => {
        const d = await api("/api/v1/hosts/" + encodeURIComponent(h.id));
        reasons.set(h.id, failingReasons(d));
      }),
  );
  if (gen !== generation) return;
  const counts = new Map();
  for (const h of hosts) counts.set(h.status, (counts.get(h.status) || 0) + 1);
  const ul = $("counts");
  ul.replaceChildren(el("li", "All: " + hosts.length, { "data-count": "ALL" }));
  for (const [s, n] of [...counts].sort()) {
    const li = el("li", null, { "data-count": s });
    li.append(badge(s), " " + n);
    ul.append(li);
  }
  const tbody = $("hosts").tBodies[0];
  tbody.replaceChildren(
    ...hosts.map((h) => {
      const tr = el("tr", null, { "data-host-id": h.id, "data-status": h.status });
      const name = el("td");
      name.append(el("a", h.id, { href: "#/hosts/" + encodeURIComponent(h.id) }));
      const st = el("td", null, { class: "status" });
      st.append(badge(h.status));
      const why = (reasons.get(h.id) || []).join("; ");
      tr.append(
        name,
        el("td", h.group),
        st,
        el("td", when(h.last_attested)),
        el("td", why, { class: "reason" }),
      );
      return tr;
    }),
  );
  applyFilter();
}

function applyFilter() {
  const q = $("filter").value.trim().toLowerCase();
  let shown = 0;
  for (const tr of $("hosts").tBodies[0].rows) {
    const hit = !q || tr.textContent.toLowerCase().includes(q);
    tr.hidden = !hit;
    if (hit) shown++;
  }
  $("no-hosts").hidden = shown > 0;
}

// ------------------------------------------------------------------ host detail

async function refreshHost(id, gen) {
  const d = await api("/api/v1/hosts/" + encodeURIComponent(id));
  if (gen !== generation) return;
  $("host-title").textContent = "Host " + d.id;
  const facts = $("host-facts");
  facts.replaceChildren();
  const fact = (k, v) => facts.append(el("dt", k), v instanceof Node ? wrap("dd", v) : el("dd", v));
  fact("Status", badge(d.status));
  fact("Group", d.group);
  fact("Connection", d.connection);
  fact("Last attestation", when(d.last_attested));
  fact("Next due", when(d.next_due));
  fact("Last report", d.last_report_id || "none");
  fact("Being attested by", d.attesting || "nobody");

  const reasons = failingReasons(d);
  $("host-reasons").replaceChildren(
    ...(reasons.length
      ? reasons.map((r) => el("li", r, { class: "reason" }))
      : [el("li", FAILING.has(d.status) ? "no reason recorded" : "not failing")]),
  );

  $("timeline").replaceChildren(
    ...[...(d.history || [])].reverse().map((c) => {
      const li = el("li", null, { class: FAILING.has(c.current) ? "failing" : c.current });
      li.append(
        el("time", when(c.time), { datetime: c.time }),
        " ",
        c.previous + " \u2192 ",
        badge(c.current),
      );
      if (c.reasons && c.reasons.length) li.append(el("div", c.reasons.join("; "), { class: "reason" }));
      return li;
    }),
  );
  if (!d.history || !d.history.length) $("timeline").append(el("li", "no status change yet"));

  const audit = $("audit").tBodies[0];
  audit.replaceChildren(
    ...(d.golden_audit || []).map((a) => {
      const tr = el("tr");
      tr.append(el("td", when(a.time)), el("td", a.mode), el("td", a.action), el("td", a.reason));
      return tr;
    }),
  );
  if (!audit.rows.length) {
    const tr = el("tr");
    tr.append(el("td", "no golden-flavor changes", { colspan: "4" }));
    audit.append(tr);
  }
}

function wrap(tag, child) {
  const e = el(tag);
  e.append(child);
  return e;
}

function confirmThen(text) {
  const dlg = $("confirm");
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
    dlg.returnValue = "";
    dlg.showModal();
    // Cancel has the focus: a stray Enter must not onboard a host
    $("confirm-cancel").focus();
  });
}

async function hostAction(kind) {
  const id = currentHost();
  if (!id) return;
  const text =
    kind === "attest"
      ? `Attest host ${id} now?`
      : `Onboard host ${id} afresh? Its golden flavors are retired, a new baseline is taken at the` +
        " next attestation and its Kubernetes nodes are restored.";
  if (!(await confirmThen(text))) return;
  try {
    await api(`/api/v1/hosts/${encodeURIComponent(id)}/${kind}`, "POST");
    say(kind === "attest" ? `Attestation of ${id} queued.` : `Host ${id} onboarded afresh.`);
  } catch (e) {
    handle(e);
  }
}

// ------------------------------------------------------------------ routing and polling

function currentHost() {
  const m = location.hash.match(/^#\/hosts\/(.+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

function handle(e) {
  if (e instanceof Unauthorized) {
    sessionStorage.removeItem(TOKEN_KEY);
    say("The server refused the token: log in again.", true);
    route();
  } else {
    say(e.message, true);
  }
}

async function refresh() {
  const gen = generation;
  try {
    const id = currentHost();
    if (id) await refreshHost(id, gen);
    else await refreshFleet(gen);
    if (gen === generation && $("status").classList.contains("error")) {
      say(""); // the server answers again: the last error is stale
    }
  } catch (e) {
    handle(e);
  }
}

function route() {
  generation++;
  clearTimeout(pollTimer);
  pollTimer = null;
  if (!token()) {
    show("login-view");
    $("token").focus();
    return;
  }
  show(currentHost() ? "host-view" : "fleet-view");
  poll(generation);
}

/** Refreshes, then waits POLL_MS before the next: a slow server never gets requests piled up. */
async function poll(gen) {
  await refresh();
  if (gen === generation && token()) pollTimer = setTimeout(() => poll(gen), POLL_MS);
}

$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  say("");
  route();
});
$("password-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = JSON.stringify({ username: $("username").value, password: $("password").value });
  $("password").value = "";
  try {
    const res = await fetch("/api/v1/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body,
      cache: "no-store",
    });
    const answer = await res.json();
    if (!res.ok) {
      say(
        res.status === 429
          ? "Too many failed logins: try again in " + answer.retry_after_seconds + " s."
          : "The server refused the name or password.",
        true,
      );
      $("password").focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, answer.token);
    say("");
    route();
  } catch (e) {
    say(e.message, true);
  }
});
$("logout").addEventListener("click", async () => {
  const t = token();
  sessionStorage.removeItem(TOKEN_KEY);
  // a password login's token is revoked on every replica; an admin token or API key is not ours to end
  if (t && t.split(".").length === 3) {
    try {
      await fetch("/api/v1/auth/revoke", {
        method: "POST",
        headers: { Authorization: "Bearer " + t },
        cache: "no-store",
      });
    } catch (e) {
      // logged out locally either way; the token expires on its own
    }
  }
  say("Logged out.");
  route();
});
$("filter").addEventListener("input", applyFilter);
$("attest-now").addEventListener("click", () => hostAction("attest"));
$("onboard").addEventListener("click", () => hostAction("onboard"));
window.addEventListener("hashchange", () => {
  say("");
  route();
});
route();
