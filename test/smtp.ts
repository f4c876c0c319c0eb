/**
 * A real SMTP server on localhost for tests (the `smtp-server` package): it keeps every accepted
 * message, and can refuse the next N messages with a temporary error to exercise retries.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One accepted message: its raw source and the headers tests look at. */
export interface ReceivedMail {
  raw: string;
  to: string[];
  messageId: string;
  subject: string;
  /** The `List-Unsubscribe` header, unfolded. */
  unsubscribe: string;
  /** The text part, quoted-printable decoded. */
  text: string;
}

export interface SmtpSink {
  port: number;
  messages: ReceivedMail[];
  /** Refuse the next `n` messages with 451 (a temporary failure). */
  refuseNext(n: number): void;
  close(): Promise<void>;
}

function header(raw: string, name: string): string {
  const m = new RegExp(`^${name}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(raw);
  return m ? m[1]!.replace(/\r?\n[ \t]/g, ' ').trim() : '';
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function textPart(raw: string): string {
  const m = /Content-Type: text\/plain[\s\S]*?\r?\n\r?\n([\s\S]*?)\r?\n--/i.exec(raw);
  const body = m
    ? m[1]!
    : raw
        .split(/\r?\n\r?\n/)
        .slice(1)
        .join('\n');
  return decodeQuotedPrintable(body);
}

/** Starts the server on 127.0.0.1 (a free port). */
export async function startSmtp(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  let refuse = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse > 0) {
          refuse--;
          const error = new Error('Try again later') as Error & { responseCode: number };
          error.responseCode = 451;
          return callback(error);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          raw,
          to: session.envelope.rcptTo.map((r) => r.address),
          messageId: header(raw, 'Message-ID'),
          subject: header(raw, 'Subject'),
          unsubscribe: header(raw, 'List-Unsubscribe'),
          text: textPart(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    refuseNext: (n) => {
      refuse = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
