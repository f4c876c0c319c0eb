/**
 * @module cli/runtime
 * How CLI commands reach the data: DuckDB allows one writing process per file, so while
 * `polso serve` runs, commands go through its local admin API (the server publishes its port and an
 * admin token in `DIR/polso.server.json`, readable only by its owner); otherwise they open the store.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolsoError } from '../errors.ts';
import { DuckDbStore } from '../store/duckdb/store.ts';
import { systemClock } from '../util/clock.ts';

export interface ServerInfo {
  pid: number;
  port: number;
  host: string;
  adminToken: string;
}

const infoFile = (dataDir: string) => join(dataDir, 'polso.server.json');

/** A fresh admin token for a server process. */
export function newAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Writes the server file (mode 0600) so other commands can find the server. */
export function publishServer(dataDir: string, info: ServerInfo): void {
  const file = infoFile(dataDir);
  writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function unpublishServer(dataDir: string): void {
  rmSync(infoFile(dataDir), { force: true });
}

/** The running server of a data directory, if one answers. */
export async function runningServer(dataDir: string): Promise<ServerInfo | null> {
  const file = infoFile(dataDir);
  if (!existsSync(file)) return null;
  let info: ServerInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
  } catch {
    return null;
  }
  try {
    const res = await fetch(`http://${info.host}:${info.port}/healthz`, {
      signal: AbortSignal.timeout(2000),
    });
    return res.ok ? info : null;
  } catch {
    return null;
  }
}

/** Calls the local admin API of a running server. */
export async function adminCall(info: ServerInfo, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`http://${info.host}:${info.port}/api/v1/admin/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${info.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok)
    throw new PolsoError('POLSO_BAD_OPTION', json.error?.message ?? `server answered ${res.status}`);
  return json;
}

/** Opens the store of a data directory, waiting briefly if a server is starting up on it. */
export async function openStore(dataDir: string): Promise<DuckDbStore> {
  for (let attempt = 0; ; attempt++) {
    const store = new DuckDbStore({ dataDir, clock: systemClock });
    try {
      await store.ready;
      return store;
    } catch (error) {
      if (!(error instanceof PolsoError && error.code === 'POLSO_STORE_LOCKED') || attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Runs `local` on an opened store, or `remote` through the running server of the directory.
 * A user never meets DuckDB's lock error: if the file is locked by a server, the command goes
 * through it.
 */
export async function withData<T>(
  dataDir: string,
  local: (store: DuckDbStore) => Promise<T>,
  remote: (server: ServerInfo) => Promise<T>,
): Promise<T> {
  const server = await runningServer(dataDir);
  if (server) return remote(server);
  let store: DuckDbStore;
  try {
    store = await openStore(dataDir);
  } catch (error) {
    const again = await runningServer(dataDir);
    if (again) return remote(again);
    throw error;
  }
  try {
    return await local(store);
  } finally {
    await store.close();
  }
}
