/**
 * @module auth/keys
 * API keys: long random tokens shown once, stored as SHA-256 hashes (fast per request, and a
 * leaked database does not leak usable keys). Scopes: `public` (browser-safe), `write`, `secret`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRow, KeyScope, Project, Store } from '../store/store.ts';

const PREFIX: Record<KeyScope, string> = { public: 'polso_pk_', write: 'polso_wk_', secret: 'polso_sk_' };

/** A new token for a scope: prefix + 32 random bytes, base64url. */
export function newToken(scope: KeyScope): string {
  return PREFIX[scope] + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates a key for a project and returns the token (shown once) with its stored row. */
export async function issueKey(
  store: Store,
  projectId: string,
  scope: KeyScope,
  name: string,
): Promise<{ token: string; key: ApiKeyRow }> {
  const token = newToken(scope);
  const key = await store.addKey(projectId, scope, name, hashToken(token));
  return { token, key };
}

/** What a request is allowed to act as once its key is known. */
export interface Principal {
  project: Project;
  key: ApiKeyRow;
}

/**
 * Resolves tokens to principals, caching by hash (this process is the only writer of keys, so
 * revocations through {@link KeyResolver.forget} keep the cache exact).
 */
export class KeyResolver {
  private readonly cache = new Map<string, Principal | null>();
  constructor(private readonly store: Store) {}

  async resolve(token: string): Promise<Principal | null> {
    if (token.length < 20 || token.length > 200) return null;
    const hash = hashToken(token);
    if (this.cache.has(hash)) return this.cache.get(hash) ?? null;
    const key = await this.store.findKeyByHash(hash);
    const project = key && !key.revokedAt ? await this.store.getProject(key.projectId) : null;
    const principal = key && project && !key.revokedAt ? { project, key } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, principal);
    return principal;
  }

  /** Drops cached entries of a project (after a key is revoked or its configuration changes). */
  forget(projectId: string): void {
    for (const [hash, p] of this.cache) if (!p || p.project.id === projectId) this.cache.delete(hash);
  }
}
