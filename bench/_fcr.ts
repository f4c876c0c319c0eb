import { planQuery } from '../src/engine/plan.ts';
import { runQuery } from '../src/engine/run.ts';
import { NOW, openStore } from './demo-store.ts';

const store = await openStore('/tmp/p10m/db', 0);
const project = (await store.getProject('prj_f0af1f7296da45559f6e'))!;
for (const r of [
  { from: '2025-11-01', to: '2026-11-01' },
  { from: '2026-10-01', to: '2026-11-01' },
])
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    const x = await runQuery(store, planQuery({ metrics: ['fcr'], grain: 'month', ...r }, project, NOW));
    console.log(r.from, Math.round(performance.now() - t), JSON.stringify(x.rows.at(-1)!.fcr).slice(0, 80));
  }
await store.close();
