/* global document, location, fetch, setInterval, URLSearchParams */
// The readers' status page: reads GET /api/v1/public/status and draws a map and a list. Plain
// script from this origin (the dashboard's CSP allows no inline script), no framework, small.
const TEXT = {
  zh: {
    title: '自助图书馆现在能借书吗？',
    other: 'English',
    lending: '可借书',
    returns_only: '仅可还书',
    closed: '暂停服务',
    since: (t) => `自 ${t} 起`,
    summary: (c) => `${c.lending} 台可借书，${c.returns_only} 台仅可还书，${c.closed} 台暂停服务`,
    updated: (t) => `更新于 ${t}，每 30 秒刷新`,
    map: '地图：每个点是一台自助图书馆，颜色表示现在的状态',
    failed: '暂时无法获取状态，请稍后再试',
  },
  en: {
    title: 'Can I borrow at a self-service library now?',
    other: '中文',
    lending: 'Lending now',
    returns_only: 'Returns only',
    closed: 'Closed',
    since: (t) => `since ${t}`,
    summary: (c) => `${c.lending} lending now, ${c.returns_only} returns only, ${c.closed} closed`,
    updated: (t) => `Updated ${t}; refreshed every 30 s`,
    map: 'Map: each dot is a self-service library, coloured by what it can do now',
    failed: 'The status cannot be fetched just now; please try again shortly',
  },
};
let lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'zh';
let last = null;

const $ = (id) => document.getElementById(id);
const time = (iso) =>
  new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawMap(machines) {
  const svg = $('map');
  svg.replaceChildren();
  if (machines.length === 0) return;
  const lats = machines.map((m) => m.lat);
  const lons = machines.map((m) => m.lon);
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const x = (lon) => 12 + ((lon - minLon) / (maxLon - minLon || 1)) * 296;
  const y = (lat) => 228 - ((lat - minLat) / (maxLat - minLat || 1)) * 216;
  for (const m of machines) {
    const dot = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
    dot.setAttribute('cx', x(m.lon).toFixed(1));
    dot.setAttribute('cy', y(m.lat).toFixed(1));
    dot.setAttribute('r', '5');
    dot.setAttribute('class', m.status);
    const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    title.textContent = `${name(m)}: ${TEXT[lang][m.status]}`;
    dot.append(title);
    svg.append(dot);
  }
}

const name = (m) => (lang === 'en' && m.nameEn ? m.nameEn : m.name);

function render() {
  const t = TEXT[lang];
  document.documentElement.lang = lang;
  document.title = t.title;
  $('title').textContent = t.title;
  $('language').textContent = t.other;
  $('language').lang = lang === 'zh' ? 'en' : 'zh';
  $('map-caption').textContent = t.map;
  if (!last) return;
  $('summary').textContent = t.summary(last.counts);
  $('updated').textContent = t.updated(time(last.generatedAt));
  drawMap(last.machines);
  $('machines').replaceChildren(
    ...last.machines.map((m) => {
      const item = el('li');
      item.append(el('div', 'name', name(m)));
      const district = lang === 'en' && m.districtEn ? m.districtEn : m.district;
      item.append(el('div', 'where', [district, m.address].filter(Boolean).join(' · ')));
      item.append(el('span', `badge ${m.status}`, t[m.status]));
      if (m.since) item.append(el('div', 'since', t.since(time(m.since))));
      return item;
    }),
  );
}

async function refresh() {
  try {
    const response = await fetch('api/v1/public/status', { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(String(response.status));
    last = await response.json();
  } catch {
    $('summary').textContent = TEXT[lang].failed;
  }
  render();
}

$('language').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  render();
});
render();
void refresh();
setInterval(() => void refresh(), 30_000);
