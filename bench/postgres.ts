/**
 * A throw-away PostgreSQL 15 server for benchmarks: initdb in a temporary directory, started with
 * pg_ctl on a Unix socket only (no TCP), loaded from the demo CSV files with COPY, indexed as a DBA
 * would for the overview's questions, and ANALYZEd. Debian's binaries live in
 * /usr/lib/postgresql/15/bin; PostgreSQL refuses to run as root, so as root the server runs as the
 * `postgres` system user.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
} from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { DemoFiles } from '../src/demo/generate.ts';
import { type FieldType, fieldsOf, KINDS } from '../src/model/kinds.ts';

const BIN = '/usr/lib/postgresql/15/bin';
const PORT = 5439;

/**
 * Server settings for a 2-core machine shared with other work (24 GB RAM): memory generous enough
 * for sorts and hashes to stay in memory, parallel scans on both cores, and durability off — the
 * data is disposable, and fsync would only slow the load, not the queries.
 */
export const PG_SETTINGS: Record<string, string> = {
  shared_buffers: '2GB',
  effective_cache_size: '8GB',
  work_mem: '256MB',
  maintenance_work_mem: '1GB',
  max_parallel_workers_per_gather: '2',
  max_parallel_maintenance_workers: '2',
  random_page_cost: '1.1',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: '0',
  max_wal_size: '8GB',
  checkpoint_timeout: '30min',
  timezone: 'UTC',
};

/** Indexes a DBA would add for these questions: time columns, the repeat-contact lookup, joins. */
const INDEXES = [
  'CREATE INDEX ON contacts (ts)',
  'CREATE INDEX ON contacts (resolved_at)',
  'CREATE INDEX ON contacts (first_resolved_at)',
  'CREATE INDEX ON contacts (customer_id, reason, ts)',
  'CREATE INDEX ON survey_responses (metric, ts)',
  'CREATE INDEX ON survey_invitations ((coalesce(sent_at, ts)))',
  'CREATE INDEX ON events (ts)',
  'CREATE INDEX ON social (ts)',
  'CREATE INDEX ON tasks (ts)',
  'CREATE INDEX ON subscriptions (customer_id)',
  'CREATE INDEX ON orders (customer_id)',
];

const PG_TYPES: Record<FieldType, string> = {
  string: 'text',
  text: 'text',
  integer: 'bigint',
  number: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  json: 'jsonb',
  // Lists stay as their CSV text: no question reads them.
  list: 'text',
};

export interface PostgresServer {
  client: pg.Client;
  /** Proportional memory (PSS) of all the server's processes now, in MB. */
  memoryMb(): number;
  stop(): Promise<void>;
}

/** Initialises and starts a server under `dir` and connects to it. */
export async function startPostgres(dir: string): Promise<PostgresServer> {
  const data = join(dir, 'data');
  const socket = join(dir, 'sock');
  mkdirSync(socket, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    for (const d of [dir, socket]) chownSync(d, uid('postgres'), gid('postgres'));
  }
  const run = (tool: string, args: string[]) =>
    execFileSync(
      asRoot ? 'runuser' : join(BIN, tool),
      asRoot ? ['-u', 'postgres', '--', join(BIN, tool), ...args] : args,
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8']);
  const options = [
    `-c listen_addresses=''`,
    `-c unix_socket_directories='${socket}'`,
    `-c port=${PORT}`,
    ...Object.entries(PG_SETTINGS).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ');
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', 'start']);
  const client = new pg.Client({ host: socket, port: PORT, user: 'postgres', database: 'postgres' });
  await client.connect();
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    client,
    memoryMb: () => serverPssMb(postmaster),
    async stop() {
      await client.end();
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
  };
}

/**
 * Creates one table per record kind (the columns of its CSV header, typed from the record model),
 * COPYs the files in, adds the indexes and runs VACUUM ANALYZE. Returns row counts per table.
 */
export async function loadDemo(
  client: pg.Client,
  files: DemoFiles['files'],
): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const f of files) {
    const spec = KINDS[f.kind];
    const byName = new Map(fieldsOf(spec).map((field) => [field.name, field]));
    const header = firstLine(f.path).split(',');
    const columns = header.map((name) => {
      if (name === 'type') return '"type" text';
      const field = byName.get(name);
      if (!field) throw new Error(`${f.path}: no field ${name} in the record model`);
      return `"${field.column}" ${PG_TYPES[field.type]}`;
    });
    // The server process reads the file itself (COPY FROM a path): it must be able to reach it.
    chmodSync(f.path, 0o644);
    await client.query('BEGIN');
    // Created and filled in one transaction: with wal_level=minimal, COPY skips the WAL.
    await client.query(`CREATE TABLE "${spec.table}" (${columns.join(', ')}, PRIMARY KEY (id))`);
    const copied = await client.query(`COPY "${spec.table}" FROM '${f.path}' WITH (FORMAT csv, HEADER true)`);
    await client.query('COMMIT');
    rows[spec.table] = copied.rowCount ?? 0;
  }
  for (const sql of INDEXES) await client.query(sql);
  await client.query('VACUUM ANALYZE');
  return rows;
}

/** Sum of PSS over the postmaster and its children (shared buffers counted once). */
function serverPssMb(postmaster: number): number {
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number(entry) !== postmaster && ppid !== postmaster) continue;
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8'));
      kb += m ? Number(m[1]) : 0;
    } catch {
      // The process ended while being read.
    }
  }
  return Math.round(kb / 1024);
}

/** The header line of a CSV file (read alone: the files can be larger than a string can hold). */
function firstLine(path: string): string {
  const buffer = Buffer.alloc(4096);
  const fd = openSync(path, 'r');
  try {
    return buffer
      .subarray(0, readSync(fd, buffer, 0, buffer.length, 0))
      .toString('utf8')
      .split('\n')[0]!;
  } finally {
    closeSync(fd);
  }
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}
