/**
 * The engines the contract suites run against. A second engine (ClickHouse) adds an entry here and
 * every metric test runs on it unchanged.
 */
import type { IngestLimits } from '../src/ingest/batch.ts';
import type { Clock } from '../src/util/clock.ts';
import { makeEnv, type TestEnv } from './helpers.ts';

export interface Engine {
  name: string;
  make(opts?: { clock?: Clock; limits?: Partial<IngestLimits>; warmDelayMs?: number }): Promise<TestEnv>;
}

export const ENGINES: Engine[] = [{ name: 'duckdb', make: makeEnv }];
