#!/usr/bin/env node
// Competitor: the benchmark battery as ONE DuckDB SQL query over the CSV file.
//
//     node bench/competitors/duckdb_battery.mjs FILE [--by segment] [--threads 2]
//          [--modules DIR] [--print-sql]
//
// DuckDB comes from the npm package @duckdb/node-api (it ships its native library),
// which bench/run.py installs into a scratch folder, bench/.duckdb-node/ (git-ignored);
// --modules DIR (or $VERNIER_DUCKDB_NODE) names another folder holding node_modules/.
//
// The query reads the file with read_csv and explicit column types (y DOUBLE, yhat
// DOUBLE, segment VARCHAR, header) and computes battery.py's metrics with plain SQL
// aggregates, as a user would write them: avg() (DuckDB's sums of doubles are not
// compensated), var_pop() for R²'s total sum of squares, quantile_cont() (linear
// interpolation, numpy's default) for median / p95 / p99 of |e|. With --by segment one
// GROUPING SETS ((), (segment)) query gives the overall slice and one slice per segment
// in the same scan. SET threads=2 (the machine's cores) unless --threads says otherwise.
//
// Prints battery.py's emit() document: {"tool", "rows", "by", "seconds": {"open",
// "query"}, "slices": [{"by": null | label, "metrics": {key: value | null}}]}, where
// "query" is the query alone (performance.now around it) and "open" the time to load the
// library and open an in-memory database.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HUBER_DELTA = 1.0;
const PINBALL_Q = 0.9;
const EPS = '2.220446049250313e-16'; // DBL_EPSILON: scikit-learn's MAPE denominator floor

function usage(msg) {
  process.stderr.write(`duckdb_battery: ${msg}\n` +
    'usage: duckdb_battery.mjs FILE [-y y] [-p yhat] [--by segment] [--threads N] ' +
    '[--modules DIR] [--print-sql]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { file: null, y: 'y', p: 'yhat', by: null, threads: 2,
              modules: process.env.VERNIER_DUCKDB_NODE || path.join(HERE, '..', '.duckdb-node'),
              printSql: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${k} needs a value`));
    if (k === '-y') a.y = val();
    else if (k === '-p') a.p = val();
    else if (k === '--by') a.by = val();
    else if (k === '--threads') a.threads = Number.parseInt(val(), 10);
    else if (k === '--modules') a.modules = val();
    else if (k === '--print-sql') a.printSql = true;
    else if (k.startsWith('-')) usage(`unknown option ${k}`);
    else if (a.file === null) a.file = k;
    else usage(`unexpected argument ${k}`);
  }
  if (a.file === null) usage('no FILE');
  if (!(a.threads >= 1)) usage('--threads must be a positive integer');
  return a;
}

const ident = (s) => '"' + s.replaceAll('"', '""') + '"';
const literal = (s) => "'" + s.replaceAll("'", "''") + "'";

// battery.py's keys, in its order, each with its SQL over e = yhat - y and ae = |e|.
function metricSql() {
  return [
    ['count', 'count(*)'],
    ['mae', 'avg(ae)'],
    ['mse', 'avg(e * e)'],
    ['rmse', 'sqrt(avg(e * e))'],
    ['mape', `100.0 * avg(ae / greatest(abs(y), ${EPS}))`],
    // sklearn's mean_pinball_loss on the residual r = y - yhat = -e
    ['pinball:q=0.9', `avg(CASE WHEN -e >= 0 THEN ${PINBALL_Q} * -e ` +
                      `ELSE (${PINBALL_Q} - 1.0) * -e END)`],
    ['r2', 'CASE WHEN var_pop(y) > 0 THEN 1.0 - avg(e * e) / var_pop(y) END'],
    ['medae', 'q[1]'],
    ['max_error', 'max(ae)'],
    ['mean_error', 'avg(e)'],
    ['smape', '100.0 * avg(CASE WHEN abs(y) + abs(yhat) > 0 ' +
              'THEN 2.0 * ae / (abs(y) + abs(yhat)) ELSE 0.0 END)'],
    ['huber', `avg(CASE WHEN ae <= ${HUBER_DELTA} THEN 0.5 * e * e ` +
              `ELSE ${HUBER_DELTA} * (ae - 0.5 * ${HUBER_DELTA}) END)`],
    ['p95_abs_error', 'q[2]'],
    ['p99_abs_error', 'q[3]'],
  ];
}

function buildSql(a) {
  const seg = a.by || 'segment';
  // The file's columns, in its order, with explicit types (no type sniffing).
  const cols = `{${literal(a.y)}: 'DOUBLE', ${literal(a.p)}: 'DOUBLE', ${literal(seg)}: 'VARCHAR'}`;
  const src = `read_csv(${literal(a.file)}, header = true, delim = ',', columns = ${cols})`;
  const byCol = a.by ? `${ident(a.by)} AS slice, grouping(${ident(a.by)}) AS overall, ` : '';
  const group = a.by ? `GROUP BY GROUPING SETS ((), (${ident(a.by)}))` : '';
  const inner =
    `SELECT ${byCol}${metricSql().filter(([k]) => !k.startsWith('medae') && !k.startsWith('p9'))
      .map(([k, s]) => `${s} AS ${ident(k)}`).join(', ')}, ` +
    'quantile_cont(ae, [0.5, 0.95, 0.99]) AS q ' +
    `FROM (SELECT ${ident(a.y)} AS y, ${ident(a.p)} AS yhat, ` +
    `${a.by ? `${ident(a.by)}, ` : ''}${ident(a.p)} - ${ident(a.y)} AS e, ` +
    `abs(${ident(a.p)} - ${ident(a.y)}) AS ae FROM ${src}) ${group}`;
  // The outer SELECT only unpacks the quantile list; the aggregation is the inner one.
  const outer = metricSql().map(([k, s]) => {
    const expr = s.startsWith('q[') ? s : ident(k);
    return `${expr} AS ${ident(k)}`;
  }).join(', ');
  const order = a.by ? ' ORDER BY overall DESC, slice' : '';
  return `SELECT ${a.by ? 'slice, overall, ' : ''}${outer} FROM (${inner})${order}`;
}

function toNumber(v) {
  if (v === null || v === undefined) return null;
  const x = typeof v === 'bigint' ? Number(v) : Number(v);
  return Number.isFinite(x) ? x : null; // NaN and infinities are not JSON: null
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const sql = buildSql(a);
  if (a.printSql) {
    process.stdout.write(sql + '\n');
    return 0;
  }
  const t0 = performance.now();
  let duckdb;
  try {
    duckdb = createRequire(path.join(path.resolve(a.modules), 'package.json'))('@duckdb/node-api');
  } catch (err) {
    process.stderr.write(`duckdb_battery: cannot load @duckdb/node-api from ${a.modules}: ` +
      `${err.message}\n(bench/run.py installs it there)\n`);
    return 3;
  }
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run(`SET threads = ${a.threads}`);
  const t1 = performance.now();
  const reader = await con.runAndReadAll(sql);
  const t2 = performance.now();

  const rows = reader.getRowObjectsJS();
  const keys = metricSql().map(([k]) => k);
  const slices = rows.map((r) => ({
    by: a.by && !r.overall ? String(r.slice) : null,
    metrics: Object.fromEntries(keys.map((k) => [k, toNumber(r[k])])),
  }));
  const overall = slices.find((s) => s.by === null);
  const doc = {
    tool: 'duckdb',
    version: duckdb.version ? duckdb.version() : null,
    rows: overall ? overall.metrics.count : 0,
    by: a.by,
    seconds: { open: (t1 - t0) / 1000, query: (t2 - t1) / 1000 },
    slices,
  };
  process.stdout.write(JSON.stringify(doc, null, 1) + '\n');
  con.closeSync?.();
  instance.closeSync?.();
  return 0;
}

process.exitCode = await main();
