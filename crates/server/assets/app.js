// The trace viewer: pick a policy, fill a form generated from its facts
// schema, decide through the API, read each benefit's status and amount,
// the trace as a tree, and the quoted sentence highlighted in the source
// document. No framework: the DOM is built with textContent only (no HTML
// from data), so nothing a policy or an applicant says can run as code.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { policy: null, detail: null, schema: null, doc: null, decision: null, facts: null };

const STATUS = {
  eligible: '符合 eligible',
  ineligible: '不符合 ineligible',
  not_applicable: '不适用 not applicable',
  undetermined: '待定 undetermined',
};
const VERDICT = { pass: ['✓', 'v-pass'], fail: ['✗', 'v-fail'], unknown: ['?', 'v-unknown'], info: ['·', 'v-info'] };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// The bearer token, when the service needs one: typed by the caseworker,
// kept in this tab's sessionStorage, sent on every API call, never put in a
// shared URL or a download.
function withToken(opts) {
  const field = $('token');
  const token = field ? field.value.trim() : '';
  if (!token) return opts;
  const o = Object.assign({}, opts || {});
  o.headers = Object.assign({}, (opts && opts.headers) || {}, { Authorization: 'Bearer ' + token });
  return o;
}

async function api(path, opts) {
  const r = await fetch(path, withToken(opts));
  let body = null;
  try { body = await r.json(); } catch (_) { body = null; }
  if (r.status === 401) {
    const field = $('token');
    if (field) { field.setAttribute('aria-invalid', 'true'); field.focus(); }
    const err = new Error('需要访问令牌 · this service needs a token: enter it above');
    err.body = body;
    throw err;
  }
  if ($('token')) $('token').removeAttribute('aria-invalid');
  if (!r.ok) {
    const err = new Error((body && body.message) || `HTTP ${r.status}`);
    err.body = body;
    throw err;
  }
  return body;
}

function say(text) { $('form-status').textContent = text; }

// ---------------------------------------------------------------- policies

async function init() {
  const token = $('token');
  if (token) {
    token.value = sessionStorage.getItem('policy-token') || '';
    token.addEventListener('change', () => sessionStorage.setItem('policy-token', token.value.trim()));
  }
  $('facts-form').addEventListener('submit', (e) => { e.preventDefault(); decide(); });
  $('share').addEventListener('click', share);
  $('download').addEventListener('click', download);
  $('clear').addEventListener('click', () => { fillForm({}); $('as-of').value = ''; say(''); });
  $('policy').addEventListener('change', () => loadPolicy($('policy').value, null));
  let list;
  try { list = await api('/v1/policies'); } catch (e) { say('无法读取政策列表: ' + e.message); return; }
  for (const p of list.policies) $('policy').append(el('option', { value: p.id }, `${p.title} (${p.id})`));
  const shared = readHash();
  const first = shared.policy && list.policies.some((p) => p.id === shared.policy) ? shared.policy : (list.policies[0] || {}).id;
  if (first) {
    $('policy').value = first;
    await loadPolicy(first, shared.policy === first ? shared : null);
  }
}

async function loadPolicy(id, shared) {
  // A later choice wins: an earlier load still in flight stops at its next
  // await instead of rebuilding the form over the one being filled.
  const ticket = (state.ticket = (state.ticket || 0) + 1);
  state.policy = id;
  state.decision = null;
  $('share').disabled = true;
  $('download').disabled = true;
  $('benefits').replaceChildren(el('p', { class: 'hint' }, '填写信息后点击“决定”。 Fill in the facts and press Decide.'));
  $('trace').replaceChildren();
  const enc = encodeURIComponent(id);
  const [detail, schema] = await Promise.all([api(`/v1/policies/${enc}`), api(`/v1/policies/${enc}/schema`)]);
  if (ticket !== state.ticket) return;
  let doc = null;
  try { doc = await api(`/v1/policies/${enc}/document`); } catch (_) { doc = null; }
  if (ticket !== state.ticket) return;
  state.detail = detail; state.schema = schema; state.doc = doc;
  const p = detail.policy;
  const window = [p.in_force_from, p.in_force_until].map((d) => d || '…').join(' – ');
  $('policy-meta').textContent = `${(p.documents || []).join(' / ')}  ·  施行 ${window}  ·  版本 ${p.version || '—'}  ·  hash ${p.content_hash.slice(0, 12)}`;
  $('source-name').textContent = doc ? doc.name : '';
  $('source').textContent = doc ? doc.text : '（无原文 no source document）';
  $('quote-info').textContent = '';
  buildForm(schema);
  $('facts-form').dataset.policy = id;
  if (shared) {
    fillForm(shared.facts || {});
    $('as-of').value = shared.as_of || '';
    if (shared.facts) await decide();
  }
}

// -------------------------------------------------------------------- form

function fieldId(name) { return 'f-' + name; }

function buildForm(schema) {
  const fields = $('fields');
  fields.replaceChildren();
  const required = new Set(schema.required || []);
  for (const [name, s] of Object.entries(schema.properties || {})) {
    fields.append(buildField(name, s, required.has(name)));
  }
}

// The schema's types without `null`: every fact may be null (absent), so
// each property's `type` is a list such as ["boolean", "null"].
function types(s) {
  return (Array.isArray(s.type) ? s.type : [s.type]).filter((t) => t !== 'null' && t !== undefined);
}

function kindOf(s) {
  const t = types(s);
  if (s.enum) return 'enum';
  if (t.length === 1 && t[0] === 'boolean') return 'bool';
  if (t.includes('integer')) return 'int';
  if (t.length === 1 && t[0] === 'string' && s.format === 'date') return 'date';
  if (t.includes('array') || t.includes('object')) return 'json';
  if (t.includes('number')) return s.$comment && s.$comment.includes('percent') ? 'percent' : 'decimal';
  return 'text';
}

function buildField(name, s, required) {
  const id = fieldId(name);
  const kind = kindOf(s);
  let input;
  if (kind === 'enum') {
    const labels = s['x-enum-labels'] || {};
    input = el('select', { id, name }, el('option', { value: '' }, '— 未填 —'),
      s.enum.filter((v) => v !== null).map((v) => el('option', { value: v }, labels[v] ? `${labels[v]} (${v})` : v)));
  } else if (kind === 'bool') {
    input = el('select', { id, name }, el('option', { value: '' }, '— 未填 —'),
      el('option', { value: 'true' }, '是 yes'), el('option', { value: 'false' }, '否 no'));
  } else if (kind === 'int') {
    input = el('input', { id, name, type: 'number', step: '1', inputmode: 'numeric', min: s.minimum, max: s.maximum });
  } else if (kind === 'date') {
    input = el('input', { id, name, type: 'date' });
  } else if (kind === 'json') {
    input = el('textarea', { id, name, placeholder: types(s).includes('array') ? '[ … ] JSON' : '{ … } JSON', spellcheck: 'false' });
  } else {
    const placeholder = kind === 'percent' ? '例 70%' : (s.pattern && s.pattern.includes('month') ? '例 12 months' : '');
    input = el('input', { id, name, type: 'text', inputmode: kind === 'decimal' || kind === 'percent' ? 'decimal' : undefined, placeholder });
  }
  input.dataset.kind = kind;
  const unit = s['x-unit'] ? el('span', { class: 'unit' }, s['x-unit'] === 'yuan' ? '元' : s['x-unit']) : null;
  const range = s.minimum !== undefined || s.maximum !== undefined ? ` [${s.minimum ?? '…'}, ${s.maximum ?? '…'}]` : '';
  return el('label', { class: 'field', for: id, id: 'wrap-' + name },
    el('span', { class: 'label' }, s.description || name, ' ', el('code', {}, name + range), required ? el('span', { class: 'req', title: 'required' }, ' *') : null),
    el('span', { class: 'row' }, input, unit),
    el('span', { class: 'err', id: 'err-' + name }));
}

function readForm() {
  const facts = {};
  const problems = [];
  for (const input of $('fields').querySelectorAll('input, select, textarea')) {
    const v = input.value.trim();
    if (v === '') continue;
    const name = input.name;
    switch (input.dataset.kind) {
      case 'bool': facts[name] = v === 'true'; break;
      case 'int': facts[name] = /^-?\d+$/.test(v) ? Number(v) : v; break;
      case 'json':
        try { facts[name] = JSON.parse(v); } catch (_) { problems.push(name); }
        break;
      default: facts[name] = v;
    }
  }
  return { facts, problems };
}

function fillForm(facts) {
  for (const input of $('fields').querySelectorAll('input, select, textarea')) {
    const v = facts[input.name];
    if (v === undefined || v === null) input.value = '';
    else if (input.dataset.kind === 'json') input.value = JSON.stringify(v);
    else input.value = String(v);
  }
  for (const e of $('fields').querySelectorAll('.err')) e.textContent = '';
}

function focusField(name) {
  const top = String(name).split(/[.[]/)[0];
  const input = $(fieldId(top));
  if (!input) return;
  input.focus();
  input.scrollIntoView({ block: 'center' });
  const wrap = $('wrap-' + top);
  wrap.classList.add('flash');
  setTimeout(() => wrap.classList.remove('flash'), 1500);
}

// ------------------------------------------------------------------ decide

async function decide() {
  for (const e of $('fields').querySelectorAll('.err')) e.textContent = '';
  const { facts, problems } = readForm();
  if (problems.length) {
    for (const p of problems) $('err-' + p).textContent = '不是有效的 JSON';
    say('有字段不是有效的 JSON。');
    focusField(problems[0]);
    return;
  }
  const q = new URLSearchParams({ trace: 'full' });
  if ($('as-of').value) q.set('as_of', $('as-of').value);
  say('正在决定… deciding…');
  let d;
  try {
    d = await api(`/v1/policies/${encodeURIComponent(state.policy)}/decide?${q}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(facts),
    });
  } catch (e) {
    const list = (e.body && e.body.details && e.body.details.problems) || [];
    for (const p of list) {
      const top = String(p.fact).split(/[.[]/)[0];
      const slot = $('err-' + top);
      if (slot) slot.textContent = `应为 ${p.expected}，收到 ${p.received}`;
    }
    say('无法决定: ' + e.message);
    if (list.length) focusField(list[0].fact);
    return;
  }
  state.decision = d; state.facts = facts;
  $('share').disabled = false;
  $('download').disabled = false;
  say(`已决定 decided · ${d.benefits.length} 项补贴 · 决定日期 ${d.reference_date || '—'}`);
  writeHash();
  showDecision(d);
  if (d.benefits.some((b) => b.status !== 'eligible')) whatIf(facts, q);
}

// "What would make this eligible?": the API's verified fact changes, shown
// in each benefit's card as "to qualify for X: …".
async function whatIf(facts, q) {
  const policy = state.policy;
  const params = new URLSearchParams(q);
  params.delete('trace');
  let w;
  try {
    w = await api(`/v1/policies/${encodeURIComponent(policy)}/what-if?${params}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(facts),
    });
  } catch (_) { return; }
  if (state.policy !== policy || state.facts !== facts) return;
  const show = (v) => (v === null || v === undefined ? '未填' : typeof v === 'string' ? v : JSON.stringify(v));
  for (const b of w.benefits) {
    const card = $('benefit-' + b.id);
    if (!card) continue;
    const box = el('div', { class: 'what-if' }, el('strong', {}, `要符合“${b.label}” To qualify: `));
    if (!b.options.length) box.append('未找到可使其符合的事实变化 (no change of its facts was found)');
    const list = el('ul', {}, b.options.map((o) => el('li', {},
      o.changes.map((c, i) => [i ? '；' : '', c.fact === '@as_of' ? '决定日期' : el('a', { href: '#' + fieldId(c.fact), class: 'what-if-link', 'data-fact': c.fact, onclick: (e) => { e.preventDefault(); focusField(c.fact); } }, labelOf(c.fact)), `: ${show(c.from)} → ${show(c.to)}`]),
      o.amount ? el('span', { class: 'gives' }, ` ⇒ ${money(o.amount)}`) : null)));
    box.append(list);
    card.append(box);
  }
}

function money(a) { return a === undefined || a === null ? '' : `${a} 元`; }

function showDecision(d) {
  const out = $('benefits');
  out.replaceChildren();
  for (const b of d.benefits) {
    const card = el('article', { class: `benefit ${b.status}`, id: 'benefit-' + b.id },
      el('h3', {}, el('span', {}, b.label), el('span', { class: 'status' }, STATUS[b.status] || b.status)));
    if (b.amount) card.append(el('p', { class: 'amount' }, money(b.amount), b.period ? ` / ${b.period === 'year' ? '年' : b.period}` : ''));
    if (b.amount_range) card.append(el('p', { class: 'amount' }, `${money(b.amount_range.low)} – ${money(b.amount_range.high)}`, el('small', {}, ` (${b.amount_range.set_by} 核定)`)));
    if (b.missing && b.missing.length) {
      card.append(el('p', { class: 'missing' }, '还需要 Missing: ',
        b.missing.map((m, i) => [i ? '、' : '', el('a', { href: '#' + fieldId(m), class: 'missing-link', 'data-fact': m, onclick: (e) => { e.preventDefault(); focusField(m); } }, labelOf(m))])));
    }
    if (b.failed && b.failed.length) {
      card.append(el('ul', {}, b.failed.map((f) => el('li', {}, f.label, f.citation ? el('button', { type: 'button', class: 'cite-btn', onclick: () => highlight(f.citation) }, `§${f.citation.clause}`) : null))));
    }
    for (const e of b.errors || []) card.append(el('p', { class: 'err' }, e));
    if (b.outputs && b.outputs.length) {
      card.append(el('ul', { class: 'outputs' }, b.outputs.map((o) => el('li', {}, `${o.label || o.id}: ${String(o.value)}`))));
    }
    const extras = [...(b.entitlements || []).map((x) => '✓ ' + x.label), ...(b.documents || []).map((x) => '📄 ' + x.label), ...(b.deadlines || []).map((x) => `⏰ ${x.label}: ${x.date}`)];
    if (extras.length) card.append(el('details', {}, el('summary', {}, `材料与期限 (${extras.length})`), el('ul', {}, extras.map((x) => el('li', {}, x)))));
    out.append(card);
  }
  const tree = $('trace');
  tree.replaceChildren();
  if (d.trace) {
    const root = el('div', { class: 'tree', role: 'tree' });
    for (const n of d.trace.benefits) root.append(traceNode(n, true));
    tree.append(root);
  }
}

function labelOf(name) {
  const s = state.schema && state.schema.properties && state.schema.properties[name];
  return s && s.description ? `${s.description} (${name})` : name;
}

function traceNode(n, open) {
  const [mark, cls] = VERDICT[n.verdict] || ['·', 'v-info'];
  const head = [el('span', { class: `verdict ${cls}`, 'aria-label': n.verdict }, mark), el('span', { class: 'kind' }, n.kind), n.label || n.id || '', n.result ? el('span', { class: 'result' }, ` → ${n.result}`) : null];
  const body = [];
  if (n.note) body.push(el('div', {}, n.note));
  if (n.reads && n.reads.length) body.push(el('div', {}, '读取 reads: ', n.reads.map((r, i) => [i ? ', ' : '', el('code', {}, `${r.name} = ${r.value}`)])));
  if (n.source) body.push(el('div', {}, `${n.source.file}:${n.source.line} `, el('code', {}, n.source.text.length > 160 ? n.source.text.slice(0, 160) + '…' : n.source.text)));
  if (n.citation) {
    body.push(el('div', {}, `${n.citation.document} ${n.citation.clause}`,
      n.citation.quote ? el('button', { type: 'button', class: 'cite-btn', onclick: () => highlight(n.citation) }, '在原文中显示 show in source') : null));
  }
  const children = n.children || [];
  if (!children.length && !body.length) return el('div', { class: 'leaf', role: 'treeitem' }, head);
  const summary = el('summary', { role: 'treeitem' }, head);
  const details = el('details', { open: open || undefined }, summary, el('div', { class: 'node-body' }, body), children.map((c) => traceNode(c, false)));
  details.addEventListener('toggle', () => {
    if (details.open && n.citation && n.citation.quote) {
      for (const s of document.querySelectorAll('.tree summary.selected')) s.classList.remove('selected');
      summary.classList.add('selected');
      highlight(n.citation);
    }
  });
  return details;
}

// ------------------------------------------------------------------ source

// Quotes are checked against the document with whitespace removed, so they
// are found the same way: a map from the squeezed text back to the original.
function highlight(citation) {
  const pre = $('source');
  const text = state.doc ? state.doc.text : '';
  pre.textContent = text;
  if (!citation || !citation.quote || !text) { $('quote-info').textContent = ''; return; }
  const index = [];
  let squeezed = '';
  for (let i = 0; i < text.length; i++) {
    if (!/\s/.test(text[i])) { squeezed += text[i]; index.push(i); }
  }
  const q = citation.quote.replace(/\s+/g, '');
  const at = squeezed.indexOf(q);
  if (at < 0 || !q) {
    $('quote-info').textContent = `§${citation.clause}: 引文不在本文件中 (the quote is from another document: ${citation.document})`;
    return;
  }
  const start = index[at];
  const end = index[at + q.length - 1] + 1;
  const mark = el('mark', { id: 'quote' }, text.slice(start, end));
  pre.replaceChildren(document.createTextNode(text.slice(0, start)), mark, document.createTextNode(text.slice(end)));
  $('quote-info').textContent = `§${citation.clause} ${citation.document}`;
  // Scroll the document panel, and the page only when the panel is off screen.
  pre.scrollTop = Math.max(0, mark.offsetTop - pre.clientHeight / 2);
  const box = mark.getBoundingClientRect();
  if (box.bottom < 0 || box.top > window.innerHeight) mark.scrollIntoView({ block: 'center' });
}

// ----------------------------------------------------------- share, download

function writeHash() {
  const p = new URLSearchParams({ policy: state.policy, facts: JSON.stringify(state.facts) });
  if ($('as-of').value) p.set('as_of', $('as-of').value);
  history.replaceState(null, '', '#' + p.toString());
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  let facts = null;
  try { facts = p.get('facts') ? JSON.parse(p.get('facts')) : null; } catch (_) { facts = null; }
  return { policy: p.get('policy'), facts: facts && typeof facts === 'object' ? facts : null, as_of: p.get('as_of') };
}

async function share() {
  writeHash();
  try { await navigator.clipboard.writeText(location.href); say('链接已复制 link copied'); } catch (_) { say('链接: ' + location.href); }
}

function download() {
  if (!state.decision) return;
  const blob = new Blob([JSON.stringify(state.decision, null, 2)], { type: 'application/json' });
  const a = el('a', { href: URL.createObjectURL(blob), download: `${state.policy}.decision.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

init();
