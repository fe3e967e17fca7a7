#!/usr/bin/env node
// Parse and bind KQL query files with the official Kusto language service
// (npm package @kusto/language-service-next), loaded once for all files.
//
// Usage: KQL_CHECK_DIR=DIR node check-corpus.js [--schema SCHEMA.json] FILE...
//
// KQL_CHECK_DIR is the installed package folder, the one that contains
// bridge.js and Kusto.Language.Bridge.js. When it is unset or missing, the
// script prints "skipped" and exits 0, so test runs without Node packages pass.
// SCHEMA.json has the shape {"database": NAME, "tables": {TABLE: {COLUMN: TYPE}}};
// the default is defender-xdr-schema.json beside this script, which
// tools/gen-schemas.py --kusto-schema writes from the same files as kqlite's tables.
//
// Output: one JSON line per file,
//   {"file", "ok", "diagnostics": [{"line", "column", "message"}], "columns": [{"name", "type"}]}
// where ok means no error-severity diagnostic, diagnostics lists those errors
// (line and column count from 1), and columns is the result schema when the
// query returns a table. Exit status: 0 when every file is ok, 1 when any
// file is rejected or unreadable, 2 on invalid arguments.
'use strict';

const fs = require('fs');
const path = require('path');

const USAGE = 'usage: KQL_CHECK_DIR=DIR node check-corpus.js [--schema SCHEMA.json] FILE...';

function parseArgs(argv) {
  let schemaPath = path.join(__dirname, 'defender-xdr-schema.json');
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--schema') {
      if (i + 1 >= argv.length) return null;
      schemaPath = argv[++i];
    } else {
      files.push(argv[i]);
    }
  }
  return files.length ? { schemaPath, files } : null;
}

// Load the Bridge.NET runtime and Kusto.Language. They define the globals Bridge, System and Kusto.
function loadLanguageService(dir) {
  require(path.join(dir, 'bridge.js'));
  require(path.join(dir, 'Kusto.Language.Bridge.js'));
  return global.Kusto.Language;
}

// Convert a Bridge.NET IReadOnlyList to a JS array.
function toArray(list) {
  if (list == null) return [];
  if (Array.isArray(list)) return list;
  const out = [];
  const en = Bridge.getEnumerator(list);
  try {
    while (en.moveNext()) out.push(en.Current);
  } finally {
    if (en.Dispose) en.Dispose();
  }
  return out;
}

function quoteName(name) {
  return "['" + name.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "']";
}

function loadGlobals(kusto, schemaPath) {
  const spec = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
  const tables = Object.entries(spec.tables || {}).map(([table, columns]) => {
    const schemaText = '(' + Object.entries(columns).map(([c, t]) => `${quoteName(c)}:${t}`).join(', ') + ')';
    return new kusto.Symbols.TableSymbol.$ctor7(table, schemaText, '');
  });
  const database = new kusto.Symbols.DatabaseSymbol.$ctor2(spec.database || 'db', null, tables);
  return kusto.GlobalState.Default.WithDatabase(database);
}

function lineColumn(text, offset) {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function checkText(kusto, globals, text) {
  const code = kusto.KustoCode.ParseAndAnalyze(text, globals);
  const errors = toArray(code.GetDiagnostics()).filter(d => d.Severity === 'Error');
  const diagnostics = errors.map(d => {
    const where = d.HasLocation ? lineColumn(text, d.Start) : { line: null, column: null };
    return { line: where.line, column: where.column, message: d.Message };
  });
  let columns = [];
  if (code.ResultType && Bridge.is(code.ResultType, kusto.Symbols.TableSymbol)) {
    columns = toArray(code.ResultType.Columns).map(c => ({ name: c.Name, type: c.Type ? c.Type.Name : null }));
  }
  return { ok: errors.length === 0, diagnostics, columns };
}

function main() {
  const dir = process.env.KQL_CHECK_DIR;
  if (!dir || !fs.existsSync(path.join(dir, 'Kusto.Language.Bridge.js'))) {
    console.log('skipped');
    console.error(dir ? `check-corpus: Kusto.Language.Bridge.js not found in KQL_CHECK_DIR=${dir}`
                      : 'check-corpus: KQL_CHECK_DIR is not set. Set it to the @kusto/language-service-next package folder');
    return 0;
  }
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    console.error(USAGE);
    return 2;
  }

  const kusto = loadLanguageService(dir);
  const globals = loadGlobals(kusto, args.schemaPath);
  let status = 0;
  for (const file of args.files) {
    let result;
    try {
      result = checkText(kusto, globals, fs.readFileSync(file, 'utf8'));
    } catch (err) {
      // A read error (ENOENT, EISDIR) or an exception inside the language service.
      const message = err.code ? `read failed: ${err.message}` : `check failed: ${err.message}`;
      result = { ok: false, diagnostics: [{ line: null, column: null, message }], columns: [] };
    }
    if (!result.ok) status = 1;
    console.log(JSON.stringify({ file, ...result }));
  }
  return status;
}

process.exitCode = main();
