// Number and DOM helpers shared by the tables and the picture.

const grouped = new Intl.NumberFormat('en-US');

// 1234567 -> "1,234,567" (exact totals).
export function int(n) {
  return n === undefined || n === null ? '–' : grouped.format(n);
}

// A rate or size with an SI suffix: 0.4 -> "0.4", 1530 -> "1.53k", 2.1e6 -> "2.10M".
export function si(n, unit = '') {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  const a = Math.abs(n);
  const steps = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [f, s] of steps) {
    if (a >= f) return `${(n / f).toFixed(n / f >= 100 ? 0 : n / f >= 10 ? 1 : 2)}${s}${unit}`;
  }
  if (a === 0) return `0${unit}`;
  return `${a >= 10 ? n.toFixed(0) : n.toFixed(1)}${unit}`;
}

export const bytes = (n) => si(n, 'B');
export const bits = (bytesPerSecond) => si(bytesPerSecond * 8, 'b/s');

// el('td', {class: 'n', dataset: {value: 3}}, 'text', child...): built with
// textContent, never innerHTML, so names from the configuration cannot inject markup.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') {
      for (const [dk, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) e.dataset[dk] = String(dv);
    } else if (k === 'class') {
      e.className = v;
    } else if (k.startsWith('on') && typeof v === 'function') {
      e.addEventListener(k.slice(2), v);
    } else {
      e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// Replaces a tbody's rows in one step (the tables are redrawn every second).
export function fillBody(table, rows, emptyText, columns) {
  const body = table.tBodies[0];
  if (rows.length === 0) {
    body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: columns }, emptyText)));
    return;
  }
  body.replaceChildren(...rows);
}

export function formatAge(seconds) {
  if (seconds === undefined || seconds === null) return '–';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
