// The first live page: one row per machine, updated from the socket.io push without reloads.
const kiosks = new Map();
const rows = new Map();
const tbody = document.querySelector('#kiosks tbody');
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Asia/Shanghai' });

function stateOf(k) {
  if (k.openFaults.some((f) => f.blocksLending)) return 'faulted';
  return k.connection;
}

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
    cell(state),
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
