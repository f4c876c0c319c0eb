/**
 * Shared set-up for the dashboard's end-to-end test and benchmark: the built dashboard, a server on a
 * real DuckDB file loaded with demo data, and Debian's Chromium driven by playwright-core.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { addUser } from '../src/auth/users.ts';
import { createApp } from '../src/server/app.ts';
import { DEFAULT_WEB_ROOT } from '../src/server/web.ts';
import { type CreatedProject, createProjectWithKeys } from '../src/service/operations.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { systemClock } from '../src/util/clock.ts';
import { importDemo, tempDir } from './helpers.ts';

/** Builds the dashboard when no build exists (a fresh clone where `npm install` skipped `prepare`). */
export async function ensureDashboardBuilt(): Promise<void> {
  if (existsSync(join(DEFAULT_WEB_ROOT, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: resolve(import.meta.dirname, '../web/dashboard/vite.config.ts') });
}

export interface DashboardServer {
  url: string;
  store: DuckDbStore;
  app: FastifyInstance;
  project: CreatedProject;
  /** A dashboard user of the demo project (editor). */
  user: { email: string; password: string };
  close(): Promise<void>;
}

/** A listening server on a fresh store with `records` demo records (seed 42) and one user. */
export async function startDashboardServer(
  records: number,
  opts: { threads?: number } = {},
): Promise<DashboardServer> {
  await ensureDashboardBuilt();
  const dir = tempDir('polso-dashboard-');
  const store = new DuckDbStore({ dataDir: join(dir, 'db'), clock: systemClock, ...opts });
  await store.ready;
  const project = await createProjectWithKeys(store, { name: 'Casa Serena (demo)' });
  await importDemo(store, project.projectId, records, 42);
  const user = { email: 'agente@casaserena.example', password: 'password-di-prova' };
  await addUser(store, { projectId: project.projectId, role: 'editor', ...user });
  const app = createApp({ store, clock: systemClock });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    app,
    project,
    user,
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with nothing that reaches the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--headless',
    ],
  });
}

/** Signs in through the form with e-mail and password (Italian labels). */
export async function signIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Accedi', exact: true }).click();
  await page.locator('main[data-page]').waitFor();
}

/** Waits until page `id` shows its numbers: no tile, panel or list still loading. */
export async function waitForNumbers(page: Page, id: string, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    (pageId) =>
      document.querySelector(`main[data-page="${pageId}"]`) !== null &&
      document.querySelectorAll('[aria-busy="true"]').length === 0,
    id,
    { timeout, polling: 50 },
  );
}

/** What is still loading on the page (panel ids or element classes), to say where time goes. */
export function stillLoading(page: Page): Promise<string[]> {
  return page.$$eval('[aria-busy="true"]', (els) =>
    els.map((el) => el.getAttribute('data-panel') ?? el.className ?? el.tagName),
  );
}
