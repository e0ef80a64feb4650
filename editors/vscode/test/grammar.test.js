// The extension's static parts, checked with Node's own test runner and no
// dependencies (no network): the manifest points at files that exist, every
// grammar regex compiles, and a small TextMate-style tokenizer over every
// bundled policy gives comments, strings, declarations and cited clause
// numbers the scopes the theme colours.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const here = path.join(__dirname, '..');
const root = path.join(here, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const grammar = JSON.parse(fs.readFileSync(path.join(here, 'syntaxes', 'policy.tmLanguage.json'), 'utf8'));

function policies() {
  const dir = path.join(root, 'policies');
  const out = [];
  for (const d of fs.readdirSync(dir)) {
    for (const f of fs.readdirSync(path.join(dir, d))) {
      if (f.endsWith('.policy')) out.push(path.join(dir, d, f));
    }
  }
  return out.sort();
}

// Flattens the grammar's top-level patterns (includes resolved) in order.
function rules() {
  const out = [];
  const add = (p) => {
    if (p.include) return add(grammar.repository[p.include.slice(1)]);
    if (p.patterns && !p.begin) return p.patterns.forEach(add);
    out.push(p);
  };
  grammar.patterns.forEach(add);
  return out;
}

// Tokenizes one line: at each position the rule matching earliest wins (the
// first listed on a tie); strings run from `begin` to `end`.
function tokenize(line) {
  const rs = rules();
  const tokens = [];
  let pos = 0;
  while (pos < line.length) {
    let best = null;
    for (const r of rs) {
      const re = new RegExp(r.match || r.begin, 'g');
      re.lastIndex = pos;
      const m = re.exec(line);
      if (m && m[0].length > 0 && (!best || m.index < best.m.index)) best = { r, m };
    }
    if (!best) break;
    const { r, m } = best;
    let end = m.index + m[0].length;
    if (r.begin) {
      const close = new RegExp(r.end, 'g');
      const esc = /\\./g;
      let i = end;
      while (i < line.length) {
        esc.lastIndex = i;
        const e = esc.exec(line);
        close.lastIndex = i;
        const c = close.exec(line);
        if (!c) { i = line.length; break; }
        if (e && e.index < c.index) { i = e.index + 2; continue; }
        i = c.index + c[0].length;
        break;
      }
      end = i;
      tokens.push({ scope: r.name, text: line.slice(m.index, end) });
    } else if (r.captures) {
      for (const [k, v] of Object.entries(r.captures)) {
        if (m[k] !== undefined) tokens.push({ scope: v.name, text: m[k] });
      }
    } else {
      tokens.push({ scope: r.name, text: m[0] });
    }
    pos = end;
  }
  return tokens;
}

test('the manifest names files that exist', () => {
  assert.strictEqual(pkg.contributes.languages[0].id, 'policy');
  assert.deepStrictEqual(pkg.contributes.languages[0].extensions, ['.policy']);
  for (const f of [pkg.main, pkg.contributes.languages[0].configuration, pkg.contributes.grammars[0].path]) {
    assert.ok(fs.existsSync(path.join(here, f)), f);
  }
  const conf = JSON.parse(fs.readFileSync(path.join(here, 'language-configuration.json'), 'utf8'));
  assert.strictEqual(conf.comments.lineComment, '#');
});

test('every grammar regex compiles', () => {
  let n = 0;
  const visit = (v) => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (v && typeof v === 'object') {
      for (const k of ['match', 'begin', 'end']) {
        if (typeof v[k] === 'string') { new RegExp(v[k]); n++; }
      }
      Object.values(v).forEach(visit);
    }
  };
  visit(grammar);
  assert.ok(n > 10, `${n} regexes`);
});

test('bundled policies get comment, string, declaration and clause scopes', () => {
  let cites = 0;
  for (const file of policies()) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    for (const line of lines) {
      const toks = tokenize(line);
      if (/^\s*#/.test(line)) {
        assert.strictEqual(toks[0].scope, 'comment.line.number-sign.policy', `${file}: ${line}`);
        assert.strictEqual(toks[0].text, line.trim(), `${file}: ${line}`);
      }
      const decl = /^(input|let|param|benefit|table|enum) ([a-z_][a-z0-9_]*)/.exec(line);
      if (decl) {
        assert.deepStrictEqual(toks.slice(0, 2).map((t) => t.scope), ['storage.type.policy', 'entity.name.policy'], line);
        assert.strictEqual(toks[1].text, decl[2]);
      }
      for (const t of toks) {
        if (t.scope === 'markup.underline.link.clause.policy') cites++;
        // No keyword is ever found inside a string or a comment.
        if (t.scope === 'string.quoted.double.policy') assert.ok(t.text.startsWith('"') && t.text.endsWith('"'), `${file}: ${t.text}`);
      }
    }
  }
  assert.ok(cites > 100, `${cites} cited clause numbers`);
});
