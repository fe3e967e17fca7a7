#!/usr/bin/env node
// Compiles the query of every bundled rule with the official Kusto language
// service (npm package @kusto/language-service-next) against the Defender
// table schemas, and fails on any diagnostic.
//
// Usage: KQL_CHECK_DIR=DIR node tests/rules/check-rule-queries.js [RULE.yaml ...]
//   DIR contains node_modules/@kusto/language-service-next (run `npm install` there)
//   and defender-schema.json: {"database": "db", "tables": {"Table": {"Column": "type"}}}.
//   Without files, every .yaml file under rules/ is checked.
// When KQL_CHECK_DIR is unset or incomplete, the check prints why and exits 0,
// so machines without Node packages skip it.
//
// The query is read from the rule's `query: |` literal block, the form
// tools/gen-rmm-rules.py writes; a file without one counts as a failure.
'use strict';
const fs = require('fs');
const path = require('path');

function skip(reason) {
  console.log(`skipped: ${reason}`);
  process.exit(0);
}

const checkDir = process.env.KQL_CHECK_DIR;
if (!checkDir) skip('KQL_CHECK_DIR is not set');
const servicePath = path.join(checkDir, 'node_modules', '@kusto', 'language-service-next');
const schemaPath = path.join(checkDir, 'defender-schema.json');
if (!fs.existsSync(servicePath)) skip(`${servicePath} not found (run npm install in ${checkDir})`);
if (!fs.existsSync(schemaPath)) skip(`${schemaPath} not found`);

require(path.join(servicePath, 'bridge.js'));
require(path.join(servicePath, 'Kusto.Language.Bridge.js'));
const KL = global.Kusto.Language;
const Sym = KL.Symbols;

// Converts a Bridge.NET list to a JS array.
function toArray(list) {
  const out = [];
  if (list == null) return out;
  const items = Bridge.getEnumerator(list);
  while (items.moveNext()) out.push(items.Current);
  return out;
}

function loadGlobals() {
  const spec = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
  const tables = Object.entries(spec.tables || {}).map(([name, columns]) => {
    const schema = '(' + Object.entries(columns).map(([c, t]) => `['${c}']:${t}`).join(', ') + ')';
    return new Sym.TableSymbol.$ctor7(name, schema, '');
  });
  return KL.GlobalState.Default.WithDatabase(new Sym.DatabaseSymbol.$ctor2(spec.database || 'db', null, tables));
}

// Returns the text of the `query: |` block with its two-space indentation removed, or null.
function extractQuery(text) {
  const lines = text.split(/\r?\n/);
  const start = lines.indexOf('query: |');
  if (start < 0) return null;
  const body = [];
  for (let i = start + 1; i < lines.length && (lines[i].startsWith('  ') || lines[i] === ''); i++)
    body.push(lines[i].slice(2));
  return body.join('\n').replace(/\n+$/, '') + '\n';
}

function listRuleFiles(folder) {
  const out = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...listRuleFiles(full));
    else if (/\.ya?ml$/i.test(entry.name)) out.push(full);
  }
  return out.sort();
}

function main() {
  const repoRoot = path.resolve(__dirname, '..', '..');
  const files = process.argv.length > 2 ? process.argv.slice(2) : listRuleFiles(path.join(repoRoot, 'rules'));
  const globals = loadGlobals();
  let failed = 0;
  for (const file of files) {
    const query = extractQuery(fs.readFileSync(file, 'utf8'));
    if (query === null) {
      console.log(`${file}: no 'query: |' block`);
      failed++;
      continue;
    }
    const code = KL.KustoCode.ParseAndAnalyze(query, globals);
    const diagnostics = toArray(code.GetDiagnostics());
    for (const d of diagnostics) {
      const before = query.slice(0, d.Start).split('\n');
      const where = `${before.length}:${before[before.length - 1].length + 1}`;
      console.log(`${file}: query ${where}: ${d.Severity} ${d.Code}: ${d.Message}`);
    }
    if (diagnostics.length) failed++;
  }
  console.log(`${files.length} queries checked, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main();
