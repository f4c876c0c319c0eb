/**
 * `polso survey create|update` as a child process: YAML definitions, every problem reported, and a new
 * version through the running server's admin API while `polso serve` holds the data directory.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { polso, startServer, stopped } from './cli.ts';
import { tempDir } from './helpers.ts';

const YAML = `id: ces_feature
name: { it: Esportazione, en: Export }
touchpoint: reports
questions:
  - id: q1
    type: ces
    scale: 7
    text: { it: "Quanto è stato facile esportare?", en: "How easy was exporting?" }
triggers:
  - { record: event, where: { feature: [export] }, delayMinutes: 0, via: link }
`;

describe('polso survey', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates from YAML, reports every problem, and versions through a running server', async () => {
    const created = JSON.parse((await polso(['project', 'create', 'Cli', '--data', dir, '--json'])).stdout);
    const file = join(dir, 'ces.yaml');
    writeFileSync(file, YAML);
    const ok = await polso([
      'survey',
      'create',
      file,
      '--project',
      created.projectId,
      '--data',
      dir,
      '--json',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ id: 'ces_feature', version: 1 });

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nquestions:\n  - { id: q1, type: stars }\n');
    const refused = await polso(['survey', 'create', bad, '--project', created.projectId, '--data', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SURVEY_INVALID_DEFINITION');
    expect(refused.stderr).toContain('questions[0].type');
    expect(refused.stderr).toContain('questions[0].text');

    const { child, base } = await startServer(dir);
    try {
      const update = await polso([
        'survey',
        'update',
        'ces_feature',
        file,
        '--project',
        created.projectId,
        '--data',
        dir,
        '--json',
      ]);
      expect(JSON.parse(update.stdout)).toEqual({ id: 'ces_feature', version: 2 });
      const res = await fetch(`${base}/api/v1/surveys/ces_feature`, {
        headers: { authorization: `Bearer ${created.secretKey}` },
      });
      expect(await res.json()).toMatchObject({ version: 2, definition: { touchpoint: 'reports' } });
    } finally {
      child.kill('SIGTERM');
      await stopped(child);
    }
  });
});
