// The page's DOM helpers and formats: elements are built with textContent only (task names and
// errors are data, never markup).

const PALETTE = ['#4c8dff', '#3fb27f', '#d29922', '#b083f0', '#e5534b', '#39c5cf', '#f778ba', '#8ddb8c', '#f0883e'];

const SVG = 'http://www.w3.org/2000/svg';

export const $ = (sel) => document.querySelector(sel);

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'style')
      Object.assign(e.style, v); // CSSOM, allowed by the page's CSP (style attributes are not)
    else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  return e;
}

export function fmtMs(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

export function fmtQty(resource, v) {
  if (resource === 'memory' || resource === 'object_store_memory') {
    if (v >= 2 ** 30) return `${(v / 2 ** 30).toFixed(1)} GiB`;
    if (v >= 2 ** 20) return `${(v / 2 ** 20).toFixed(0)} MiB`;
    return `${v} B`;
  }
  return String(Math.round(v * 10_000) / 10_000);
}

export function fmtResources(r) {
  if (!r) return '';
  return Object.entries(r)
    .filter(([k]) => !k.startsWith('node:') && !k.startsWith('accelerator_type:'))
    .map(([k, v]) => `${k} ${fmtQty(k, v)}`)
    .join(', ');
}

export const colorOf = (name) => {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
};

export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
