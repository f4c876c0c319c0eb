/**
 * @module server/session
 * Dashboard sessions: a random token in a `Secure`, `HttpOnly`, `SameSite=Strict` cookie, stored only as
 * its SHA-256 hash, with a CSRF token of its own that every state-changing request made with the
 * session must echo in `X-CSRF-Token` (synchroniser token: a cross-site page cannot read it).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashToken } from '../auth/keys.ts';
import { PolsoError } from '../errors.ts';
import { ROLES, type Role, type SessionRow, type Store } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';

export const SESSION_COOKIE = 'polso_session';
const TTL_MS = 12 * 3600_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Opens, finds and closes sessions for one app. */
export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** `Secure` cookies (default); off only for plain-HTTP deployments outside localhost. */
    private readonly secure = true,
  ) {}

  /** Opens a session, sets its cookie and returns the stored row (with the CSRF token). */
  async open(reply: FastifyReply, who: { projectId: string; userId: string | null; role: Role }) {
    const token = randomBytes(32).toString('base64url');
    const session: SessionRow = {
      ...who,
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAt: new Date(this.clock.now().getTime() + TTL_MS).toISOString(),
    };
    await this.store.addSession(hashToken(token), session);
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      secure: this.secure,
      sameSite: 'strict',
      maxAge: TTL_MS / 1000,
    });
    return session;
  }

  /** The request's session, if its cookie names a live one. */
  async find(req: FastifyRequest): Promise<SessionRow | null> {
    const token = req.cookies[SESSION_COOKIE];
    if (!token || token.length > 100) return null;
    return this.store.findSession(hashToken(token), this.clock.now());
  }

  /** Ends the request's session and clears its cookie. */
  async close(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = req.cookies[SESSION_COOKIE];
    if (token) await this.store.deleteSession(hashToken(token));
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, secure: this.secure, sameSite: 'strict' });
  }

  /**
   * The request's session, checked: 401 without one; 403 when a state-changing request lacks the
   * CSRF token or the role is below `minRole`.
   */
  async require(req: FastifyRequest, minRole: Role = 'viewer'): Promise<SessionRow> {
    const session = await this.find(req);
    if (!session) throw new PolsoError('POLSO_UNAUTHORIZED', 'Sign in, or send an API key');
    if (!SAFE_METHODS.has(req.method)) {
      const sent = Buffer.from(String(req.headers['x-csrf-token'] ?? ''));
      const expected = Buffer.from(session.csrfToken);
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected))
        throw new PolsoError('POLSO_CSRF');
    }
    if (ROLES.indexOf(session.role) < ROLES.indexOf(minRole))
      throw new PolsoError('POLSO_ROLE', `This needs the ${minRole} role; you are ${session.role}`);
    return session;
  }
}

/**
 * Refuses a sign-in posted from another site (login CSRF): a browser sends `Origin` with every POST,
 * and it must name this server.
 */
export function checkSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = '';
  }
  if (host !== req.headers.host) throw new PolsoError('POLSO_CSRF', 'Sign-in from another site is refused');
}
