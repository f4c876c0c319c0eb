import { loadDemoStore } from './demo-store.ts';

const t = performance.now();
const { store, projectId, loadSeconds } = await loadDemoStore('/tmp/p100m', 100_000_000);
console.log(JSON.stringify({ projectId, loadSeconds, totalSeconds: (performance.now() - t) / 1000 }));
await store.close();
