// Writes docs/records.md from the record model.
import { writeFileSync } from 'node:fs';
import { renderRecordsDoc } from '../src/docs/records-doc.ts';

writeFileSync(new URL('../docs/records.md', import.meta.url), renderRecordsDoc());
