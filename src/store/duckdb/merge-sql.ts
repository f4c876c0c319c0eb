/**
 * @module store/duckdb/merge-sql
 * Applies a validated staging table to a record table with the idempotency rules of the model:
 * facts — the first write wins, later ones are duplicates; states — identical content is a
 * duplicate, new content replaces the stored version unless it is older (`updatedAt`).
 * Parameters: `$project`, `$now`.
 */
import { fieldsOf, type KindSpec } from '../../model/kinds.ts';
import { ident } from './schema.ts';
import { contentHash } from './validate-sql.ts';

/**
 * Rows are numbered `idx = request × REQUEST_STRIDE + position`, so batches of several requests can
 * be staged together (group commit) and their outcomes told apart.
 */
export const REQUEST_STRIDE = 10_000_000;

/**
 * The staging table `stg` with its row numbers. A batch from the API carries `idx`; a file is staged
 * in file order, so its row id is the position (no window function over millions of rows).
 */
export function staged(positional: boolean): string {
  return positional ? '(SELECT rowid AS idx, * FROM stg)' : 'stg';
}

/** Valid rows of the staging table. */
function valid(positional: boolean): string {
  return `(SELECT * EXCLUDE (errs) FROM ${staged(positional)} WHERE errs IS NULL)`;
}

/**
 * Patch mode (Segment `identify`/`group`): fields absent from the incoming record keep their stored
 * value and free-form traits are merged, then the content hash is recomputed on the result.
 */
export function patchRows(spec: KindSpec): string[] {
  const sets = fieldsOf(spec)
    .filter((fl) => fl.name !== 'id')
    .map((fl) => {
      const c = ident(fl.column);
      return fl.type === 'json'
        ? `${c} = CASE WHEN stg.${c} IS NULL THEN t.${c} WHEN t.${c} IS NULL THEN stg.${c} ELSE json_merge_patch(t.${c}, stg.${c}) END`
        : `${c} = coalesce(stg.${c}, t.${c})`;
    });
  return [
    `UPDATE stg SET ${sets.join(', ')} FROM ${ident(spec.table)} t
     WHERE stg.errs IS NULL AND t.project_id = $project AND t._key = stg._key AND t.id = stg.id`,
    `UPDATE stg SET _hash = ${contentHash(spec, (fl) => ident(fl.column))} WHERE errs IS NULL`,
  ];
}

/**
 * Decisions, in temp table `act`. States: one row per valid row — `action` (accept, duplicate,
 * outdated), `write`, `replaced` — against the stored rows sharing an id (found by the 64-bit key
 * first, then exact id). Facts: only the duplicates (the same id earlier in the batch, or stored), so
 * that a large import of new facts carries no per-row decision at all.
 */
export function decisions(spec: KindSpec, positional: boolean): string {
  const V = valid(positional);
  const state = spec.lifecycle === 'state';
  const stored = `SELECT t.id, t._hash${state ? ', t.updated_at' : ''} FROM ${ident(spec.table)} t
      WHERE t._key IN (SELECT _key FROM ${V}) AND t.project_id = $project AND t.id IN (SELECT id FROM ${V})`;
  if (!state)
    return `CREATE OR REPLACE TEMP TABLE act AS
      WITH again AS (SELECT id FROM ${V} GROUP BY id HAVING count(*) > 1)
      SELECT idx, 'duplicate' AS action, false AS write, false AS replaced FROM (
        SELECT idx FROM (
          SELECT idx, row_number() OVER (PARTITION BY id ORDER BY idx) AS rn FROM ${V} WHERE id IN (SELECT id FROM again)
        ) WHERE rn > 1
        UNION
        SELECT idx FROM ${V} WHERE id IN (SELECT id FROM (${stored}))
      )`;
  return `CREATE OR REPLACE TEMP TABLE act AS
    WITH ex AS (${stored}), w AS (
      SELECT v.idx, v.id, v._hash, coalesce(v.updated_at, $now::TIMESTAMPTZ) AS eff,
        row_number() OVER (PARTITION BY v.id, v._hash ORDER BY v.idx) AS same_rank,
        row_number() OVER (PARTITION BY v.id ORDER BY coalesce(v.updated_at, $now::TIMESTAMPTZ) DESC, v.idx DESC) AS win_rank,
        ex.id IS NOT NULL AS known, ex._hash AS stored_hash, ex.updated_at AS stored_at
      FROM ${V} v LEFT JOIN ex ON ex.id = v.id
    )
    SELECT idx, eff,
      CASE WHEN same_rank > 1 OR stored_hash = _hash THEN 'duplicate'
        WHEN known AND eff < stored_at THEN 'outdated' ELSE 'accept' END AS action,
      win_rank = 1 AND action = 'accept' AS write,
      win_rank = 1 AND action = 'accept' AND known AS replaced
    FROM w`;
}

/** Deletes the stored versions that the batch replaces (states only). */
export function deleteReplaced(spec: KindSpec, positional: boolean): string {
  const V = valid(positional);
  const replaced = `(SELECT v._key, v.id FROM ${V} v JOIN act USING (idx) WHERE act.replaced)`;
  return `DELETE FROM ${ident(spec.table)} WHERE project_id = $project
    AND _key IN (SELECT _key FROM ${replaced}) AND id IN (SELECT id FROM ${replaced})`;
}

/** Inserts the rows to write, resolving anonymous ids already aliased to a customer. */
export function insertRows(spec: KindSpec, positional: boolean): string {
  const V = valid(positional);
  const person = spec.person;
  const state = spec.lifecycle === 'state';
  const exclude = ['idx', ...(person ? ['customer_id'] : []), ...(state ? ['updated_at'] : [])];
  const cols = [
    `v.* EXCLUDE (${exclude.join(', ')})`,
    ...(person ? ['coalesce(v.customer_id, i.customer_id) AS customer_id'] : []),
    ...(state ? ['act.eff AS updated_at'] : []),
    '$now::TIMESTAMPTZ AS _ingested_at',
  ];
  const from = state ? `${V} v JOIN act USING (idx)` : `${V} v`;
  const where = state ? 'act.write' : 'v.idx NOT IN (SELECT idx FROM act)';
  return `INSERT INTO ${ident(spec.table)} BY NAME
    SELECT ${cols.join(', ')} FROM ${from}
    ${person ? 'LEFT JOIN identities i ON i.project_id = $project AND i.anonymous_id = v.anonymous_id' : ''}
    WHERE ${where}`;
}

/** Outcome counts per request: valid and rejected rows from `stg`, the exceptions from `act`. */
export function counts(positional: boolean): string {
  const req = positional ? '0' : `idx // ${REQUEST_STRIDE}`;
  return `SELECT req, sum(valid) - sum(duplicates) - sum(outdated) AS accepted, sum(updated) AS updated,
      sum(duplicates) AS duplicates, sum(outdated) AS outdated, sum(rejected) AS rejected
    FROM (
      SELECT ${req} AS req, (errs IS NULL)::INT AS valid, (errs IS NOT NULL)::INT AS rejected,
        0 AS duplicates, 0 AS outdated, 0 AS updated FROM ${staged(positional)}
      UNION ALL
      SELECT ${req}, 0, 0, (action = 'duplicate')::INT, (action = 'outdated')::INT, replaced::INT FROM act
    ) GROUP BY req`;
}

/** Bulk facts: inserts the valid rows of a staging query, in file order (row ids follow it). */
export function insertValidFacts(spec: KindSpec, staging: string): string {
  const person = spec.person;
  const cols = [
    `v.* EXCLUDE (errs${person ? ', customer_id' : ''})`,
    ...(person ? ['coalesce(v.customer_id, i.customer_id) AS customer_id'] : []),
    '$now::TIMESTAMPTZ AS _ingested_at',
  ];
  return `INSERT INTO ${ident(spec.table)} BY NAME
    SELECT ${cols.join(', ')} FROM (${staging}) v
    ${person ? 'LEFT JOIN identities i ON i.project_id = $project AND i.anonymous_id = v.anonymous_id' : ''}
    WHERE v.errs IS NULL`;
}

/** Bulk facts: whether the project had rows of this kind before the import. */
export function factsBefore(spec: KindSpec): string {
  return `SELECT EXISTS (SELECT 1 FROM ${ident(spec.table)}
    WHERE project_id = $project AND _ingested_at <> $now::TIMESTAMPTZ) AS earlier`;
}

/**
 * Bulk facts: deletes every copy of an id but the first — the stored one, else the earliest in the
 * file. Candidates are keys repeated among the rows this import (`_ingested_at = $now`) added, and,
 * when the project had rows before (`earlier`), keys of those rows too.
 */
export function deleteDuplicateFacts(spec: KindSpec, earlier: boolean): string {
  const t = ident(spec.table);
  const touched = `SELECT _key FROM ${t} WHERE project_id = $project AND _ingested_at = $now::TIMESTAMPTZ`;
  const repeated = `SELECT _key FROM (${touched}) GROUP BY _key HAVING count(*) > 1`;
  const stored = `SELECT _key FROM ${t} WHERE project_id = $project AND _ingested_at <> $now::TIMESTAMPTZ AND _key IN (${touched})`;
  return `DELETE FROM ${t} WHERE rowid IN (
    SELECT rid FROM (
      SELECT rowid AS rid, row_number() OVER (PARTITION BY _key, id ORDER BY rowid) AS rn
      FROM ${t} WHERE project_id = $project AND _key IN (${repeated}${earlier ? ` UNION ${stored}` : ''})
    ) WHERE rn > 1)`;
}

/** The first `$limit` problems, in order of position. */
export const rejected = (positional: boolean) => `SELECT idx, e.field AS field, e.code AS code
  FROM (SELECT idx, unnest(errs) AS e FROM ${staged(positional)} WHERE errs IS NOT NULL) ORDER BY idx LIMIT $limit`;

/** Temporary tables of a staging round, dropped after large imports to give the memory back. */
export const DROP_TEMP = ['stg', 'act'].map((t) => `DROP TABLE IF EXISTS ${t}`);
