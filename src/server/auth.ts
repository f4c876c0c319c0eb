/**
 * @module server/auth
 * Reads the API key of a request (Bearer token, or HTTP Basic user name as Segment's libraries send
 * it) and checks its scope. 401 when there is no valid key, 403 when the key may not do this.
 */
import type { FastifyRequest } from 'fastify';
import type { KeyResolver, Principal } from '../auth/keys.ts';
import { PolsoError } from '../errors.ts';
import type { KeyScope, Project, Role } from '../store/store.ts';
import type { Sessions } from './session.ts';

/** The token carried by a request, if any. */
export function tokenOf(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value.trim() || null;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const user = decoded.split(':', 1)[0] ?? '';
    return user || null;
  }
  return null;
}

/** Resolves the request's key and checks that its scope is one of `allowed`. */
export async function authorize(
  req: FastifyRequest,
  keys: KeyResolver,
  allowed: readonly KeyScope[],
  token: string | null = tokenOf(req),
): Promise<Principal> {
  if (!token) throw new PolsoError('POLSO_UNAUTHORIZED', 'Missing API key (Authorization: Bearer <key>)');
  const principal = await keys.resolve(token);
  if (!principal) throw new PolsoError('POLSO_UNAUTHORIZED', 'Invalid or revoked API key');
  if (!allowed.includes(principal.key.scope))
    throw new PolsoError(
      'POLSO_FORBIDDEN',
      `A ${principal.key.scope} key may not do this; use a ${allowed.join(' or ')} key`,
    );
  return principal;
}

/**
 * A reader of a project's data: a secret key (`Authorization`), or a dashboard session of at least
 * `minRole` (with its CSRF token on state-changing requests). Either way scoped to one project.
 */
export async function authorizeReader(
  req: FastifyRequest,
  ctx: { keys: KeyResolver; sessions: Sessions; store: { getProject(id: string): Promise<Project | null> } },
  minRole: Role = 'viewer',
): Promise<{ project: Project; role: Role }> {
  if (req.headers.authorization) {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    return { project, role: 'admin' };
  }
  const session = await ctx.sessions.require(req, minRole);
  const project = await ctx.store.getProject(session.projectId);
  if (!project) throw new PolsoError('POLSO_UNAUTHORIZED', 'The project of this session no longer exists');
  return { project, role: session.role };
}
