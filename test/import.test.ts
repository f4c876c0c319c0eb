/**
 * Bulk import through DuckDB's own readers (CSV, NDJSON, Parquet): column mapping, time zones for
 * naive timestamps, rejected rows reported with their position, idempotency, and the CLI working
 * through a running server instead of meeting DuckDB's file lock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../src/service/operations.ts';
import { polso, startServer, stopped } from './cli.ts';
import { makeEnv, type TestEnv, tempDir } from './helpers.ts';

let env: TestEnv;
let files: string;
beforeAll(async () => {
  env = await makeEnv();
  files = tempDir('polso-files-');
});
afterAll(async () => env.close());

const CONTACTS = [
  'id,timestamp,customer,canale,reason,talkSeconds,abandoned',
  't1,2026-03-29 01:30:00,c1,chat,fatturazione,120,false',
  't2,2026-03-29T03:30:00+02:00,c2,voice,"spedizione, urgente",300,true',
  't3,not a date,c3,chat,reso,10,false',
  't4,2026-03-30 10:00,c4,fax,reso,10,false',
  't5,2026-03-30 10:00,c5,email,"=cmd|\' /C calc\'!A0",-3,no',
].join('\n');

describe('polso import', () => {
  it('imports a CSV with a column mapping and a time zone, reporting bad rows by position', async () => {
    const path = join(files, 'contacts.csv');
    writeFileSync(path, CONTACTS);
    const r = await importFile(env.store, {
      projectId: env.project.projectId,
      path,
      type: 'contact',
      mapping: { customerId: 'customer', channel: 'canale' },
      timezone: 'Europe/Rome',
    });
    expect(r).toMatchObject({ accepted: 2, rejectedCount: 3 });
    expect(r.rejected.map((e) => [e.row, e.field, e.code])).toEqual([
      [3, 'timestamp', 'RECORD_BAD_TIMESTAMP'],
      [4, 'channel', 'RECORD_INVALID_VALUE'],
      [5, 'talkSeconds', 'RECORD_OUT_OF_RANGE'],
      [5, 'abandoned', 'RECORD_WRONG_TYPE'],
    ]);
    const [t1] = await env.store.listRecords(env.project.projectId, 'contact', { id: 't1' });
    // 01:30 in Rome on the night clocks go forward is still CET (+01:00).
    expect(t1).toMatchObject({
      timestamp: '2026-03-29T00:30:00.000Z',
      channel: 'chat',
      customerId: 'c1',
      talkSeconds: 120,
    });
    const [t2] = await env.store.listRecords(env.project.projectId, 'contact', { id: 't2' });
    expect(t2).toMatchObject({
      timestamp: '2026-03-29T01:30:00.000Z',
      reason: 'spedizione, urgente',
      abandoned: true,
    });
    const again = await importFile(env.store, {
      projectId: env.project.projectId,
      path,
      type: 'contact',
      mapping: { customerId: 'customer', channel: 'canale' },
      timezone: 'Europe/Rome',
    });
    expect(again).toMatchObject({ accepted: 0, duplicates: 2, rejectedCount: 3 });
  });

  it('keeps the first of repeated facts in a file and applies changed states from a later file', async () => {
    const facts = join(files, 'dup-orders.csv');
    writeFileSync(
      facts,
      'id,timestamp,customerId,amount,currency\nd1,2026-03-01T10:00:00Z,c1,1,EUR\nd2,2026-03-01T10:00:00Z,c1,2,EUR\nd1,2026-03-01T10:00:00Z,c1,99,EUR\n',
    );
    const r = await importFile(env.store, { projectId: env.project.projectId, path: facts, type: 'order' });
    expect(r).toMatchObject({ accepted: 2, duplicates: 1 });
    const [d1] = await env.store.listRecords(env.project.projectId, 'order', { id: 'd1' });
    expect(d1?.amount).toBe(1);
    const first = join(files, 'subs-1.csv');
    const second = join(files, 'subs-2.csv');
    writeFileSync(
      first,
      'id,timestamp,customerId,plan,mrr,startedAt\ns1,2026-01-01T00:00:00Z,c1,pro,49,2026-01-01T00:00:00Z\n',
    );
    writeFileSync(
      second,
      'id,timestamp,customerId,plan,mrr,startedAt,endedAt\ns1,2026-01-01T00:00:00Z,c1,pro,49,2026-01-01T00:00:00Z,2026-04-01T00:00:00Z\n',
    );
    await importFile(env.store, { projectId: env.project.projectId, path: first, type: 'subscription' });
    const upd = await importFile(env.store, {
      projectId: env.project.projectId,
      path: second,
      type: 'subscription',
    });
    expect(upd).toMatchObject({ accepted: 1, updated: 1 });
    const subs = await env.store.listRecords(env.project.projectId, 'subscription', { id: 's1' });
    expect(subs).toHaveLength(1);
    expect(subs[0]?.endedAt).toBe('2026-04-01T00:00:00.000Z');
  });

  it('needs an offset when no time zone is given', async () => {
    const path = join(files, 'naive.csv');
    writeFileSync(path, 'id,timestamp,customerId,channel\nn1,2026-03-01 10:00:00,c1,chat\n');
    const r = await importFile(env.store, { projectId: env.project.projectId, path, type: 'contact' });
    expect(r.rejected).toMatchObject([{ row: 1, field: 'timestamp', code: 'RECORD_BAD_TIMESTAMP' }]);
  });

  it('imports Parquet and NDJSON through the same rules', async () => {
    const csv = join(files, 'orders.csv');
    writeFileSync(
      csv,
      'id,timestamp,customerId,amount,currency\np1,2026-03-01T10:00:00Z,c1,10.5,EUR\np2,2026-03-01T11:00:00Z,c2,-1,EUR\n',
    );
    const parquet = join(files, 'orders.parquet');
    await env.store.sql(
      `COPY (SELECT * FROM read_csv($path, all_varchar = true)) TO '${parquet}' (FORMAT parquet)`,
      { path: csv },
    );
    const p = await importFile(env.store, { projectId: env.project.projectId, path: parquet, type: 'order' });
    expect(p).toMatchObject({
      accepted: 1,
      rejectedCount: 1,
      rejected: [{ row: 2, field: 'amount', code: 'RECORD_OUT_OF_RANGE' }],
    });
    const nd = join(files, 'orders.ndjson');
    const good = (id: string) =>
      JSON.stringify({
        id,
        timestamp: '2026-03-02T10:00:00Z',
        customerId: 'c1',
        amount: 3,
        currency: 'EUR',
        items: [{ sku: 'A' }],
      });
    writeFileSync(nd, `${good('j1')}\n{"id": "broken", \n\n${good('j2')}\n[1, 2]\n`);
    const n = await importFile(env.store, { projectId: env.project.projectId, path: nd, type: 'order' });
    expect(n).toMatchObject({ accepted: 2, rejectedCount: 2 });
    expect(n.rejected.map((e) => [e.row, e.code])).toEqual([
      [2, 'RECORD_MALFORMED_LINE'],
      [4, 'RECORD_MALFORMED_LINE'],
    ]);
    const [j1] = await env.store.listRecords(env.project.projectId, 'order', { id: 'j1' });
    expect(j1?.items).toEqual([{ sku: 'A' }]);
  });

  it('keeps unmapped columns as customer traits, and refuses them where no free-form field exists', async () => {
    const path = join(files, 'customers.csv');
    writeFileSync(
      path,
      'id,timestamp,segment,Contract,MonthlyCharges\nk1,2026-01-01T00:00:00Z,smb,Two year,29.85\n',
    );
    const r = await importFile(env.store, { projectId: env.project.projectId, path, type: 'customer' });
    expect(r.accepted).toBe(1);
    const [k1] = await env.store.listRecords(env.project.projectId, 'customer', { id: 'k1' });
    expect(k1).toMatchObject({ segment: 'smb', traits: { Contract: 'Two year', MonthlyCharges: '29.85' } });
    const bad = join(files, 'tasks.csv');
    writeFileSync(
      bad,
      'id,timestamp,customerId,taskId,success,mood\nx,2026-01-01T00:00:00Z,c,t,true,happy\n',
    );
    await expect(
      importFile(env.store, { projectId: env.project.projectId, path: bad, type: 'task' }),
    ).rejects.toThrow(/mood/);
  });

  it('goes through the running server instead of meeting the file lock', async () => {
    const dir = tempDir('polso-cli-');
    const created = await polso(['project', 'create', 'Cli', '--data', dir, '--json']);
    expect(created.code).toBe(0);
    const { projectId } = JSON.parse(created.stdout);
    const { child } = await startServer(dir);
    try {
      const path = join(files, 'contacts-cli.csv');
      writeFileSync(path, CONTACTS);
      const r = await polso([
        'import',
        path,
        '--type',
        'contact',
        '--data',
        dir,
        '--project',
        projectId,
        '--map',
        'customerId=customer',
        'channel=canale',
        '--timezone',
        'Europe/Rome',
        '--json',
      ]);
      expect(r.stderr).not.toMatch(/lock/i);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 2, rejectedCount: 3 });
      const second = await polso(['project', 'create', 'Second', '--data', dir, '--json']);
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout).writeKey).toMatch(/^polso_wk_/);
      const wrong = await polso([
        'import',
        path,
        '--type',
        'complaint',
        '--data',
        dir,
        '--project',
        projectId,
      ]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('--type');
    } finally {
      child.kill('SIGTERM');
      await stopped(child);
    }
  });
});
