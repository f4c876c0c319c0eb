/**
 * @module prefetch
 * Once the page shown has its numbers, asks the other pages' queries for the same view in the
 * background, one at a time and marked as such (the server gives them only an engine connection the
 * queries of the page shown do not need): the server computes and keeps their answers before they are
 * opened, so moving between pages does not wait on the engine. Answers are discarded; failures are ignored (the
 * page itself reports them when it is opened).
 */

import { PAGES } from '../../../src/views/dashboard.ts';
import { type CatalogueMetric, idle, query } from './api.ts';
import { panelQuery } from './panels.tsx';
import { loadTiles } from './tiles.tsx';
import { metricOf, type View } from './view.ts';

/**
 * @example
 * let stop = false;
 * prefetchPages(view, 'overview', () => stop); // stop = true when the view changes
 */
export async function prefetchPages(view: View, shown: string, stopped: () => boolean): Promise<void> {
  await idle();
  const known = (ids: string[]) =>
    ids.map((id) => metricOf(view, id)).filter((m): m is CatalogueMetric => !!m);
  for (const page of PAGES) {
    if (page.id === shown) continue;
    if (stopped()) return;
    await loadTiles(view, known(page.tiles), true).catch(() => undefined);
    for (const panel of page.panels) {
      if (stopped()) return;
      if (panel.kind === 'comments' || known(panel.metrics).length === 0) continue;
      await query(panelQuery(view, panel), true).catch(() => undefined);
    }
  }
}
