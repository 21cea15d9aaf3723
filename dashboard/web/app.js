// The first live page: one row per machine, updated from the socket.io push without reloads.
const kiosks = new Map();
const rows = new Map();
const tbody = document.querySelector('#kiosks tbody');
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Asia/Shanghai' });

// Service state from fleet health: in_service, degraded, out_of_service, offline, paused, maintenance, withdrawn, reserve, unknown.
function stateOf(k) {
  return k.serviceState ?? k.connection;
}

const label = (state) => state.replace(/_/g, ' ');

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function render(k) {
  let tr = rows.get(k.id);
  if (!tr) {
    tr = document.createElement('tr');
    tr.dataset.kiosk = k.id;
    rows.set(k.id, tr);
    const after = [...rows.keys()].sort().find((id) => id > k.id);
    tbody.insertBefore(tr, after ? rows.get(after) : null);
  }
  const state = stateOf(k);
  tr.dataset.state = state;
  tr.replaceChildren(
    cell(k.id),
    cell(k.name),
    cell(k.districtEn ?? k.district ?? ''),
    cell(label(state)),
    cell(k.lastSeen ? timeFormat.format(new Date(k.lastSeen)) : '—'),
    cell(k.openFaults.map((f) => `${f.code} (${f.severity})`).join(', ') || '—'),
    cell(k.today ? String(k.today.loans) : '0'),
    cell(k.today ? String(k.today.returns) : '0'),
    cell(k.telemetry?.binFillPercent !== undefined ? `${Math.round(k.telemetry.binFillPercent)} %` : '—'),
    cell(k.telemetry?.paperPercent !== undefined ? `${Math.round(k.telemetry.paperPercent)} %` : '—'),
  );
}

function summarise() {
  const all = [...kiosks.values()];
  const count = (pred) => String(all.filter(pred).length);
  document.getElementById('count-all').textContent = String(all.length);
  document.getElementById('count-online').textContent = count((k) => k.connection === 'online');
  document.getElementById('count-offline').textContent = count((k) => k.connection === 'offline');
  document.getElementById('count-unknown').textContent = count((k) => k.connection === 'unknown');
  document.getElementById('count-faulted').textContent = count((k) => k.openFaults.length > 0);
  document.getElementById('count-out-of-service').textContent = count(
    (k) => k.serviceState === 'out_of_service' || k.serviceState === 'offline',
  );
  document.getElementById('count-loans').textContent = String(all.reduce((n, k) => n + (k.today?.loans ?? 0), 0));
  document.getElementById('count-returns').textContent = String(all.reduce((n, k) => n + (k.today?.returns ?? 0), 0));
}

function update(list) {
  for (const k of list) {
    kiosks.set(k.id, k);
    render(k);
  }
  summarise();
}

const status = document.getElementById('connection');
const socket = io();
socket.on('connect', () => (status.textContent = 'Live'));
socket.on('disconnect', () => (status.textContent = 'Disconnected — reconnecting…'));
socket.on('snapshot', (snapshot) => {
  kiosks.clear();
  rows.clear();
  tbody.replaceChildren();
  update(snapshot.kiosks);
  document.body.dataset.ready = 'true';
});
socket.on('kiosks', update);

// Alerts: the open ones on connect, then each one that changes.
const alerts = new Map();
const alertBody = document.querySelector('#alerts tbody');

function renderAlerts() {
  const open = [...alerts.values()].filter((a) => a.state !== 'resolved').sort((a, b) => (a.openedAt < b.openedAt ? 1 : -1));
  document.getElementById('count-alerts').textContent = String(open.length);
  alertBody.replaceChildren(
    ...open.map((a) => {
      const tr = document.createElement('tr');
      tr.dataset.alert = a.id;
      tr.dataset.state = a.state;
      tr.replaceChildren(
        cell(a.kioskId),
        cell(a.title),
        cell(a.severity),
        cell(a.state),
        cell(timeFormat.format(new Date(a.openedAt))),
        cell(timeFormat.format(new Date(a.response.deadline))),
        cell(a.escalations.length > 0 ? `${a.escalations.at(-1).percent} %` : '—'),
        cell(a.assignee ? a.assignee.name : '—'),
      );
      return tr;
    }),
  );
}

socket.on('alerts', (list) => {
  for (const a of list) alerts.set(a.id, a);
  renderAlerts();
});

// Fleet uptime over the last 24 hours, with the counting rules beside the figure.
async function refreshUptime() {
  try {
    const res = await window.fetch('/api/v1/uptime?window=24h');
    if (!res.ok) return;
    const body = await res.json();
    const ratio = body.fleet.uptimeRatio;
    document.getElementById('uptime-24h').textContent = ratio === null ? '—' : `${(ratio * 100).toFixed(2)} %`;
    document.getElementById('uptime-rules').replaceChildren(
      ...body.rules.map((rule) => {
        const li = document.createElement('li');
        li.textContent = rule;
        return li;
      }),
    );
  } catch {
    // The next refresh tries again.
  }
}
refreshUptime();
window.setInterval(refreshUptime, 60_000);
