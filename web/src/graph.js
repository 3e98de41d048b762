// The topology picture (cytoscape): this gateway as a box holding its ports,
// routers, networks and its VTEP; the remote VTEPs outside it, coloured by
// origin, joined to the VTEP by tunnels. Structure is rebuilt only when it
// changes; counters update the labels in place every second.
import cytoscape from 'cytoscape';
import { si, bits } from './format.js';

const FONT = '"JetBrains Mono", "DejaVu Sans Mono", ui-monospace, monospace';
const MAX_NETWORKS = 150; // beyond this the picture stops being readable: filter

const style = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-family': FONT,
      'font-size': 10,
      color: '#c9d1d9',
      'text-wrap': 'wrap',
      'text-valign': 'center',
      'text-halign': 'center',
      'line-height': 1.35,
      shape: 'round-rectangle',
      width: 'data(w)',
      height: 'data(h)',
      'background-color': '#1c2330',
      'border-width': 1,
      'border-color': '#3b4556',
    },
  },
  {
    selector: 'node.gw',
    style: {
      'text-valign': 'top',
      'text-halign': 'center',
      'text-margin-y': -4,
      'font-size': 11,
      'font-weight': 'bold',
      color: '#e3b341',
      'background-color': '#11161e',
      'background-opacity': 0.9,
      'border-color': '#9e6a03',
      'border-width': 1.5,
      padding: '22px',
    },
  },
  { selector: 'node.vtep', style: { shape: 'cut-rectangle', 'background-color': '#2d2408', 'border-color': '#d29922', 'border-width': 1.5 } },
  { selector: 'node.port', style: { 'background-color': '#1a1f27', 'border-color': '#6e7681' } },
  { selector: 'node.net', style: { 'background-color': '#0f2542', 'border-color': '#388bfd' } },
  { selector: 'node.rtr', style: { shape: 'ellipse', 'background-color': '#24173d', 'border-color': '#a371f7' } },
  { selector: 'node.remote', style: { 'background-color': '#13261a', 'border-color': '#3fb950' } },
  { selector: 'node.remote.learned', style: { 'background-color': '#2b230e', 'border-color': '#e3b341' } },
  { selector: 'node.remote.evpn', style: { 'background-color': '#2d1326', 'border-color': '#db61a2' } },
  { selector: 'node.remote.api', style: { 'background-color': '#0f2233', 'border-color': '#79c0ff' } },
  { selector: 'node.unresolved', style: { 'border-style': 'dashed', 'border-color': '#f85149', 'border-width': 2 } },
  {
    selector: 'edge',
    style: {
      width: 'data(width)',
      'line-color': '#3b4556',
      'curve-style': 'bezier',
      label: 'data(label)',
      'font-family': FONT,
      'font-size': 9,
      color: '#8b949e',
      'text-background-color': '#0d1117',
      'text-background-opacity': 0.85,
      'text-background-padding': '2px',
      'text-rotation': 'none',
    },
  },
  { selector: 'edge.tunnel', style: { 'line-color': '#2f6f3e', 'target-arrow-shape': 'none' } },
  { selector: 'edge.tunnel.learned', style: { 'line-color': '#7d5f14' } },
  { selector: 'edge.tunnel.evpn', style: { 'line-color': '#7c2a5d' } },
  { selector: 'edge.tunnel.api', style: { 'line-color': '#245b8a' } },
  { selector: 'edge.tunnel.unresolved', style: { 'line-style': 'dashed', 'line-color': '#f85149' } },
  { selector: 'edge.ifc', style: { 'line-color': '#5a3f8c', 'line-style': 'dotted' } },
  // Attachment (VLAN) and interface (address) labels sit at the port / router end.
  {
    selector: 'edge.att, edge.ifc',
    style: { label: '', 'source-label': 'data(label)', 'source-text-offset': 58, 'source-text-margin-y': -7 },
  },
  { selector: 'edge.nv', style: { 'line-color': '#1f4f8f' } },
  { selector: '.sel', style: { 'border-color': '#f0f6fc', 'border-width': 2.5, 'line-color': '#58a6ff', 'z-index': 10 } },
  { selector: 'node.net.sel', style: { 'background-color': '#1f4f8f' } },
  { selector: '.faded', style: { opacity: 0.35 } },
];

// A node's box from its label: the monospace font is ~6.1 px per character at 10 px.
function box(label, minW = 60) {
  const lines = label.split('\n');
  const w = Math.max(minW, Math.max(...lines.map((l) => l.length)) * 6.2 + 18);
  return { w, h: lines.length * 13.5 + 12 };
}

function node(id, classes, label, parent, extra = {}) {
  return { group: 'nodes', data: { id, label, parent, ...box(label), ...extra }, classes };
}

function edge(id, source, target, classes, label = '') {
  return { group: 'edges', data: { id, source, target, label, width: 1.5 }, classes };
}

const rateLine = (r, a = 'rx', b = 'tx') =>
  r ? `${a} ${si(r[`${a}_pps`])}/s  ${b} ${si(r[`${b}_pps`])}/s` : `${a} –  ${b} –`;

// Which networks a remote VTEP serves: by VNI, or named in the network's flood list.
export function remoteServes(remote, network) {
  return (
    (network.vni !== null && (remote.vnis || []).includes(network.vni)) ||
    (network.remotes || []).includes(remote.address)
  );
}

export class TopologyGraph {
  constructor(container, { onSelectNetwork }) {
    this.cy = cytoscape({
      container,
      style,
      elements: [],
      minZoom: 0.15,
      maxZoom: 3,
      boxSelectionEnabled: false,
      autoungrabify: false,
    });
    this.layoutName = 'columns';
    this.signature = '';
    this.selected = null;
    this.hidden = 0;
    this.cy.on('tap', 'node.net', (ev) => onSelectNetwork(ev.target.data('name')));
  }

  // topo: {node, vteps, networks, ports, routers}; rebuilds when the structure changed.
  update(topo, rates) {
    const networks = topo.networks.slice(0, MAX_NETWORKS);
    this.hidden = topo.networks.length - networks.length;
    const signature = JSON.stringify([
      topo.node,
      topo.vteps.local,
      topo.vteps.remotes.map((r) => [r.address, r.origin, r.vnis, r.resolved]),
      networks.map((n) => [n.name, n.vni, n.tenant, n.remotes, n.attachments]),
      topo.ports,
      topo.routers.map((r) => [r.name, r.l3_vni, r.interfaces]),
    ]);
    const rebuilt = signature !== this.signature;
    if (rebuilt) {
      this.signature = signature;
      this.build(topo, networks);
    }
    this.refreshLabels(topo, networks, rates);
    if (rebuilt) this.relayout(); // after the labels: they size the boxes
  }

  build(topo, networks) {
    const local = topo.vteps.local || {};
    const u = local.underlay || {};
    const els = [];
    els.push(node('gw', 'gw', `${topo.node || 'vgw'} · vgw gateway`, undefined));
    els.push(
      node('vtep', 'vtep', `VTEP ${local.source || '?'}:${local.udp_port || ''}\n${u.interface || '?'} · ${u.io || '?'} · mtu ${u.mtu || '?'}`, 'gw'),
    );
    const shownNets = new Set(networks.map((n) => n.name));
    const usedPorts = new Set();
    for (const n of networks) {
      els.push(node(`net:${n.name}`, 'net', '', 'gw', { name: n.name }));
      els.push(edge(`nv:${n.name}`, `net:${n.name}`, 'vtep', 'nv'));
      for (const a of n.attachments || []) {
        usedPorts.add(a.port);
        els.push(edge(`att:${a.port}:${a.vlan}:${n.name}`, `port:${a.port}`, `net:${n.name}`, 'att', a.vlan ? `vlan ${a.vlan}` : 'untagged'));
      }
    }
    for (const p of topo.ports) if (usedPorts.has(p) || topo.ports.length <= 64) els.push(node(`port:${p}`, 'port', p, 'gw', { name: p }));
    for (const r of topo.routers) {
      els.push(node(`rtr:${r.name}`, 'rtr', `${r.name}${r.l3_vni ? `\nL3 VNI ${r.l3_vni}` : ''}`, 'gw', { name: r.name }));
      for (const i of r.interfaces || [])
        if (shownNets.has(i.network)) els.push(edge(`ifc:${r.name}:${i.network}`, `rtr:${r.name}`, `net:${i.network}`, 'ifc', i.address));
    }
    for (const r of topo.vteps.remotes) {
      const cls = `remote ${r.origin || 'static'}${r.resolved === false ? ' unresolved' : ''}`;
      els.push(node(`rem:${r.address}`, cls, '', undefined, { address: r.address }));
      els.push(edge(`tun:${r.address}`, 'vtep', `rem:${r.address}`, `tunnel ${r.origin || 'static'}${r.resolved === false ? ' unresolved' : ''}`));
    }
    // Drop attachments to ports the configuration does not list (should not happen).
    const ids = new Set(els.filter((e) => e.group === 'nodes').map((e) => e.data.id));
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(els.filter((e) => e.group === 'nodes' || (ids.has(e.data.source) && ids.has(e.data.target))));
    });
    this.topo = topo;
    this.networks = networks;
    this.applySelection();
  }

  refreshLabels(topo, networks, rates) {
    const cy = this.cy;
    const setLabel = (ele, label) => {
      if (ele.empty() || ele.data('label') === label) return;
      ele.data({ label, ...(ele.isNode() ? box(label) : {}) });
    };
    cy.batch(() => {
      for (const n of networks) {
        const r = rates.networks.get(n.name);
        setLabel(
          cy.getElementById(`net:${n.name}`),
          `${n.name}\nVNI ${n.vni ?? 'local'} · ${n.tenant}\n${n.fdb_entries ?? 0} MACs  ${rateLine(r)}`,
        );
      }
      for (const p of topo.ports) setLabel(cy.getElementById(`port:${p}`), `${p}\n${rateLine(rates.ports.get(p))}`);
      for (const r of topo.vteps.remotes) {
        const rr = rates.remotes.get(r.address);
        const vnis = (r.vnis || []).length > 4 ? `${r.vnis.length} VNIs` : `VNI ${(r.vnis || []).join(',') || '–'}`;
        setLabel(
          cy.getElementById(`rem:${r.address}`),
          `${r.address}\n${r.origin || 'static'}${r.resolved === false ? ' · unresolved' : ''} · ${vnis}\n${rateLine(rr, 'tx', 'rx')}`,
        );
        const e = cy.getElementById(`tun:${r.address}`);
        if (!e.empty()) {
          const pps = rr ? rr.tx_pps + rr.rx_pps : 0;
          e.data({ label: rr ? bits(rr.tx_Bps + rr.rx_Bps) : '', width: 1.5 + Math.min(6, Math.log10(1 + pps) * 1.5) });
        }
      }
    });
  }

  setLayout(name) {
    this.layoutName = name;
    this.relayout();
  }

  relayout() {
    if (this.cy.nodes().empty()) return;
    let opts;
    if (this.layoutName === 'columns') opts = { name: 'preset', positions: this.columnPositions(), fit: true, padding: 24 };
    else if (this.layoutName === 'breadthfirst')
      opts = { name: 'breadthfirst', roots: '#vtep', directed: false, spacingFactor: 1.0, fit: true, padding: 24, animate: false };
    else opts = { name: 'cose', animate: false, fit: true, padding: 24, nodeDimensionsIncludeLabels: true, randomize: false, idealEdgeLength: () => 90 };
    this.cy.layout(opts).run();
  }

  fit() {
    this.cy.fit(undefined, 24);
  }

  // Left to right: ports and routers | networks | VTEP | remote VTEPs, each column
  // ordered by the mean position of its neighbours so edges cross as little as possible.
  columnPositions() {
    const cy = this.cy;
    const pos = {};
    const nets = this.networks;
    const gap = 62;
    nets.forEach((n, i) => (pos[`net:${n.name}`] = { x: 270, y: i * gap }));
    const mean = (ys, fallback) => (ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : fallback);
    const spread = (items, x, minGap) => {
      items.sort((a, b) => a.y - b.y);
      let last = -Infinity;
      for (const it of items) {
        it.y = Math.max(it.y, last + minGap);
        last = it.y;
        pos[it.id] = { x, y: it.y };
      }
    };
    const left = [];
    cy.nodes('.port').forEach((p, i) => {
      const ys = p.connectedEdges().targets('.net').map((t) => pos[t.id()]?.y).filter((y) => y !== undefined);
      left.push({ id: p.id(), y: mean(ys, i * gap) });
    });
    const routers = [];
    cy.nodes('.rtr').forEach((r) => {
      const ys = r.connectedEdges().targets('.net').map((t) => pos[t.id()]?.y).filter((y) => y !== undefined);
      routers.push({ id: r.id(), y: mean(ys, 0) + 0.5 });
    });
    spread([...left, ...routers], 0, 56);
    const mid = nets.length ? ((nets.length - 1) * gap) / 2 : 0;
    pos.vtep = { x: 520, y: mid };
    const remotes = [];
    const byAddress = new Map(this.topo.vteps.remotes.map((r) => [r.address, r]));
    cy.nodes('.remote').forEach((n) => {
      const r = byAddress.get(n.data('address'));
      const ys = nets.filter((net) => remoteServes(r, net)).map((net) => pos[`net:${net.name}`].y);
      remotes.push({ id: n.id(), y: mean(ys, mid) });
    });
    spread(remotes, 770, 62);
    return pos;
  }

  select(name) {
    this.selected = name;
    this.applySelection();
  }

  applySelection() {
    const cy = this.cy;
    cy.elements().removeClass('sel faded');
    if (!this.selected || !this.topo) return;
    const n = cy.getElementById(`net:${this.selected}`);
    if (n.empty()) return;
    const net = this.networks.find((x) => x.name === this.selected);
    let keep = n.union(n.connectedEdges()).union(n.connectedEdges().connectedNodes()).union(cy.getElementById('vtep'));
    for (const r of this.topo.vteps.remotes)
      if (remoteServes(r, net)) keep = keep.union(cy.getElementById(`rem:${r.address}`)).union(cy.getElementById(`tun:${r.address}`));
    keep.addClass('sel');
    cy.elements().not(keep).not('#gw').addClass('faded');
  }

  // What the picture shows, for the browser test and for debugging in the console.
  describe() {
    return this.cy.nodes().map((n) => ({ id: n.id(), classes: n.classes(), label: n.data('label') }));
  }
}
