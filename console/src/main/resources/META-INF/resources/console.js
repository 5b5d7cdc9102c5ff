// orgmesh console: one page over the console's own API (/api/*), which talks NATS for it.
'use strict';

const state = { org: null, seen: new Set(), source: null, refreshTimer: null, csrf: null };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function time(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleTimeString();
}

function ago(iso) {
  if (!iso) return 'never seen';
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  return s < 90 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
}

async function api(path, options) {
  options = options || {};
  if (options.method && options.method !== 'GET') {
    // A change of state: JSON, with this session's CSRF token (the console refuses anything else: OM-9003).
    options.headers = Object.assign({ 'Content-Type': 'application/json', 'X-Orgmesh-Csrf': state.csrf },
      options.headers || {});
    if (options.body === undefined) options.body = '{}';
  }
  const r = await fetch(path, options);
  let body = null;
  try { body = await r.json(); } catch (e) { /* no body */ }
  if (!r.ok) {
    const msg = body && body.message ? body.message : r.status + ' ' + r.statusText;
    const code = body && body.code ? 'OM-' + body.code + (body.error ? ' ' + body.error : '') + ': ' : '';
    throw new Error(code + msg);
  }
  return body;
}

// ---- snapshot: chart, approvals, budgets ------------------------------------------------------------------------

async function refresh() {
  let s;
  try { s = await api('api/state'); } catch (e) { return; }
  document.getElementById('decider').textContent = s.decider || '–';
  if (!s.org) { document.getElementById('company').textContent = 'waiting for the org…'; return; }
  const first = state.org === null;
  state.org = withPresence(s.org);
  document.getElementById('company').textContent = s.org.name;
  document.title = s.org.name + ' · orgmesh console';
  renderChart(s.org);
  renderApprovals(s.approvals);
  renderBudgets(s.budgets);
  if (first) fillFilters(s.org);
}

// The org is the directory's chart reply plus `presence` (member id → presence): put each member's presence on the
// member, and show the id where the org file gives no name.
function withPresence(org) {
  for (const m of org.members) {
    m.presence = org.presence[m.id];
    m.name = m.name || m.id;
  }
  for (const t of org.teams) t.name = t.name || t.id;
  org.name = org.name || org.company;
  return org;
}

function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => { state.refreshTimer = null; refresh(); }, 150);
}

function memberCard(m, byId) {
  const p = m.presence || { state: 'unknown' };
  const boss = m.reports_to ? byId[m.reports_to] : null;
  return el('div', { class: 'member', 'data-member': m.id, 'data-presence': p.state },
    el('span', { class: 'dot ' + p.state, title: p.state + ' · ' + ago(p.last_seen) }),
    el('div', { class: 'who' },
      el('span', {}, el('b', {}, m.name), ' ', el('span', { class: 'meta' }, m.id)),
      el('span', { class: 'meta' }, m.kind === 'human' ? 'human' : m.role,
        boss ? ' · reports to ' + boss.name : ''),
      m.kind === 'human' && p.state === 'unknown' ? null
        : el('span', { class: 'presence' }, p.state, p.last_seen ? ' · ' + ago(p.last_seen) : '')));
}

function renderChart(org) {
  const byId = Object.fromEntries(org.members.map(m => [m.id, m]));
  const chart = document.getElementById('chart');
  const columns = [];
  const humans = org.members.filter(m => m.kind === 'human');
  if (humans.length) {
    columns.push(el('div', { class: 'team', 'data-team': '' }, el('h4', {}, 'Humans'),
      humans.map(m => memberCard(m, byId))));
  }
  for (const t of org.teams) {
    const members = org.members.filter(m => m.team === t.id);
    const up = members.filter(m => m.presence && m.presence.state === 'up').length;
    columns.push(el('div', { class: 'team', 'data-team': t.id },
      el('h4', { title: t.description || '' }, t.name, ' ', el('small', {}, t.id + ' · ' + up + '/' + members.length + ' up')),
      members.map(m => memberCard(m, byId))));
  }
  chart.replaceChildren(...columns);

  const tree = document.getElementById('tree');
  const node = (m, depth) => {
    const reports = org.members.filter(x => x.reports_to === m.id);
    const p = m.presence || { state: 'unknown' };
    return el('li', { 'data-node': m.id },
      el('span', { class: 'dot ' + p.state, style: 'display:inline-block;margin-right:6px' }),
      el('b', {}, m.name), ' ', el('span', { class: 'tag' }, m.id + (m.team ? ' · ' + m.team : ' · human')),
      reports.length && depth < 50 ? el('ul', {}, reports.map(r => node(r, depth + 1))) : null);
  };
  const roots = org.members.filter(m => !m.reports_to || !byId[m.reports_to]);
  tree.replaceChildren(...roots.map(r => node(r, 0)));
}

function renderApprovals(list) {
  const body = document.querySelector('#approvals tbody');
  document.getElementById('approvals-count').textContent = list.length ? list.length + ' open' : '';
  document.getElementById('no-approvals').style.display = list.length ? 'none' : '';
  document.getElementById('approvals').style.display = list.length ? '' : 'none';
  // Keep a row whose deny form is open, so a refresh does not eat what the human is typing.
  const open = new Map();
  body.querySelectorAll('tr[data-approval]').forEach(r => {
    if (r.querySelector('.deny-form.open')) open.set(r.dataset.approval, r);
  });
  body.replaceChildren(...list.map(a => open.get(a.id) || approvalRow(a)));
}

function approvalRow(a) {
  const reason = el('input', { class: 'reason', placeholder: 'reason (required)', 'aria-label': 'reason for denying' });
  const form = el('div', { class: 'deny-form' }, reason,
    el('button', { type: 'button', class: 'confirm-deny', onclick: () => decide(a.id, 'deny', reason.value, row) }, 'Deny'),
    el('button', { type: 'button', class: 'cancel', onclick: () => form.classList.remove('open') }, 'Cancel'));
  const row = el('tr', { 'data-approval': a.id, 'data-status': a.status },
    el('td', {}, time(a.held_at)),
    el('td', {}, a.gate || '–'),
    el('td', {}, el('b', {}, a.summary || '(no subject)'), ' ', el('span', { class: 'meta' }, '[' + (a.type || '?') + '] ' + a.subject)),
    el('td', {}, (a.from || '?') + ' → ' + (a.to || '?')),
    el('td', {}, a.status),
    el('td', {}, a.timeout_at ? time(a.timeout_at) + ' (' + (a.on_timeout || '') + ')' : '–'),
    el('td', {},
      el('button', { type: 'button', class: 'approve', onclick: () => decide(a.id, 'approve', null, row) }, 'Approve'), ' ',
      el('button', { type: 'button', class: 'deny', onclick: () => { form.classList.add('open'); reason.focus(); } }, 'Deny'),
      form));
  return row;
}

async function decide(id, verb, reason, row) {
  const msg = document.getElementById('approval-msg');
  if (verb === 'deny' && !(reason || '').trim()) {
    msg.className = 'msg error';
    msg.textContent = 'A denial needs a reason.';
    return;
  }
  row.querySelectorAll('button').forEach(b => { b.disabled = true; });
  try {
    const a = await api('api/approvals/' + encodeURIComponent(id) + '/' + verb, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(reason ? { reason } : {})
    });
    msg.className = 'msg ok';
    msg.textContent = id + ' ' + a.status + ' by ' + (a.decided_by || '?') + (a.reason ? ': ' + a.reason : '');
    row.querySelector('.deny-form').classList.remove('open');
  } catch (e) {
    msg.className = 'msg error';
    msg.textContent = 'Could not ' + verb + ' ' + id + ': ' + e.message;
    row.querySelectorAll('button').forEach(b => { b.disabled = false; });
  }
  scheduleRefresh();
}

function amount(spent, limit, money) {
  const fmt = v => money ? '$' + (v / 1e6).toFixed(2) : Number(v).toLocaleString();
  const text = fmt(spent) + (limit === null || limit === undefined ? '' : ' / ' + fmt(limit));
  return el('td', { class: 'num' + (limit !== null && limit !== undefined && spent >= limit ? ' over' : '') }, text);
}

function renderBudgets(rows) {
  const body = document.querySelector('#budgets tbody');
  body.replaceChildren(...rows.map(r => el('tr', { 'data-budget': r.scope + '.' + r.id },
    el('td', {}, r.scope), el('td', {}, r.id, r.overridden ? el('span', { class: 'meta', title: 'a human changed the limits' }, ' *') : ''),
    amount(r.tokens_today, r.tokens_per_day, false), amount(r.tokens_this_month, r.tokens_per_month, false),
    amount(r.micro_usd_today, r.micro_usd_per_day, true), amount(r.micro_usd_this_month, r.micro_usd_per_month, true))));
}

// ---- dead letters -------------------------------------------------------------------------------------------------

async function refreshDlq() {
  let rows;
  try { rows = await api('api/dlq'); } catch (e) { return; }
  const body = document.querySelector('#dlq tbody');
  document.getElementById('dlq-count').textContent = rows.length ? rows.length + ' stored' : '';
  document.getElementById('no-dlq').style.display = rows.length ? 'none' : '';
  document.getElementById('dlq').style.display = rows.length ? '' : 'none';
  body.replaceChildren(...rows.slice().reverse().map(r => el('tr', { 'data-seq': r.seq },
    el('td', {}, r.seq), el('td', {}, time(r.stored)), el('td', {}, r.original_subject || '–'),
    el('td', {}, r.code ? 'OM-' + r.code : '–'), el('td', {}, r.reason || ''), el('td', {}, r.envelope_id || '–'),
    el('td', {}, el('button', { type: 'button', class: 'replay', onclick: ev => replay(r.seq, ev.target) }, 'Replay')))));
}

async function replay(seq, button) {
  const msg = document.getElementById('dlq-msg');
  button.disabled = true;
  try {
    const r = await api('api/dlq/' + seq + '/replay', { method: 'POST', body: '{}' });
    msg.className = 'msg ok';
    msg.textContent = 'Dead letter ' + seq + ' replayed as ' + r.replayed;
  } catch (e) {
    msg.className = 'msg error';
    msg.textContent = 'Could not replay ' + seq + ': ' + e.message;
  }
  button.disabled = false;
}

// ---- feed ---------------------------------------------------------------------------------------------------------

function fillFilters(org) {
  const team = document.getElementById('f-team');
  org.teams.forEach(t => team.append(el('option', { value: t.id }, t.name)));
  const agent = document.getElementById('f-agent');
  org.members.forEach(m => agent.append(el('option', { value: m.id }, m.name + ' (' + m.id + ')')));
}

function filters() {
  const p = new URLSearchParams();
  const team = document.getElementById('f-team').value;
  const agent = document.getElementById('f-agent').value;
  const thread = document.getElementById('f-thread').value.trim();
  if (team) p.set('team', team);
  if (agent) p.set('agent', agent);
  if (thread) p.set('thread', thread);
  return p.toString();
}

function feedItem(e) {
  const head = [el('span', { class: 'time' }, time(e.received)), el('span', { class: 'subject' }, e.subject)];
  if (e.problem) {
    return el('li', { 'data-seq': e.seq, class: 'feed-entry' }, head, el('span', { class: 'raw', title: e.problem }, e.body));
  }
  return el('li', { 'data-seq': e.seq, class: 'feed-entry', 'data-thread': e.thread || e.id || '' }, head,
    el('span', { class: 'type' }, e.type || '?'),
    el('b', {}, e.from || '?'),
    e.claimed_from ? el('span', { class: 'forged', title: 'the message claims another sender: it was dead-lettered, not handled' }, ' (claims ' + e.claimed_from + ')') : null,
    ' → ', el('b', {}, e.to || '?'), ' ',
    e.title ? el('span', {}, e.title) : null, ' ',
    e.thread || e.id ? el('span', { class: 'thread', title: 'show this thread only',
      onclick: () => { document.getElementById('f-thread').value = e.thread || e.id; restartFeed(); } },
      '#' + (e.thread || e.id)) : null);
}

function addFeed(entries) {
  const list = document.getElementById('feed');
  for (const e of entries) {
    if (state.seen.has(e.seq)) continue;
    state.seen.add(e.seq);
    list.prepend(feedItem(e));
  }
  while (list.children.length > 500) list.lastElementChild.remove();
}

async function restartFeed() {
  if (state.source) state.source.close();
  state.seen.clear();
  document.getElementById('feed').replaceChildren();
  const q = filters();
  const live = document.getElementById('live');
  const source = new EventSource('api/stream' + (q ? '?' + q : ''));
  state.source = source;
  source.onopen = () => { live.className = 'badge on'; live.textContent = 'live'; };
  source.onerror = () => { live.className = 'badge off'; live.textContent = 'reconnecting…'; };
  source.onmessage = ev => {
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (m.kind === 'message') addFeed([m.entry]);
    else if (m.kind === 'changed') { if (m.what === 'dlq') refreshDlq(); else scheduleRefresh(); }
    else if (m.kind === 'hello') { live.className = 'badge on'; live.textContent = 'live'; }
  };
  try { addFeed(await api('api/feed' + (q ? '?' + q : ''))); } catch (e) { /* the stream still runs */ }
}

document.getElementById('f-team').addEventListener('change', restartFeed);
document.getElementById('f-agent').addEventListener('change', restartFeed);
document.getElementById('f-thread').addEventListener('change', restartFeed);
document.getElementById('f-clear').addEventListener('click', () => {
  document.getElementById('f-team').value = '';
  document.getElementById('f-agent').value = '';
  document.getElementById('f-thread').value = '';
  restartFeed();
});

// ---- login ----------------------------------------------------------------------------------------------------------

// The URL `orgmesh up` prints carries the console's token (?token=…): it is exchanged for a session cookie at once
// and removed from the address bar; after a reload the cookie's session is asked for its CSRF token.
async function login() {
  const token = new URLSearchParams(location.search).get('token');
  const notice = document.getElementById('login');
  try {
    let s;
    if (token) {
      history.replaceState(null, '', location.pathname);
      s = await api('api/login', { method: 'POST', body: JSON.stringify({ token }) });
    } else {
      s = await api('api/session');
    }
    state.csrf = s.csrf;
    notice.hidden = true;
    return true;
  } catch (e) {
    notice.hidden = false;
    notice.textContent = 'Not logged in (' + e.message + '). Open the console with the URL that `orgmesh up` printed.';
    return false;
  }
}

login().then(ok => {
  if (!ok) return;
  refresh();
  refreshDlq();
  restartFeed();
  // Presence ages without any message (a silent agent goes down), so the snapshot is also fetched now and then.
  setInterval(refresh, 5000);
});
