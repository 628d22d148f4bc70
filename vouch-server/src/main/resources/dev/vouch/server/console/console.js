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

/** A 403: the token is good but its roles lack a permission; the operator stays logged in. */
class Forbidden extends Error {
  constructor(permission) {
    super(
      permission
        ? `Your roles do not grant '${permission}', which this needs: ask an administrator for a role that has it.`
        : "Your roles do not allow this.",
    );
    this.permission = permission;
  }
}

/**
 * Calls the API with the tab's token. A body is sent as JSON unless a content type is given
 * (policy documents go up as YAML text, as the API takes them).
 */
async function api(path, method = "GET", body = undefined, contentType = "application/json") {
  const headers = { Authorization: "Bearer " + token(), Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = contentType;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : body,
    cache: "no-store",
  });
  if (res.status === 401) {
    throw new Unauthorized("the server refused the token");
  }
  const text = await res.text();
  const answer = text ? JSON.parse(text) : {};
  if (res.status === 403) {
    throw new Forbidden(answer.permission);
  }
  if (!res.ok) {
    const err = new Error((answer.title || "HTTP " + res.status) + (answer.detail ? ": " + answer.detail : ""));
    err.problem = answer;
    throw err;
  }
  return answer;
}

/**
 * Polled pages re-render only when their data changed since the last render, so that a poll
 * neither moves the keyboard focus nor resets a half-read table.
 */
const lastRendered = new Map();

function changed(key, data) {
  const json = JSON.stringify(data);
  if (lastRendered.get(key) === json) return false;
  lastRendered.set(key, json);
  return true;
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

const VIEWS = [
  "login-view",
  "fleet-view",
  "host-view",
  "report-view",
  "flavors-view",
  "policies-view",
  "refvalues-view",
  "kbs-view",
  "audit-view",
];

/** Page hashes and the view each shows; a host's page is #/hosts/ID. */
const PAGES = {
  "#/flavors": "flavors-view",
  "#/policies": "policies-view",
  "#/reference-values": "refvalues-view",
  "#/kbs": "kbs-view",
  "#/audit": "audit-view",
};

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  $("logout").hidden = view === "login-view";
  for (const a of document.querySelectorAll("header nav a")) {
    const here = PAGES[a.getAttribute("href")] === view || (a.getAttribute("href") === "#/" && view === "fleet-view");
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function currentView() {
  if (currentHost()) return "host-view";
  if (currentReport()) return "report-view";
  return PAGES[location.hash.split("?")[0]] || "fleet-view";
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
  const fact = factList($("host-facts"));
  fact("Status", badge(d.status));
  fact("Group", d.group);
  fact("Connection", d.connection);
  fact("Last attestation", when(d.last_attested));
  fact("Next due", when(d.next_due));
  fact(
    "Last report",
    d.last_report_id
      ? el("a", d.last_report_id, { href: "#/reports/" + encodeURIComponent(d.last_report_id), id: "last-report" })
      : "none",
  );
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

/** Empties a definition list and answers a function that adds one term and its value. */
function factList(dl) {
  dl.replaceChildren();
  return (k, v) => dl.append(el("dt", k), v instanceof Node ? wrap("dd", v) : el("dd", v));
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



// ------------------------------------------------------------------ trust report

/** The payload of a compact JWS; the server verified and signed it, the page only shows it. */
function jwsPayload(jws) {
  const b64 = jws.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

async function refreshReport(id, gen) {
  const r = await api("/api/v1/reports/" + encodeURIComponent(id));
  if (gen !== generation) return;
  const report = jwsPayload(r.jws);
  $("report-title").textContent = "Trust report for " + r.host_id;
  $("report-back").href = "#/hosts/" + encodeURIComponent(r.host_id);
  const fact = factList($("report-facts"));
  fact("Status", badge(r.status));
  fact("Overall trust", r.overall ? "trusted" : "untrusted");
  fact("Detail", report.detail || "");
  fact("Created", when(r.created));
  fact("Expires", when(r.expires));
  const rows = [];
  for (const [part, trust] of Object.entries((report.trust_information || {}).flavors_trust || {})) {
    for (const rr of trust.rules || []) {
      const name = (rr.rule.rule_name || "").replace(/^rule\./, "");
      const pcr = rr.rule.pcr ? ` (PCR ${rr.rule.pcr.index}${rr.rule.pcr.bank ? " " + rr.rule.pcr.bank : ""})` : "";
      const faults = el("ul");
      for (const f of rr.faults || []) {
        faults.append(el("li", f.fault_name.replace(/^fault\./, "") + ": " + f.description, { class: "reason" }));
      }
      const tr = el("tr", null, { "data-rule": name, "data-trusted": String(rr.trusted), class: rr.trusted ? "" : "failing" });
      rows.push({ trusted: rr.trusted, tr: cells(tr, part, name + pcr, rr.trusted ? "passed" : "failed", rr.rule.measurement || "", faults) });
    }
  }
  rows.sort((a, b) => Number(a.trusted) - Number(b.trusted));
  const tbody = $("report-rules").tBodies[0];
  tbody.replaceChildren(...rows.map((x) => x.tr));
  emptyRow(tbody, "no flavor rules in this report", 5);
}

// ------------------------------------------------------------------ flavors and groups

function cells(tr, ...values) {
  for (const v of values) tr.append(v instanceof Node ? wrap("td", v) : el("td", v));
  return tr;
}

/** One row saying why a table is empty, across all its columns. */
function emptyRow(tbody, text, span) {
  if (tbody.rows.length) return;
  const tr = el("tr");
  tr.append(el("td", text, { colspan: String(span) }));
  tbody.append(tr);
}

async function refreshFlavors(gen) {
  const [{ flavors }, { groups }] = await Promise.all([
    api("/api/v1/flavors"),
    api("/api/v1/flavor-groups"),
  ]);
  if (gen !== generation || !changed("flavors", [flavors, groups])) return;
  const tbody = $("flavors").tBodies[0];
  tbody.replaceChildren(
    ...flavors.map((f) =>
      cells(
        el("tr", null, { "data-flavor-id": f.id }),
        f.label,
        f.flavor_part,
        f.host_id || "any host",
        f.origin,
        f.approved ? "yes" : "no",
        when(f.created),
      ),
    ),
  );
  emptyRow(tbody, "no flavors", 6);
  $("groups").replaceChildren(
    ...groups.map((g) => {
      const box = el("section", null, { "data-group": g.name, "aria-label": "Group " + g.name });
      box.append(el("h3", g.name + (g.builtin ? " (built-in)" : "")));
      const t = el("table");
      t.append(el("caption", "Match policy of " + g.name, { class: "sr-only" }));
      const head = el("thead");
      const hr = el("tr");
      for (const h of ["Flavor part", "Match type", "Required"]) hr.append(el("th", h, { scope: "col" }));
      head.append(hr);
      const body = el("tbody");
      for (const [part, rule] of Object.entries(g.policies || {})) {
        const r = rule && typeof rule === "object" ? rule : { match_type: String(rule) };
        const req = r.required === undefined ? "" : typeof r.required === "object" ? JSON.stringify(r.required) : String(r.required);
        body.append(cells(el("tr", null, { "data-part": part }), part, r.match_type || "", req));
      }
      t.append(head, body);
      box.append(t);
      return box;
    }),
  );
}

// ------------------------------------------------------------------ policies and the tester

async function refreshPolicies(gen) {
  const { policies, builtin } = await api("/api/v1/policies");
  if (gen !== generation || !changed("policies", [policies, builtin])) return;
  $("policy-list").replaceChildren(
    ...[...policies, ...builtin.filter((b) => !policies.includes(b))].map((id) => {
      const li = el("li");
      const b = el("button", id, { type: "button", "data-policy-id": id, "aria-label": "Load policy " + id + " into the tester" });
      b.addEventListener("click", () => loadPolicy(id));
      li.append(b);
      return li;
    }),
  );
}

async function loadPolicy(id) {
  try {
    const p = await api("/api/v1/policies/" + encodeURIComponent(id));
    const v = p.versions[p.versions.length - 1];
    $("policy-source").value = v.source;
    $("policy-source").dataset.policyId = id;
    $("policy-id").value = id;
    say(`Policy ${id} loaded (version ${v.version}).`);
    $("policy-claims").focus();
  } catch (e) {
    handle(e);
  }
}

function parseJsonField(id, label, optional) {
  const text = $(id).value.trim();
  if (!text && optional) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    $(id).setAttribute("aria-invalid", "true");
    $(id).focus();
    throw new Error(label + " is not JSON: " + e.message);
  }
}

async function runPolicyTest(ev) {
  ev.preventDefault();
  for (const id of ["policy-claims", "policy-reference"]) $(id).removeAttribute("aria-invalid");
  const summary = $("policy-summary");
  const table = $("policy-rules");
  try {
    const body = { policy: $("policy-source").value, claims: parseJsonField("policy-claims", "Claims") };
    const reference = parseJsonField("policy-reference", "Reference values", true);
    if (reference !== undefined) body.reference = reference;
    if ($("policy-source").dataset.policyId) body.id = $("policy-source").dataset.policyId;
    const r = await api("/api/v1/policies/test", "POST", body);
    summary.textContent = `Policy ${r.policy}: ${r.status}`;
    summary.dataset.status = r.status;
    const tbody = table.tBodies[0];
    if (r.form === "trust_claims") {
      tbody.replaceChildren(
        ...Object.entries(r.cases).map(([category, by]) =>
          cells(el("tr", null, { "data-rule": category }), by, String(r.trust_vector[category]), category, "decided by case " + by),
        ),
        ...r.errors.map((e) => cells(el("tr", null, { class: "outcome-error" }), "error", "error", "", e)),
      );
    } else {
      tbody.replaceChildren(
        ...r.rules.map((rule) => {
          const tr = el("tr", null, { "data-rule": rule.rule, "data-outcome": rule.outcome });
          return cells(tr, rule.rule, el("span", rule.outcome, { class: "outcome-" + rule.outcome }), rule.category, el("span", rule.explanation, { class: "explanation" }));
        }),
      );
    }
    table.hidden = false;
    say("");
    summary.scrollIntoView({ block: "start" });
  } catch (e) {
    if (e instanceof Unauthorized) return handle(e);
    summary.textContent = e.message;
    summary.dataset.status = "error";
    table.hidden = true;
  }
}

/**
 * Uploads the editor's document as the next version of the id (PUT, as `vouch policy put` does).
 * A reader's 403 is said in place and keeps the session: only the upload was refused.
 */
async function savePolicy(ev) {
  ev.preventDefault();
  const out = $("policy-save-result");
  const id = $("policy-id").value.trim();
  try {
    const r = await api("/api/v1/policies/" + encodeURIComponent(id), "PUT", $("policy-source").value, "application/yaml");
    out.textContent = `Policy ${r.id} saved as version ${r.version}; it counts from the next attestation on.`;
    out.dataset.outcome = "saved";
    $("policy-source").dataset.policyId = r.id;
    refresh();
  } catch (e) {
    if (e instanceof Unauthorized) return handle(e);
    out.dataset.outcome = e instanceof Forbidden ? "forbidden" : "error";
    const p = e.problem || {};
    const where = p.line ? ` (line ${p.document_line || p.line}, column ${p.column})` : "";
    out.textContent = "Not saved. " + e.message + where;
  }
  out.scrollIntoView({ block: "nearest" });
}

// ------------------------------------------------------------------ reference values

async function refreshReferenceValues(gen) {
  const { names } = await api("/api/v1/reference-values");
  const values = await Promise.all(names.map((n) => api("/api/v1/reference-values/" + encodeURIComponent(n))));
  if (gen !== generation || !changed("refvalues", values)) return;
  const tbody = $("refvalues").tBodies[0];
  tbody.replaceChildren(
    ...values.map((v) => {
      const list = el("ul");
      for (const x of v.values) {
        list.append(wrap("li", el("code", typeof x === "string" ? x : JSON.stringify(x), { class: "value" })));
      }
      return cells(
        el("tr", null, { "data-name": v.name }),
        v.name,
        list,
        v.provenance.kind + (v.provenance.signer ? " by " + v.provenance.signer : "") + ", " + when(v.provenance.registered_at),
        v.expires ? when(v.expires) : "never",
        v.valid ? "yes" : "no",
      );
    }),
  );
  emptyRow(tbody, "no reference values", 5);
}

// ------------------------------------------------------------------ KBS

async function refreshKbs(gen) {
  let resources;
  try {
    resources = (await api("/api/v1/resources")).resources;
  } catch (e) {
    if (e instanceof Unauthorized || e instanceof Forbidden) throw e;
    resources = null; // the key broker is off on this server
  }
  // the audit log is oldest first: the newest releases are at the end of the last page
  const { records } = await api("/api/v1/audit?action=kbs.release&limit=1000");
  if (gen !== generation || !changed("kbs", [resources, records.slice(-50)])) return;
  $("resources").replaceChildren(
    ...(resources === null
      ? [el("li", "The key broker is not enabled on this server.")]
      : resources.length
        ? resources.map((r) => {
            const li = wrap("li", el("code", r));
            li.dataset.resource = r;
            return li;
          })
        : [el("li", "no resources")]),
  );
  const tbody = $("releases").tBodies[0];
  tbody.replaceChildren(
    ...records
      .slice(-50)
      .reverse()
      .map((a) =>
        cells(
          el("tr", null, { "data-outcome": a.outcome }),
          when(a.at),
          a.target.replace(/^GET \/kbs\/v0\/resource\//, ""),
          a.outcome,
          a.source || "",
          a.detail || "",
        ),
      ),
  );
  emptyRow(tbody, "no releases recorded", 5);
}

// ------------------------------------------------------------------ audit log

const AUDIT_PAGE = 50;
// the filter in force is the one last submitted: a poll must not apply what is still being typed
const auditPages = { afters: [0], next: null, actor: "", action: "" };

async function refreshAudit(gen) {
  const q = new URLSearchParams({ limit: String(AUDIT_PAGE) });
  if (auditPages.actor) q.set("actor", auditPages.actor);
  if (auditPages.action) q.set("action", auditPages.action);
  const after = auditPages.afters[auditPages.afters.length - 1];
  if (after) q.set("after", String(after));
  const { records, next_after } = await api("/api/v1/audit?" + q);
  if (gen !== generation || !changed("audit", [q.toString(), records, next_after])) return;
  auditPages.next = next_after;
  const tbody = $("audit-log").tBodies[0];
  tbody.replaceChildren(
    ...records.map((a) =>
      cells(el("tr", null, { "data-seq": String(a.seq), "data-action": a.action }), String(a.seq), when(a.at), a.actor, a.action, a.target, a.outcome, a.detail || ""),
    ),
  );
  emptyRow(tbody, "no records match", 7);
  $("audit-next").disabled = next_after === null;
  $("audit-prev").disabled = auditPages.afters.length < 2;
  $("audit-first").disabled = auditPages.afters.length < 2;
}

function auditPage(move) {
  if (move === "first") auditPages.afters = [0];
  if (move === "prev" && auditPages.afters.length > 1) auditPages.afters.pop();
  if (move === "next" && auditPages.next !== null) auditPages.afters.push(auditPages.next);
  route();
}

// ------------------------------------------------------------------ routing and polling

function currentReport() {
  const m = location.hash.match(/^#\/reports\/(.+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

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
    const view = currentView();
    if (view === "host-view") await refreshHost(currentHost(), gen);
    else if (view === "report-view") await refreshReport(currentReport(), gen);
    else if (view === "fleet-view") await refreshFleet(gen);
    else await PAGE_REFRESH[view](gen);
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
  const view = currentView();
  show(view);
  lastRendered.delete(RENDER_KEY[view]); // a page shown afresh is drawn at once
  if (view === "report-view") refresh();
  else poll(generation);
}

/**
 * The operator pages, polled like the fleet: other operators, the CLI and guests change their
 * data too. A trust report is signed and never changes, so it is loaded once.
 */
const PAGE_REFRESH = {
  "report-view": (gen) => refreshReport(currentReport(), gen),
  "flavors-view": refreshFlavors,
  "policies-view": refreshPolicies,
  "refvalues-view": refreshReferenceValues,
  "kbs-view": refreshKbs,
  "audit-view": refreshAudit,
};
const RENDER_KEY = {
  "flavors-view": "flavors",
  "policies-view": "policies",
  "refvalues-view": "refvalues",
  "kbs-view": "kbs",
  "audit-view": "audit",
};

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
$("policy-test-form").addEventListener("submit", runPolicyTest);
$("policy-save-form").addEventListener("submit", savePolicy);
$("audit-filter").addEventListener("submit", (ev) => {
  ev.preventDefault();
  auditPages.actor = $("audit-actor").value.trim();
  auditPages.action = $("audit-action").value.trim();
  auditPage("first");
});
$("audit-first").addEventListener("click", () => auditPage("first"));
$("audit-prev").addEventListener("click", () => auditPage("prev"));
$("audit-next").addEventListener("click", () => auditPage("next"));
$("attest-now").addEventListener("click", () => hostAction("attest"));
$("onboard").addEventListener("click", () => hostAction("onboard"));
window.addEventListener("hashchange", () => {
  say("");
  route();
});
route();
