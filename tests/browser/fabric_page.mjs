// Browser test of the web Fabric Manager: Debian's chromium driven by
// playwright-core (web/package.json devDependency; never a downloaded browser).
//
//   node tests/browser/fabric_page.mjs <url> <outdir> [--network NAME] [--timeout S]
//
// Loads the page, waits until it shows live data, reads what it shows from the
// DOM (data-testid attributes: the local and remote VTEPs, the networks with
// their VNIs, the picture's nodes, drops, EVPN peers, routers and routes), clicks NAME (default: the
// first network) and reads its MAC table, then watches that network's rx/tx
// packet counters until one moves without a reload (the caller keeps traffic
// flowing), and saves outdir/fabric.png. Prints one JSON object (also written to
// outdir/fabric.json); exits 1 with the reason on stderr when the page fails
// (no live data, a JavaScript error, a failed request, a counter that never moved).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

function parseArgs(argv) {
  const out = { network: null, timeout: 20 };
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--network') out.network = argv[++i];
    else if (argv[i] === '--timeout') out.timeout = Number(argv[++i]);
    else pos.push(argv[i]);
  }
  if (pos.length !== 2) {
    console.error('usage: node tests/browser/fabric_page.mjs <url> <outdir> [--network NAME] [--timeout S]');
    process.exit(2);
  }
  [out.url, out.outdir] = pos;
  return out;
}

const args = parseArgs(process.argv.slice(2));
fs.mkdirSync(args.outdir, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vgw-chromium-'));
const problems = [];
const responses = [];

const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1600, height: 1000 },
  deviceScaleFactor: 1,
});

let result;
try {
  result = await run(context);
} catch (e) {
  problems.push(String(e && e.message ? e.message : e));
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

const out = { ...(result || {}), problems, responses };
fs.writeFileSync(path.join(args.outdir, 'fabric.json'), JSON.stringify(out, null, 2));
console.log(JSON.stringify(out));
if (problems.length) {
  console.error(`fabric page: ${problems.join('\n')}`);
  process.exit(1);
}

async function run(ctx) {
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(args.timeout * 1000);
  // A vgwd without the optional EVPN / router APIs answers 404 there, which the
  // page expects (it says "n/a"); chromium logs those as console errors.
  const optional = /^\/api\/v1\/(evpn\/|routes|arp)/;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location()?.url ? new URL(m.location().url).pathname : '';
    if (/^Failed to load resource: .* 404/.test(m.text()) && optional.test(where)) return;
    problems.push(`console error: ${m.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) =>
    responses.push({
      path: new URL(r.url()).pathname + new URL(r.url()).search,
      status: r.status(),
      content_type: r.headers()['content-type'] || '',
      cache_control: r.headers()['cache-control'] || '',
    }),
  );

  const nav = await page.goto(args.url, { waitUntil: 'load' });
  if (!nav || nav.status() !== 200) throw new Error(`GET ${args.url}: ${nav ? nav.status() : 'no answer'}`);
  await page.evaluate(() => (window.__vgwLoadMarker = Math.random()));
  const marker = await page.evaluate(() => window.__vgwLoadMarker);

  // Live: the status says so and the picture has been drawn.
  await page.waitForSelector('[data-testid="status"][data-state="live"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="graph"]').dataset.nodes) > 0);
  await page.waitForSelector('[data-testid="network-row"]');

  const shown = await page.evaluate(() => {
    const all = (sel) => [...document.querySelectorAll(sel)];
    return {
      node: document.querySelector('[data-testid="node-name"]').textContent,
      local_vtep: document.querySelector('[data-testid="local-vtep"]').dataset.address,
      underlay: document.querySelector('[data-testid="underlay"]').textContent,
      remotes: all('[data-testid="remote-vtep"]').map((r) => ({
        address: r.dataset.address,
        origin: r.dataset.origin,
        vnis: r.dataset.vnis ? r.dataset.vnis.split(',').map(Number) : [],
        resolved: r.dataset.resolved === 'true',
      })),
      networks: all('[data-testid="network-row"]').map((r) => ({
        name: r.dataset.name,
        vni: r.dataset.vni === '' ? null : Number(r.dataset.vni),
        tenant: r.dataset.tenant,
      })),
      drops: all('[data-testid="drop-row"]').map((r) => ({ reason: r.dataset.reason, count: Number(r.dataset.count) })),
      evpn_peers: all('[data-testid="evpn-peer"]').map((r) => ({ address: r.dataset.address, state: r.dataset.state })),
      routes: all('[data-testid="route-row"]').map((r) => ({ router: r.dataset.router, prefix: r.dataset.prefix, source: r.dataset.source })),
      routers: all('[data-testid="router-row"]').map((r) => ({ name: r.dataset.name, network: r.dataset.network || null, address: r.dataset.address || null })),
      graph: window.vgwFabric.graph.describe(),
    };
  });

  // The MAC table of one network, opened by a click as a user would.
  const network = args.network || shown.networks[0]?.name;
  if (!network) throw new Error('the page lists no network');
  await page.click(`[data-testid="network-row"][data-name="${network}"]`);
  await page.waitForSelector(`[data-testid="fdb-table"][data-network="${network}"][data-loaded="true"]`);
  const fdb = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="fdb-row"]')].map((r) => ({
      mac: r.dataset.mac,
      type: r.dataset.type,
      port: r.dataset.port || null,
      remote: r.dataset.remote || null,
    })),
  );

  // A counter moves while traffic flows, with no reload.
  const readCounters = () =>
    page.evaluate((net) => {
      const v = (f) =>
        Number(document.querySelector(`[data-testid="counter"][data-scope="network"][data-name="${net}"][data-field="${f}"]`)?.dataset.value ?? NaN);
      return { rx_packets: v('rx_packets'), tx_packets: v('tx_packets'), ticks: Number(document.querySelector('[data-testid="status"]').dataset.ticks) };
    }, network);
  const before = await readCounters();
  let after = before;
  const deadline = Date.now() + args.timeout * 1000;
  while (Date.now() < deadline) {
    await page.waitForTimeout(500);
    after = await readCounters();
    if (after.rx_packets > before.rx_packets && after.tx_packets > before.tx_packets && after.ticks >= before.ticks + 2) break;
  }
  const moved = after.rx_packets > before.rx_packets && after.tx_packets > before.tx_packets;
  if (!moved) problems.push(`counters of ${network} did not move: before ${JSON.stringify(before)} after ${JSON.stringify(after)}`);
  const sameDocument = (await page.evaluate(() => window.__vgwLoadMarker)) === marker;
  if (!sameDocument) problems.push('the page reloaded itself');

  // Let one more poll paint the rates, then keep the picture.
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid="status"]').dataset.ticks) > t, after.ticks);
  const screenshot = path.join(args.outdir, 'fabric.png');
  await page.screenshot({ path: screenshot });

  return { url: args.url, ...shown, network, fdb, counters: { before, after, moved, same_document: sameDocument }, screenshot };
}
