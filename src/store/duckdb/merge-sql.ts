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

/** Valid rows of the staging table `stg`, with anonymous ids resolved through `identities`. */
export const VALID_ROWS = `CREATE OR REPLACE TEMP TABLE v AS SELECT * EXCLUDE (errs) FROM stg WHERE len(errs) = 0`;

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
        ? `${c} = CASE WHEN v.${c} IS NULL THEN t.${c} WHEN t.${c} IS NULL THEN v.${c} ELSE json_merge_patch(t.${c}, v.${c}) END`
        : `${c} = coalesce(v.${c}, t.${c})`;
    });
  return [
    `UPDATE v SET ${sets.join(', ')} FROM ${ident(spec.table)} t
     WHERE t.project_id = $project AND t._key = v._key AND t.id = v.id`,
    `UPDATE v SET _hash = ${contentHash(spec, (fl) => ident(fl.column))}`,
  ];
}

/** Stored rows that share an id with the batch (hash pre-filter, then exact id). */
export function existingRows(spec: KindSpec): string {
  const state = spec.lifecycle === 'state';
  return `CREATE OR REPLACE TEMP TABLE ex AS
    SELECT t.id, t._hash${state ? ', t.updated_at' : ''} FROM ${ident(spec.table)} t
    WHERE t._key IN (SELECT _key FROM v) AND t.project_id = $project AND t.id IN (SELECT id FROM v)`;
}

/** One decision per valid row: `action` (insert/accept/duplicate/outdated), `write`, `replaced`. */
export function decisions(spec: KindSpec): string {
  if (spec.lifecycle === 'fact')
    return `CREATE OR REPLACE TEMP TABLE act AS
      SELECT v.idx,
        CASE WHEN row_number() OVER (PARTITION BY v.id ORDER BY v.idx) > 1 OR ex.id IS NOT NULL
          THEN 'duplicate' ELSE 'accept' END AS action,
        action = 'accept' AS write, false AS replaced, NULL::TIMESTAMPTZ AS eff
      FROM v LEFT JOIN ex ON ex.id = v.id`;
  return `CREATE OR REPLACE TEMP TABLE act AS
    WITH w AS (
      SELECT v.idx, v.id, v._hash, coalesce(v.updated_at, $now::TIMESTAMPTZ) AS eff,
        row_number() OVER (PARTITION BY v.id, v._hash ORDER BY v.idx) AS same_rank,
        row_number() OVER (PARTITION BY v.id ORDER BY coalesce(v.updated_at, $now::TIMESTAMPTZ) DESC, v.idx DESC) AS win_rank,
        ex.id IS NOT NULL AS known, ex._hash AS stored_hash, ex.updated_at AS stored_at
      FROM v LEFT JOIN ex ON ex.id = v.id
    )
    SELECT idx, eff,
      CASE WHEN same_rank > 1 OR stored_hash = _hash THEN 'duplicate'
        WHEN known AND eff < stored_at THEN 'outdated' ELSE 'accept' END AS action,
      win_rank = 1 AND action = 'accept' AS write,
      win_rank = 1 AND action = 'accept' AND known AS replaced
    FROM w`;
}

/** Deletes the stored versions that the batch replaces (states only). */
export function deleteReplaced(spec: KindSpec): string {
  return `DELETE FROM ${ident(spec.table)} WHERE project_id = $project
    AND _key IN (SELECT v._key FROM v JOIN act USING (idx) WHERE act.replaced)
    AND id IN (SELECT v.id FROM v JOIN act USING (idx) WHERE act.replaced)`;
}

/** Inserts the rows to write, resolving anonymous ids already aliased to a customer. */
export function insertRows(spec: KindSpec): string {
  const person = spec.person;
  const state = spec.lifecycle === 'state';
  const exclude = ['idx', ...(person ? ['customer_id'] : []), ...(state ? ['updated_at'] : [])];
  const cols = [
    `v.* EXCLUDE (${exclude.join(', ')})`,
    ...(person ? ['coalesce(v.customer_id, i.customer_id) AS customer_id'] : []),
    ...(state ? ['act.eff AS updated_at'] : []),
    '$now::TIMESTAMPTZ AS _ingested_at',
  ];
  return `INSERT INTO ${ident(spec.table)} BY NAME
    SELECT ${cols.join(', ')} FROM v JOIN act USING (idx)
    ${person ? 'LEFT JOIN identities i ON i.project_id = $project AND i.anonymous_id = v.anonymous_id' : ''}
    WHERE act.write`;
}

export const COUNTS = `SELECT
    count(*) FILTER (WHERE action = 'accept') AS accepted,
    count(*) FILTER (WHERE replaced) AS updated,
    count(*) FILTER (WHERE action = 'duplicate') AS duplicates,
    count(*) FILTER (WHERE action = 'outdated') AS outdated
  FROM act`;

export const REJECTED = `SELECT idx, e.field AS field, e.code AS code
  FROM (SELECT idx, unnest(errs) AS e FROM stg WHERE len(errs) > 0) ORDER BY idx LIMIT $limit`;

export const REJECTED_COUNT = `SELECT count(*) AS n FROM stg WHERE len(errs) > 0`;

export const DROP_TEMP = ['stg', 'v', 'ex', 'act'].map((t) => `DROP TABLE IF EXISTS ${t}`);
