// The vgw Fabric Manager: what vgwd's JSON API knows, as one page that updates
// itself every second (polling; no reload). Topology picture in graph.js, the
// tables here. Every table element carries data-testid / data-* attributes with
// the raw values, so tests/browser/fabric_page.mjs can read what the page shows.
import './style.css';
import { getJson, getOptional } from './api.js';
import { TopologyGraph } from './graph.js';
import { el, fillBody, int, si, bits, bytes, formatAge } from './format.js';

const POLL_MS = 1000;
const POLL_HIDDEN_MS = 5000; // a background tab asks less often
const SLOW_EVERY = 5; // configuration and EVPN: every 5th poll
const MAX_ROWS = 500;
// A fabric this large makes the network and VTEP lists megabytes: ask for them
// every 30th poll only (the counters still update every second).
const BIG_FABRIC = 2000;
const BIG_EVERY = 30;

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

const state = {
  vteps: { local: null, remotes: [] },
  networks: [],
  counters: null,
  drops: [],
  config: null,
  evpn: { state: 'absent', data: null },
  routes: { state: 'absent', data: null },
  fdb: null,
  arp: null, // the selected network's ARP/ND entries, when vgwd has routers
  selected: null,
  filter: '',
  prev: null, // {t, counters, drops}: the last sample, for the rates
  rates: { networks: new Map(), ports: new Map(), remotes: new Map(), drops: new Map(), underlay: null },
  ticks: 0,
};

// --- rates from two successive counter samples ---------------------------------

function rateOf(cur, prev, dt) {
  if (!prev || dt <= 0) return null;
  const d = (f) => Math.max(0, ((cur[f] ?? 0) - (prev[f] ?? 0)) / dt);
  return { rx_pps: d('rx_packets'), tx_pps: d('tx_packets'), rx_Bps: d('rx_bytes'), tx_Bps: d('tx_bytes') };
}

function computeRates(now) {
  const prev = state.prev;
  const dt = prev ? (now - prev.t) / 1000 : 0;
  const c = state.counters || {};
  const index = (list, key) => new Map((list || []).map((x) => [x[key], x]));
  const pc = prev ? prev.counters : {};
  const mk = (list, prevList, key) => {
    const p = index(prevList, key);
    return new Map((list || []).map((x) => [x[key], rateOf(x, p.get(x[key]), dt)]));
  };
  state.rates = {
    networks: mk(c.networks, pc.networks, 'name'),
    ports: mk(c.ports, pc.ports, 'name'),
    remotes: mk(c.remotes, pc.remotes, 'address'),
    underlay: c.underlay ? rateOf(c.underlay, pc.underlay, dt) : null,
    drops: new Map(
      state.drops.map((d) => {
        const p = prev ? prev.drops.find((x) => x.reason === d.reason) : null;
        return [d.reason, p && dt > 0 ? Math.max(0, (d.count - p.count) / dt) : null];
      }),
    ),
  };
  state.prev = { t: now, counters: c, drops: state.drops };
}

// --- polling -------------------------------------------------------------------

async function poll() {
  const slow = state.ticks % SLOW_EVERY === 0;
  const big = state.networks.length > BIG_FABRIC || (state.vteps.remotes || []).length > BIG_FABRIC;
  const lists = !big || state.ticks % BIG_EVERY === 0;
  const asked = state.selected;
  const sel = asked ? encodeURIComponent(asked) : null;
  const [vteps, networks, counters, drops, config, evpn, routes, fdb, arp] = await Promise.all([
    lists ? getJson('/api/v1/vteps') : state.vteps,
    lists ? getJson('/api/v1/networks') : state.networks,
    getJson('/api/v1/counters'),
    getJson('/api/v1/drops'),
    slow || !state.config ? getJson('/api/v1/config') : null,
    slow ? getOptional('/api/v1/evpn/peers') : null,
    slow ? getOptional('/api/v1/routes') : null,
    sel ? getJson(`/api/v1/fdb?network=${sel}`).catch((e) => ({ error: e.message })) : null,
    sel ? getOptional(`/api/v1/arp?network=${sel}`).catch(() => null) : null,
  ]);
  Object.assign(state, { vteps, networks, counters, drops });
  if (config) state.config = config;
  if (evpn) state.evpn = evpn;
  if (routes) state.routes = routes;
  if (state.selected === asked) {
    // (a click during this poll already asked for the new network's table)
    state.fdb = fdb;
    state.arp = arp && arp.state === 'ok' ? arp.data : null;
  }
  computeRates(performance.now());
  state.ticks += 1;
}

function setStatus(kind, text) {
  const s = $('status');
  s.dataset.state = kind;
  s.dataset.ticks = String(state.ticks);
  s.querySelector('span').textContent = text;
}

async function loop() {
  try {
    await poll();
    render();
    setStatus('live', `live · ${new Date().toLocaleTimeString('en-GB')}`);
  } catch (e) {
    setStatus('down', `no data: ${e.message}`);
  }
  setTimeout(loop, document.hidden ? POLL_HIDDEN_MS : POLL_MS);
}

// --- rendering -----------------------------------------------------------------

function counterCell(scope, name, field, value, text) {
  return el('td', { class: 'n', dataset: { testid: 'counter', scope, name, field, value } }, text);
}

function rateCell(v) {
  return el('td', { class: 'n' + (v ? ' live' : '') }, v === null || v === undefined ? '–' : si(v));
}

function topology() {
  const cfg = state.config || {};
  return {
    node: cfg.node ? cfg.node.name : '',
    vteps: state.vteps,
    networks: visibleNetworks(),
    ports: (cfg.ports || []).map((p) => p.name),
    routers: cfg.routers || [],
  };
}

function visibleNetworks() {
  const f = state.filter.trim().toLowerCase();
  if (!f) return state.networks;
  return state.networks.filter(
    (n) => n.name.toLowerCase().includes(f) || String(n.vni ?? '').includes(f) || (n.tenant || '').toLowerCase().includes(f),
  );
}

function renderHeader() {
  const cfg = state.config || {};
  const l = state.vteps.local || {};
  const u = l.underlay || {};
  const node = $('node-name');
  node.textContent = cfg.node ? cfg.node.name : '–';
  const v = $('local-vtep');
  v.textContent = l.source ? `${l.source}:${l.udp_port}` : '–';
  v.dataset.address = l.source || '';
  v.title = l.source_port_range ? `source ports ${l.source_port_range.join('–')}; unknown sources ${l.allow_unknown_sources ? 'allowed' : 'dropped'}` : '';
  $('underlay').textContent = u.interface ? `${u.interface} · ${u.io} · mtu ${u.mtu}` : '–';
  const e = state.evpn;
  const sum = $('evpn-summary');
  if (e.state === 'ok' && e.data && e.data.running) {
    const peers = e.data.peers || [];
    const up = peers.filter((p) => p.state === 'Established').length;
    sum.textContent = `AS ${e.data.asn} · ${up}/${peers.length} up`;
    sum.dataset.state = up === peers.length ? 'ok' : 'warn';
  } else {
    sum.textContent = e.state === 'absent' ? 'n/a' : 'off';
    sum.dataset.state = 'off';
  }
}

function renderNetworks() {
  const list = visibleNetworks();
  $('network-count').textContent = list.length === state.networks.length ? `${list.length}` : `${list.length} of ${state.networks.length}`;
  const rows = list.slice(0, MAX_ROWS).map((n) => {
    const r = state.rates.networks.get(n.name);
    const c = (state.counters?.networks || []).find((x) => x.name === n.name) || {};
    const select = () => selectNetwork(n.name);
    return el(
      'tr',
      {
        class: 'click' + (n.name === state.selected ? ' selected' : ''),
        tabindex: 0,
        title: `attachments: ${(n.attachments || []).map((a) => (a.vlan ? `${a.port}.${a.vlan}` : a.port)).join(', ') || 'none'}; flood ${n.flood}; remotes ${(n.remotes || []).join(', ') || 'none'}`,
        dataset: { testid: 'network-row', name: n.name, vni: n.vni ?? '', tenant: n.tenant },
        onclick: select,
        onkeydown: (ev) => ev.key === 'Enter' && select(),
      },
      el('td', { class: 'name' }, n.name),
      el('td', { class: 'n' }, n.vni ?? '–'),
      el('td', {}, n.tenant),
      el('td', { class: 'n' }, int(n.fdb_entries)),
      el('td', { class: 'n' + (r?.rx_pps ? ' live' : ''), dataset: { testid: 'counter', scope: 'network', name: n.name, field: 'rx_packets', value: c.rx_packets ?? 0 }, title: `${int(c.rx_packets)} packets, ${bytes(c.rx_bytes)} received` }, r ? si(r.rx_pps) : '–'),
      el('td', { class: 'n' + (r?.tx_pps ? ' live' : ''), dataset: { testid: 'counter', scope: 'network', name: n.name, field: 'tx_packets', value: c.tx_packets ?? 0 }, title: `${int(c.tx_packets)} packets, ${bytes(c.tx_bytes)} sent` }, r ? si(r.tx_pps) : '–'),
    );
  });
  fillBody($('networks'), rows, state.filter ? 'no network matches' : 'no networks', 6);
}

function renderRemotes() {
  const remotes = state.vteps.remotes || [];
  $('remote-count').textContent = `${remotes.length}`;
  const counters = new Map((state.counters?.remotes || []).map((r) => [r.address, r]));
  const rows = remotes.slice(0, MAX_ROWS).map((r) => {
    const rate = state.rates.remotes.get(r.address);
    const c = counters.get(r.address) || {};
    const vnis = r.vnis || [];
    return el(
      'tr',
      {
        class: r.resolved === false ? 'warn' : '',
        title: r.resolved === false ? 'next hop unresolved (no ARP answer / no route)' : `next hop ${r.next_hop_mac || '?'}`,
        dataset: { testid: 'remote-vtep', address: r.address, origin: r.origin, vnis: vnis.join(','), resolved: String(r.resolved) },
      },
      el('td', { class: 'name' }, r.address),
      el('td', {}, el('span', { class: `tag ${r.origin}` }, r.origin)),
      el('td', { class: 'vnis' }, vnis.length > 6 ? `${vnis.slice(0, 6).join(', ')} +${vnis.length - 6}` : vnis.join(', ')),
      el('td', { class: 'n', dataset: { testid: 'counter', scope: 'remote', name: r.address, field: 'tx_packets', value: c.tx_packets ?? 0 }, title: `${int(c.tx_packets)} packets, ${bytes(c.tx_bytes)}` }, rate ? si(rate.tx_pps) : '–'),
      el('td', { class: 'n', dataset: { testid: 'counter', scope: 'remote', name: r.address, field: 'rx_packets', value: c.rx_packets ?? 0 }, title: `${int(c.rx_packets)} packets, ${bytes(c.rx_bytes)}` }, rate ? si(rate.rx_pps) : '–'),
    );
  });
  fillBody($('remotes'), rows, 'no remote VTEPs', 5);
}

function renderEvpn() {
  const e = state.evpn;
  let rows = [];
  let empty = 'EVPN: this vgwd has no EVPN API';
  if (e.state === 'off') empty = 'EVPN: not configured';
  if (e.state === 'ok' && e.data) {
    empty = e.data.running ? 'no neighbours' : 'EVPN speaker not running';
    rows = (e.data.peers || []).map((p) =>
      el(
        'tr',
        { dataset: { testid: 'evpn-peer', address: p.address, state: p.state }, title: p.last_error ? `last error: ${p.last_error}` : `router id ${p.peer_router_id || '?'}, hold ${p.hold_time}s` },
        el('td', { class: 'name' }, p.address),
        el('td', {}, `${p.remote_as} ${p.type === 'ebgp' ? 'e' : 'i'}`),
        el('td', {}, el('span', { class: `tag ${p.state === 'Established' ? 'ok' : 'bad'}` }, p.state)),
        el('td', { class: 'n' }, p.state === 'Established' ? formatAge(p.uptime_s) : '–'),
        el('td', { class: 'n' }, int(p.routes_received)),
        el('td', { class: 'n' }, int(p.routes_sent)),
      ),
    );
  }
  fillBody($('evpn-peers'), rows, empty, 6);
}

function renderPorts() {
  const ports = state.counters?.ports || [];
  const rows = ports.map((p) => {
    const r = state.rates.ports.get(p.name);
    return el(
      'tr',
      { dataset: { testid: 'port-row', name: p.name } },
      el('td', { class: 'name' }, p.name),
      rateCell(r?.rx_pps),
      rateCell(r?.tx_pps),
      counterCell('port', p.name, 'rx_packets', p.rx_packets, int(p.rx_packets)),
      counterCell('port', p.name, 'tx_packets', p.tx_packets, int(p.tx_packets)),
      el('td', { class: 'n' + (p.rx_dropped + p.tx_dropped ? ' bad' : '') }, int(p.rx_dropped + p.tx_dropped)),
    );
  });
  fillBody($('ports'), rows, 'no ports', 6);
}

function renderDataplane() {
  const c = state.counters || {};
  const u = c.underlay || {};
  const ur = state.rates.underlay;
  const f = c.fdb || {};
  const kv = (k, v, field) => el('tr', {}, el('th', {}, k), el('td', { class: 'n', dataset: field ? { testid: 'counter', scope: field[0], name: field[1], field: field[2], value: field[3] } : {} }, v));
  const rows = [
    kv('underlay rx', `${int(u.rx_packets)} pkts · ${ur ? `${si(ur.rx_pps)} pps · ${bits(ur.rx_Bps)}` : '–'}`, ['underlay', 'underlay', 'rx_packets', u.rx_packets ?? 0]),
    kv('underlay tx', `${int(u.tx_packets)} pkts · ${ur ? `${si(ur.tx_pps)} pps · ${bits(ur.tx_Bps)}` : '–'}`, ['underlay', 'underlay', 'tx_packets', u.tx_packets ?? 0]),
    kv('FDB entries', int(f.entries)),
    kv('learned · moves · aged', `${int(f.learned)} · ${int(f.moves)} · ${int(f.aged)}`),
    kv('MAC limit hit · frozen', `${int(f.mac_limit_exceeded)} · ${int(f.dup_frozen)}`),
    ...(c.workers || []).map((w) => kv(`worker ${w.id} rx · tx`, `${int(w.rx_packets)} · ${int(w.tx_packets)}`)),
  ];
  $('dataplane').tBodies[0].replaceChildren(...rows);
}

function renderDrops() {
  const drops = [...state.drops].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  const total = drops.reduce((s, d) => s + d.count, 0);
  $('drop-total').textContent = total ? `${int(total)} total` : 'none';
  const rows = drops.map((d) => {
    const r = state.rates.drops.get(d.reason);
    return el(
      'tr',
      { class: d.count ? (r ? 'bad' : '') : 'zero', dataset: { testid: 'drop-row', reason: d.reason, count: d.count } },
      el('td', { class: 'name' }, d.reason),
      el('td', { class: 'n' }, int(d.count)),
      el('td', { class: 'n' }, r ? si(r) : d.count ? '0' : ''),
    );
  });
  fillBody($('drops'), rows, 'no drop counters', 3);
}

function renderRouters() {
  const routers = state.config?.routers || [];
  const rows = [];
  for (const r of routers) {
    const ifs = r.interfaces || [];
    if (ifs.length === 0) rows.push(el('tr', { dataset: { testid: 'router-row', name: r.name } }, el('td', { class: 'name' }, r.name), el('td', {}, '–'), el('td', {}, '–')));
    ifs.forEach((i, k) =>
      rows.push(
        el(
          'tr',
          { dataset: { testid: 'router-row', name: r.name, network: i.network, address: i.address }, title: i.mac ? `gateway MAC ${i.mac}` : '' },
          el('td', { class: 'name' }, k === 0 ? `${r.name}${r.l3_vni ? ` (L3 VNI ${r.l3_vni})` : ''}` : ''),
          el('td', {}, i.network),
          el('td', {}, i.address),
        ),
      ),
    );
  }
  fillBody($('routers'), rows, 'no routers', 3);
}

// Where a MAC lives: behind a remote VTEP, on a port (and VLAN), or nowhere
// outside: this gateway's own (a router interface's MAC).
function where(e) {
  if (e.remote) return `→ ${e.remote}`;
  if (e.port) return e.vlan ? `${e.port} vlan ${e.vlan}` : e.port;
  return 'this gateway (router)';
}

function renderFdb() {
  const table = $('fdb-table');
  const title = $('fdb-title');
  const count = $('fdb-count');
  if (!state.selected) {
    title.textContent = 'MAC table — click a network';
    count.textContent = '';
    table.dataset.network = '';
    fillBody(table, [], 'select a network in the list or the picture', 7);
    return;
  }
  const net = state.networks.find((n) => n.name === state.selected);
  title.textContent = `MAC table — ${state.selected}${net && net.vni ? ` (VNI ${net.vni})` : ''}`;
  table.dataset.network = state.selected;
  if (!state.fdb) return; // the first answer is on its way
  if (state.fdb.error) {
    count.textContent = '';
    fillBody(table, [], state.fdb.error, 7);
    return;
  }
  const entries = [...state.fdb].sort((a, b) => a.type.localeCompare(b.type) || a.mac.localeCompare(b.mac));
  count.textContent = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`;
  table.dataset.loaded = 'true';
  const ips = new Map();
  for (const a of state.arp || []) ips.set(a.mac, [...(ips.get(a.mac) || []), a.ip]);
  const rows = entries.slice(0, MAX_ROWS * 4).map((e) =>
    el(
      'tr',
      { class: e.frozen ? 'bad' : '', dataset: { testid: 'fdb-row', mac: e.mac, type: e.type, port: e.port ?? '', remote: e.remote ?? '' } },
      el('td', { class: 'name' }, e.mac),
      el('td', { class: 'ip' }, (ips.get(e.mac) || []).join(', ')),
      el('td', {}, el('span', { class: `tag ${e.type}` }, e.type)),
      el('td', {}, where(e)),
      el('td', { class: 'n' }, e.type === 'static' || e.type === 'router' ? '–' : int(e.age)),
      el('td', { class: 'n' }, int(e.moves)),
      el('td', {}, e.frozen ? 'frozen' : ''),
    ),
  );
  fillBody(table, rows, 'no MACs in this network', 7);
}

function renderRoutes() {
  const r = state.routes;
  const routes = r.state === 'ok' && Array.isArray(r.data) ? r.data : [];
  $('route-count').textContent = routes.length ? `${routes.length}` : '';
  const rows = routes.slice(0, MAX_ROWS).map((x) =>
    el(
      'tr',
      { dataset: { testid: 'route-row', router: x.router, prefix: x.prefix, source: x.source } },
      el('td', { class: 'name' }, x.router),
      el('td', {}, x.prefix),
      el('td', {}, (x.via || []).length ? x.via.join(', ') : x.network ? `${x.network} (connected)` : '–'),
      el('td', {}, el('span', { class: `tag ${x.source}` }, x.source)),
    ),
  );
  fillBody($('routes'), rows, r.state === 'absent' ? 'this vgwd has no routes API' : 'no routes', 4);
}

let graph;

function render() {
  renderHeader();
  renderNetworks();
  renderRemotes();
  renderEvpn();
  renderPorts();
  renderDataplane();
  renderDrops();
  renderRouters();
  renderRoutes();
  renderFdb();
  graph.update(topology(), state.rates);
  const g = $('graph');
  g.dataset.nodes = String(graph.cy.nodes().length);
  g.dataset.hidden = String(graph.hidden);
}

function selectNetwork(name) {
  state.selected = state.selected === name ? null : name;
  state.fdb = null;
  state.arp = null;
  graph.select(state.selected);
  renderNetworks();
  renderFdb();
  if (state.selected) {
    const asked = state.selected;
    getJson(`/api/v1/fdb?network=${encodeURIComponent(asked)}`)
      .catch((e) => ({ error: e.message }))
      .then((fdb) => {
        if (state.selected !== asked) return;
        state.fdb = fdb;
        renderFdb();
      });
  }
}

function start() {
  graph = new TopologyGraph(document.getElementById('graph'), { onSelectNetwork: selectNetwork });
  window.vgwFabric = { graph, state }; // for the browser test and the console
  document.getElementById('layout').addEventListener('change', (e) => graph.setLayout(e.target.value));
  document.getElementById('fit').addEventListener('click', () => graph.fit());
  document.getElementById('net-filter').addEventListener('input', (e) => {
    state.filter = e.target.value;
    renderNetworks();
    graph.update(topology(), state.rates);
  });
  window.addEventListener('resize', () => graph.fit());
  loop();
}

start();
