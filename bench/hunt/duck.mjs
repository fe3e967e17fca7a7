// DuckDB side of the hunt benchmark: runs a job of SQL queries in one DuckDB
// in-memory database and prints, as JSON, the seconds each step took and the
// rows each query returned.
//
// Usage: node duck.mjs JOB.json
// JOB.json: {"setup": [SQL, ...], "queries": [{"name": NAME, "sql": SQL}, ...]}
// The setup statements (for example loading the CSV into a table) run first and
// are timed together as setup_seconds. Each query is timed on its own, from
// submission until every row is read into JavaScript.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';

// Converts DuckDB's JavaScript values to JSON: BIGINT to a decimal string,
// TIMESTAMP to ISO 8601, lists element by element.
function toJson(value) {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  return value;
}

async function main() {
  if (process.argv.length !== 3) {
    console.error('usage: node duck.mjs JOB.json');
    process.exit(2);
  }
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();

  const setupStart = performance.now();
  for (const sql of job.setup ?? []) await connection.run(sql);
  const result = { setup_seconds: (performance.now() - setupStart) / 1000, queries: [] };

  for (const query of job.queries) {
    const start = performance.now();
    const reader = await connection.runAndReadAll(query.sql);
    const rows = reader.getRowsJS();
    const seconds = (performance.now() - start) / 1000;
    result.queries.push({ name: query.name, seconds, columns: reader.columnNames(), rows: rows.map((r) => r.map(toJson)) });
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => {
  console.error(`duck.mjs: ${error.message}`);
  process.exit(1);
});
