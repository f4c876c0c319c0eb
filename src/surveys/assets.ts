/**
 * @module surveys/assets
 * The browser files of the hosted page and the widget (`web/survey/`), served by Polso itself: the
 * TypeScript sources are bundled and minified with esbuild once, on first request, and kept in memory.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const WEB = fileURLToPath(new URL('../../web/survey/', import.meta.url));

/** A served file: its body and content type. */
export interface Asset {
  body: string;
  type: string;
}

const cache = new Map<string, Asset>();

function bundle(entry: string): string {
  const out = buildSync({
    entryPoints: [WEB + entry],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    write: false,
    legalComments: 'none',
  });
  return out.outputFiles[0]!.text;
}

const FILES: Record<string, () => Asset> = {
  'page.js': () => ({ body: bundle('page.ts'), type: 'text/javascript; charset=utf-8' }),
  'widget.js': () => ({ body: bundle('widget.ts'), type: 'text/javascript; charset=utf-8' }),
  'page.css': () => ({ body: readFileSync(`${WEB}page.css`, 'utf8'), type: 'text/css; charset=utf-8' }),
};

/** A browser file by name (`page.js`, `page.css`, `widget.js`), or null. */
export function asset(name: string): Asset | null {
  const make = FILES[name];
  if (!make) return null;
  let found = cache.get(name);
  if (!found) {
    found = make();
    cache.set(name, found);
  }
  return found;
}
