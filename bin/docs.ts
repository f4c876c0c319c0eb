// Writes docs/records.md and docs/metrics.md from the record model and the metric catalogue.
import { writeFileSync } from 'node:fs';
import { renderMetricsDoc } from '../src/docs/metrics-doc.ts';
import { renderRecordsDoc } from '../src/docs/records-doc.ts';

writeFileSync(new URL('../docs/records.md', import.meta.url), renderRecordsDoc());
writeFileSync(new URL('../docs/metrics.md', import.meta.url), renderMetricsDoc());
