/**
 * @module cli/main
 * The `polso` command: serve, project create, user add, import, demo, query, survey, fit, quickstart. This is the composition root:
 * the only place that reads `process.env`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { addUser, type CreatedUser } from '../auth/users.ts';
import { generateDemo } from '../demo/generate.ts';
import { toCsv } from '../engine/export.ts';
import { planQuery } from '../engine/plan.ts';
import type { QueryResult } from '../engine/run.ts';
import { PolsoError } from '../errors.ts';
import type { ClvResult } from '../models/clv.ts';
import { createApp } from '../server/app.ts';
import { fitHealth } from '../service/health.ts';
import {
  clvParamsJson,
  fitChurn,
  fitClvForProject,
  fitClvOnOrders,
  parseClvOptions,
  readOrdersCsv,
  writePredictionsCsv,
} from '../service/models.ts';
import {
  type CreatedProject,
  createProjectWithKeys,
  defineSurvey,
  type ImportSummary,
  importFile,
  queryProject,
} from '../service/operations.ts';
import { dashboardSeeds, QueryWarmer } from '../service/warm.ts';
import { DuckDbStore } from '../store/duckdb/store.ts';
import { consoleSms, type Delivery, smtpSender, webhookSms } from '../surveys/delivery.ts';
import { type ContactPolicy, DEFAULT_POLICY } from '../surveys/policy.ts';
import { SurveyScheduler } from '../surveys/scheduler.ts';
import { SurveyService } from '../surveys/service.ts';
import { systemClock } from '../util/clock.ts';
import { adminCall, newAdminToken, publishServer, unpublishServer, withData } from './runtime.ts';

const env = process.env;
const defaultData = env.POLSO_DATA ?? './data';

const int = (name: string) => (value: string) => {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number`);
  return n;
};

const day = (name: string) => (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new InvalidArgumentError(`${name} must be a date (YYYY-MM-DD)`);
  return new Date(`${value}T00:00:00Z`);
};

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/**
 * Survey delivery from the environment: `POLSO_SMTP_URL` (e.g. smtp://user:pass@mail.example.it:587)
 * with `POLSO_MAIL_FROM`; `POLSO_SMS_WEBHOOK` (a URL) or `POLSO_SMS=console`.
 */
function surveyDelivery(): Delivery {
  const from = env.POLSO_MAIL_FROM ?? 'Polso <polso@localhost>';
  return {
    ...(env.POLSO_SMTP_URL ? { email: smtpSender({ url: env.POLSO_SMTP_URL }, from) } : {}),
    ...(env.POLSO_SMS_WEBHOOK
      ? { sms: webhookSms(env.POLSO_SMS_WEBHOOK) }
      : env.POLSO_SMS === 'console'
        ? { sms: consoleSms() }
        : {}),
    messageDomain: /@([^>\s]+)/.exec(from)?.[1] ?? 'polso.localhost',
  };
}

/** The contact policy from the environment: `POLSO_SURVEY_THROTTLE_DAYS` (30), `POLSO_QUIET_HOURS` (21-9). */
function contactPolicy(): ContactPolicy {
  const quiet = /^(\d{1,2})-(\d{1,2})$/.exec(env.POLSO_QUIET_HOURS ?? '');
  const hour = (v: string | undefined, fallback: number) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 && n <= 23 ? n : fallback;
  };
  const days = Number(env.POLSO_SURVEY_THROTTLE_DAYS);
  return {
    throttleDays: Number.isFinite(days) && days >= 0 ? days : DEFAULT_POLICY.throttleDays,
    quietStart: hour(quiet?.[1], DEFAULT_POLICY.quietStart),
    quietEnd: hour(quiet?.[2], DEFAULT_POLICY.quietEnd),
  };
}

async function serve(opts: { data: string; port?: number; host: string; quiet?: boolean }): Promise<number> {
  const dataDir = resolve(opts.data);
  const store = new DuckDbStore({ dataDir, clock: systemClock, memoryLimit: env.POLSO_MEMORY_LIMIT });
  await store.ready;
  const adminToken = newAdminToken();
  const port = opts.port ?? Number(env.PORT ?? 8787);
  let bound = port;
  const publicUrl = () => (env.POLSO_PUBLIC_URL ?? `http://${opts.host}:${bound}`).replace(/\/$/, '');
  const surveys = new SurveyService({
    store,
    clock: systemClock,
    baseUrl: publicUrl,
    delivery: surveyDelivery(),
    log: (message, error) => process.stderr.write(`${message}: ${(error as Error).message}\n`),
  });
  const scheduler = new SurveyScheduler({
    store,
    clock: systemClock,
    service: surveys,
    policy: contactPolicy(),
  });
  const warmer = new QueryWarmer({
    store,
    clock: systemClock,
    seeds: dashboardSeeds,
    log: (message, error) => process.stderr.write(`${message}: ${(error as Error).message}\n`),
  });
  const app = createApp({
    surveys,
    warmer,
    store,
    clock: systemClock,
    logger: env.POLSO_LOG === 'debug' ? { level: 'info' } : { level: 'warn' },
    adminToken,
    // Plain HTTP on another host than localhost cannot carry Secure cookies; behind TLS keep the default.
    secureCookies: env.POLSO_INSECURE_COOKIES !== '1',
    limits: {
      ...(env.POLSO_BODY_LIMIT ? { bodyBytes: Number(env.POLSO_BODY_LIMIT) } : {}),
      ...(env.POLSO_RECORD_LIMIT ? { recordBytes: Number(env.POLSO_RECORD_LIMIT) } : {}),
    },
  });
  const stop = async () => {
    unpublishServer(dataDir);
    await scheduler.stop();
    await surveys.settled();
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await app.listen({ port, host: opts.host });
  const address = app.server.address();
  bound = typeof address === 'object' && address ? address.port : 0;
  publishServer(dataDir, { pid: process.pid, port: bound, host: opts.host, adminToken });
  // The queries asked before the last stop, asked again so dashboards open on computed answers.
  await warmer.start();
  // Survey triggers, reminders and the outbox, every 30 s (POLSO_SURVEY_TICK_MS).
  scheduler.start(Number(env.POLSO_SURVEY_TICK_MS ?? 30_000), (error) =>
    process.stderr.write(`survey scheduler: ${(error as Error).message}\n`),
  );
  if (!opts.quiet)
    process.stdout.write(`Polso is listening on http://${opts.host}:${bound} (data: ${dataDir})\n`);
  return bound;
}

async function createProject(
  dataDir: string,
  name: string,
  config: Record<string, unknown>,
): Promise<CreatedProject> {
  return withData(
    dataDir,
    (store) => createProjectWithKeys(store, { name, config }),
    (server) => adminCall(server, 'projects', { name, config }) as Promise<CreatedProject>,
  );
}

async function importOne(
  dataDir: string,
  input: Record<string, unknown>,
  showProgress: boolean,
): Promise<ImportSummary> {
  const started = Date.now();
  const timer = showProgress
    ? setInterval(
        () =>
          process.stderr.write(`\r  importing ${input.type}… ${Math.round((Date.now() - started) / 1000)} s`),
        1000,
      )
    : null;
  try {
    return await withData(
      dataDir,
      (store) => importFile(store, input),
      (server) => adminCall(server, 'import', input) as Promise<ImportSummary>,
    );
  } finally {
    if (timer) {
      clearInterval(timer);
      process.stderr.write('\r\x1b[K');
    }
  }
}

function summaryLine(r: ImportSummary): string {
  const lines = [
    `${r.accepted} accepted (${r.updated} updated), ${r.duplicates} duplicates, ${r.outdated} outdated, ${r.rejectedCount} rejected in ${r.seconds} s (${r.rowsPerSecond} rows/s)`,
    ...r.rejected.slice(0, 20).map((e) => `  row ${e.row}: ${e.code} ${e.message}`),
  ];
  if (r.rejectedCount > 20) lines.push(`  … and ${r.rejectedCount - 20} more`);
  return lines.join('\n');
}

type FitFn = (store: DuckDbStore, input: Record<string, unknown>, now: Date) => Promise<unknown>;

/**
 * Fits the customer models on freshly loaded demo data, as of the data's last day, so the customer 360
 * and the routing priority have scores; too little data for a model is reported and skipped.
 */
async function fitDemoModels(dataDir: string, projectId: string, end: Date, verbose: boolean) {
  const lastDay = new Date(end.getTime() - 86_400_000).toISOString().slice(0, 10);
  const now = systemClock.now();
  const fits: Record<'clv' | 'churn' | 'health', [Record<string, unknown>, FitFn]> = {
    clv: [{ projectId, cutoff: lastDay, unit: 'week', horizon: 52 }, fitClvForProject],
    churn: [{ projectId }, fitChurn],
    health: [{ projectId, asOf: end.toISOString().slice(0, 10), horizonDays: 90 }, fitHealth],
  };
  for (const [model, [input, fitModel]] of Object.entries(fits)) {
    try {
      await withData(
        dataDir,
        (store) => fitModel(store, input, now),
        (server) => adminCall(server, `fit/${model}`, input),
      );
      if (verbose) process.stderr.write(`  fitted ${model}\n`);
    } catch (error) {
      if (!(error instanceof PolsoError && error.code === 'MODEL_NOT_ENOUGH_DATA')) throw error;
      if (verbose) process.stderr.write(`  ${model}: not fitted (${error.message})\n`);
    }
  }
}

/** The start of the current month (UTC): the demo's data reaches the dashboard's default view. */
function thisMonth(): Date {
  const now = systemClock.now();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

async function demo(opts: {
  data: string;
  size: number;
  seed: number;
  end?: Date;
  project?: string;
  json?: boolean;
}) {
  const end = opts.end ?? thisMonth();
  const dataDir = resolve(opts.data);
  const project = opts.project
    ? { projectId: opts.project }
    : await createProject(dataDir, 'Casa Serena (demo)', { currency: 'EUR', timezone: 'Europe/Rome' });
  const dir = mkdtempSync(join(tmpdir(), 'polso-demo-'));
  try {
    const started = Date.now();
    const files = await generateDemo({
      size: opts.size,
      seed: opts.seed,
      end,
      outDir: dir,
      onProgress: (n) =>
        process.stderr.write(
          `\r  generating demo data: ${n.toLocaleString('en')} / ${opts.size.toLocaleString('en')}`,
        ),
    });
    process.stderr.write(
      `\r\x1b[K  generated ${files.total.toLocaleString('en')} records in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    const results: Record<string, ImportSummary> = {};
    for (const f of files.files) {
      if (f.rows === 0) continue;
      results[f.kind] = await importOne(
        dataDir,
        { projectId: project.projectId, path: f.path, type: f.kind, format: 'csv' },
        !opts.json,
      );
      if (!opts.json) process.stderr.write(`  ${f.kind}: ${summaryLine(results[f.kind]!)}\n`);
    }
    await fitDemoModels(dataDir, project.projectId, end, !opts.json);
    print(
      !!opts.json,
      { ...project, records: files.total, imports: results },
      JSON.stringify(project, null, 2),
    );
    return project;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const program = new Command('polso').description('Polso: customer engagement and experience, measured.');

program
  .command('serve')
  .description('Start the API on an embedded DuckDB store')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--port <n>', 'port (default $PORT or 8787)', int('port'))
  .option('--host <host>', 'interface to listen on', env.HOST ?? '127.0.0.1')
  .action(async (opts) => {
    await serve(opts);
  });

const project = program.command('project').description('Projects and their keys');
project
  .command('create <name>')
  .description('Create a project; prints its id and keys (shown once)')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--currency <code>', 'reporting currency', 'EUR')
  .option('--timezone <tz>', 'reporting time zone', 'Europe/Rome')
  .option('--json', 'print JSON')
  .action(async (name: string, opts) => {
    const created = await createProject(resolve(opts.data), name, {
      currency: opts.currency,
      timezone: opts.timezone,
    });
    print(
      !!opts.json,
      created,
      `Project ${created.projectId}\n  write key:  ${created.writeKey}\n  secret key: ${created.secretKey}\n  public key: ${created.publicKey}\nKeep the keys: they are stored hashed and cannot be shown again.`,
    );
  });

program
  .command('user')
  .description('Dashboard users')
  .command('add <email>')
  .description('Add a dashboard user; prints a generated password (shown once) unless --password-stdin')
  .requiredOption('--project <id>', 'project id')
  .option('--role <role>', 'viewer, editor or admin', 'viewer')
  .option('--password-stdin', 'read the password from standard input')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--json', 'print JSON')
  .action(async (email: string, opts) => {
    const password = opts.passwordStdin ? await readStdin() : undefined;
    const input = { projectId: opts.project, email, role: opts.role, password };
    const user = await withData(
      resolve(opts.data),
      (store) => addUser(store, input),
      (server) => adminCall(server, 'users', input) as Promise<CreatedUser>,
    );
    print(
      !!opts.json,
      user,
      `User ${user.email} (${user.role}) added to ${user.projectId}${user.password ? `\n  password: ${user.password}\nKeep it: it is stored hashed and cannot be shown again.` : ''}`,
    );
  });

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

program
  .command('import <file>')
  .description('Bulk import a CSV, NDJSON or Parquet file of one record type')
  .requiredOption('--type <kind>', 'record type (customer, contact, order, …)')
  .requiredOption('--project <id>', 'project id')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--format <format>', 'csv, ndjson or parquet (default: from the file name)')
  .option('--map <field=column...>', 'take a field from a differently named column')
  .option('--timezone <tz>', 'time zone of timestamps without an offset')
  .option('--json', 'print JSON')
  .action(async (file: string, opts) => {
    const mapping: Record<string, string> = {};
    for (const pair of (opts.map as string[] | undefined) ?? []) {
      const [field, column] = pair.split('=', 2);
      if (!field || !column) throw new PolsoError('POLSO_BAD_OPTION', `--map ${pair}: expected field=column`);
      mapping[field] = column;
    }
    const path = resolve(file);
    if (!existsSync(path)) throw new PolsoError('POLSO_FILE_NOT_FOUND', `No file at ${path}`);
    const summary = await importOne(
      resolve(opts.data),
      {
        projectId: opts.project,
        path,
        type: opts.type,
        format: opts.format,
        mapping,
        timezone: opts.timezone,
      },
      !opts.json,
    );
    print(!!opts.json, summary, summaryLine(summary));
    if (summary.rejectedCount > 0 && summary.accepted + summary.duplicates === 0) process.exitCode = 2;
  });

program
  .command('demo')
  .description('Generate and load a realistic demo data set (seeded)')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--size <n>', 'number of records', int('size'), 100_000)
  .option('--seed <n>', 'random seed', int('seed'), 42)
  .option('--end <date>', 'end of the data, exclusive (default: the start of this month)', day('end'))
  .option('--project <id>', 'load into this project instead of a new one')
  .option('--json', 'print JSON')
  .action(async (opts) => {
    await demo(opts);
  });

program
  .command('quickstart')
  .description('Load demo data (first run only) and start the server')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--size <n>', 'number of demo records', int('size'), 200_000)
  .option('--port <n>', 'port', int('port'))
  .action(async (opts) => {
    const dataDir = resolve(opts.data);
    const port = opts.port ?? Number(env.PORT ?? 8787);
    let keys: Partial<CreatedProject> | null = null;
    if (!existsSync(DuckDbStore.file(dataDir)))
      keys = await demo({ data: dataDir, size: opts.size, seed: 42 });
    const listening = await serve({ data: dataDir, port, host: env.HOST ?? '127.0.0.1', quiet: true });
    const base = `http://127.0.0.1:${listening}`;
    process.stdout.write(
      [
        '',
        `Polso is running at ${base}`,
        `  dashboard: ${base}/ (sign in with the secret key below, or a user from \`polso user add\`)`,
        `  health:   ${base}/healthz`,
        `  records:  curl -H "Authorization: Bearer <secret key>" ${base}/api/v1/records/contact?limit=5`,
        keys?.secretKey
          ? `  demo project ${keys.projectId}\n  secret key ${keys.secretKey}\n  write key  ${keys.writeKey}`
          : `  data in ${dataDir} (keys were printed when the project was created)`,
        'Stop with Ctrl-C.',
        '',
      ].join('\n'),
    );
  });

program
  .command('query <metrics...>')
  .description('Compute metrics by dimension and period')
  .requiredOption('--project <id>', 'project id')
  .requiredOption('--from <date>', 'start (YYYY-MM-DD, inclusive)')
  .requiredOption('--to <date>', 'end (YYYY-MM-DD, exclusive)')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--by <dim...>', 'group by these dimensions')
  .option('--grain <grain>', 'hour, day, week, month, quarter or year')
  .option('--timezone <tz>', "time zone (default: the project's)")
  .option('--filter <dim=value...>', 'keep only these values (repeatable)')
  .option('--compare <kind>', 'previous_period or previous_year')
  .option('--format <format>', 'table, csv or json', 'table')
  .action(async (metrics: string[], opts) => {
    const filters: Record<string, string[]> = {};
    for (const pair of (opts.filter as string[] | undefined) ?? []) {
      const [dim, value] = pair.split('=', 2);
      if (!dim || value === undefined)
        throw new PolsoError('POLSO_BAD_OPTION', `--filter ${pair}: expected dim=value`);
      filters[dim] = [...(filters[dim] ?? []), value];
    }
    const query = {
      metrics,
      from: opts.from,
      to: opts.to,
      ...(opts.by ? { groupBy: opts.by } : {}),
      ...(opts.grain ? { grain: opts.grain } : {}),
      ...(opts.timezone ? { timezone: opts.timezone } : {}),
      ...(opts.compare ? { compare: opts.compare } : {}),
      ...(Object.keys(filters).length > 0 ? { filters } : {}),
    };
    if (!['table', 'csv', 'json'].includes(opts.format))
      throw new PolsoError('POLSO_BAD_OPTION', '--format: table, csv or json');
    const input = { projectId: opts.project, query };
    const dataDir = resolve(opts.data);
    const result = await withData(
      dataDir,
      (store) => queryProject(store, input, new Date()),
      (server) => adminCall(server, 'query', input) as Promise<QueryResult>,
    );
    if (opts.format === 'json') process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (opts.format === 'csv') {
      const plan = planQuery(
        query,
        { id: opts.project, config: { timezone: result.meta.timezone } },
        new Date(),
      );
      process.stdout.write(toCsv(plan, result));
    } else
      process.stdout.write(
        `${table(metrics, [...(opts.by ?? []), ...(opts.grain ? ['period'] : [])], result)}\n`,
      );
  });

/** Reads a survey definition from a JSON or YAML file (YAML is a superset of JSON). */
function readDefinition(file: string): unknown {
  if (!existsSync(file)) throw new PolsoError('POLSO_FILE_NOT_FOUND', `No file ${file}`);
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PolsoError('SURVEY_INVALID_DEFINITION', `${file}: ${(error as Error).message}`);
  }
}

async function saveSurvey(
  opts: { data: string; project: string; json?: boolean },
  input: Record<string, unknown>,
) {
  const body = { projectId: opts.project, ...input };
  const saved = await withData(
    resolve(opts.data),
    (store) =>
      defineSurvey(
        new SurveyService({
          store,
          clock: systemClock,
          baseUrl: () => '',
          delivery: { messageDomain: 'polso.localhost' },
        }),
        body,
      ),
    (server) => adminCall(server, 'surveys', body) as Promise<{ id: string; version: number }>,
  );
  print(!!opts.json, saved, `Survey ${saved.id} version ${saved.version}`);
}

const survey = program.command('survey').description('Survey definitions (JSON or YAML files)');
survey
  .command('create <file>')
  .description('Create a survey from a definition file; every problem is reported with its path')
  .requiredOption('--project <id>', 'project id')
  .option('--id <id>', 'survey id (default: the file\'s "id", else a new one)')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--json', 'print JSON')
  .action(async (file: string, opts) => {
    await saveSurvey(opts, { definition: readDefinition(file), ...(opts.id ? { id: opts.id } : {}) });
  });
survey
  .command('update <id> <file>')
  .description('Store a new version of a survey (answers already given keep their version)')
  .requiredOption('--project <id>', 'project id')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--json', 'print JSON')
  .action(async (id: string, file: string, opts) => {
    const definition = readDefinition(file) as Record<string, unknown> | null;
    if (definition && typeof definition === 'object') delete definition.id;
    await saveSurvey(opts, { id, definition, update: true });
  });

const fit = program.command('fit').description('Fit customer models');
fit
  .command('clv')
  .description('Fit BG/NBD, Pareto/NBD and Gamma-Gamma; predict purchases, P(alive), spend and CLV')
  .option('--orders <file>', 'CSV with customer_id,timestamp,amount (default: the project’s orders)')
  .option('--project <id>', 'fit on this project’s stored orders')
  .option('--data <dir>', 'data directory', defaultData)
  .requiredOption('--cutoff <date>', 'last day of the calibration period (YYYY-MM-DD, inclusive)')
  .requiredOption('--unit <unit>', 'day or week: recency, T and the horizon are in this unit')
  .requiredOption('--horizon <n>', 'prediction horizon in units')
  .option('--discount-rate <r>', 'yearly discount rate for CLV', '0.10')
  .option('--out <file>', 'write one row per customer to this CSV')
  .option('--json', 'print JSON')
  .action(async (opts) => {
    const options = parseClvOptions(opts);
    let result: ClvResult;
    if (opts.orders) {
      const path = resolve(opts.orders);
      if (!existsSync(path)) throw new PolsoError('POLSO_FILE_NOT_FOUND', `No file at ${path}`);
      result = fitClvOnOrders(await readOrdersCsv(path), options);
    } else if (opts.project) {
      const input = { projectId: opts.project, ...options };
      result = await withData(
        resolve(opts.data),
        (store) => fitClvForProject(store, input, systemClock.now()),
        (server) => adminCall(server, 'fit/clv', input) as Promise<ClvResult>,
      );
    } else throw new PolsoError('POLSO_BAD_OPTION', '--orders FILE or --project ID is required');
    if (opts.out) await writePredictionsCsv(resolve(opts.out), result.predictions);
    const params = clvParamsJson(result);
    const fmt = (o: Record<string, number>) =>
      Object.entries(o)
        .map(([k, v]) => `${k} ${Math.round(v * 1000) / 1000}`)
        .join(', ');
    print(
      !!opts.json,
      params,
      [
        `${result.predictions.length} customers`,
        `BG/NBD      ${fmt(params.bgnbd)}`,
        `Pareto/NBD  ${fmt(params.paretoNbd)}`,
        `Gamma-Gamma ${fmt(params.gammaGamma)} (frequency–spend correlation ${result.spendFrequencyCorrelation.toFixed(2)})`,
        ...(opts.out ? [`predictions: ${resolve(opts.out)}`] : []),
      ].join('\n'),
    );
  });

fit
  .command('churn')
  .description('Train the churn-risk model on a project’s customers and store each customer’s risk')
  .requiredOption('--project <id>', 'project id')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--label <trait>', 'trait that says who churned (yes/true/1); default: churnedAt is set')
  .option('--folds <n>', 'cross-validation folds', int('folds'), 5)
  .option('--seed <n>', 'seed of the fold assignment', int('seed'), 42)
  .option('--json', 'print JSON')
  .action(async (opts) => {
    const input = { projectId: opts.project, label: opts.label, folds: opts.folds, seed: opts.seed };
    const summary = await withData(
      resolve(opts.data),
      (store) => fitChurn(store, input, systemClock.now()),
      (server) => adminCall(server, 'fit/churn', input) as ReturnType<typeof fitChurn>,
    );
    print(
      !!opts.json,
      summary,
      `${summary.customers} customers (${summary.churned} churned), ${summary.features} features: ${opts.folds}-fold ROC AUC ${summary.auc.toFixed(3)}, Brier ${summary.brier.toFixed(3)}; scores stored`,
    );
  });

fit
  .command('health')
  .description(
    'Score every customer’s health now and report how well the score foretold who was lost (ROC AUC), with suggested weights',
  )
  .requiredOption('--project <id>', 'project id')
  .option('--data <dir>', 'data directory', defaultData)
  .option('--as-of <date>', 'day to score every customer on and store (default: now)')
  .option('--at <date>', 'day to take the report’s scores on (default: horizon days before --as-of)')
  .option('--horizon-days <n>', 'days after --at in which a loss counts', int('horizon-days'), 90)
  .option('--folds <n>', 'cross-validation folds of the suggested weights', int('folds'), 5)
  .option('--seed <n>', 'seed of the fold assignment', int('seed'), 42)
  .option('--json', 'print JSON')
  .action(async (opts) => {
    const input = {
      projectId: opts.project,
      at: opts.at,
      asOf: opts.asOf,
      horizonDays: opts.horizonDays,
      folds: opts.folds,
      seed: opts.seed,
    };
    const fitted = await withData(
      resolve(opts.data),
      (store) => fitHealth(store, input, systemClock.now()),
      (server) => adminCall(server, 'fit/health', input) as ReturnType<typeof fitHealth>,
    );
    const r = fitted.report;
    const weights = (w: Record<string, number>) =>
      Object.entries(w)
        .map(([c, v]) => `${c} ${v.toFixed(2)}`)
        .join(', ');
    print(
      !!opts.json,
      fitted,
      [
        `${r.customers} customers active on ${r.at}, ${r.lost} lost within ${r.horizonDays} days`,
        `current weights  ROC AUC ${r.current.auc.toFixed(3)}  (${weights(r.current.weights.default!)})`,
        `suggested        ROC AUC ${r.suggested.auc.toFixed(3)} held out (${weights(r.suggested.weights)})`,
        ...Object.entries(r.components).map(
          ([c, v]) =>
            `  ${c.padEnd(9)} AUC ${v.auc.toFixed(3)}  mean lost ${v.meanLost.toFixed(2)}, kept ${v.meanKept.toFixed(2)}`,
        ),
        `${fitted.scored} customers' health stored`,
      ].join('\n'),
    );
  });

/** A plain-text table: dimension columns, then each metric as "value (n) [low, high]". */
function table(metrics: string[], keys: string[], result: QueryResult): string {
  const fmt = (v: unknown) => {
    const m = v as { value: number | null; n: number; ci?: [number, number] | null };
    if (m.value === null) return `– (n=${m.n})`;
    const ci = m.ci ? ` [${m.ci[0]}, ${m.ci[1]}]` : '';
    return `${Math.round(m.value * 100) / 100} (n=${m.n})${ci}`;
  };
  const rows = result.rows.map((r) => [
    ...keys.map((k) => String(r[k] ?? '')),
    ...metrics.map((m) => fmt(r[m])),
  ]);
  const head = [...keys, ...metrics];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  const e = error as Error & { code?: string; exitCode?: number };
  if (e.code?.startsWith('commander.')) process.exit(e.exitCode ?? 1);
  if (error instanceof PolsoError) {
    process.stderr.write(`polso: ${error.code}: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`polso: ${e.stack ?? e.message}\n`);
  process.exit(1);
}
