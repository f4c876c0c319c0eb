/**
 * @module surveys/delivery
 * How invitations leave Polso: email through SMTP (nodemailer) and SMS through a provider (a generic
 * HTTP webhook, or the console for development). Messages go through the durable outbox: each has a
 * Message-ID fixed when it is queued, so a retry after a failure or a crash carries the same id and a
 * receiver can tell a repeat from a new message.
 */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';

/** One email to send. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  unsubscribeUrl?: string;
}

/** Sends emails; resolves once the server accepted the message. */
export interface EmailSender {
  send(message: EmailMessage): Promise<void>;
  close?(): void;
}

/**
 * An SMTP sender (nodemailer). `List-Unsubscribe` with `List-Unsubscribe-Post` (RFC 8058) lets mail
 * clients offer one-click unsubscribe; the link itself needs a POST, so a scanner fetching it changes
 * nothing.
 * @example smtpSender({ host: '127.0.0.1', port: 2525 }, 'Polso <sondaggi@example.it>')
 */
export function smtpSender(options: SMTPTransport.Options, from: string): EmailSender {
  const transport = nodemailer.createTransport(options);
  return {
    async send(m) {
      await transport.sendMail({
        from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        ...(m.html ? { html: m.html } : {}),
        messageId: m.messageId,
        ...(m.unsubscribeUrl
          ? {
              list: { unsubscribe: { url: m.unsubscribeUrl, comment: 'unsubscribe' } },
              headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
            }
          : {}),
      });
    },
    close: () => transport.close(),
  };
}

/** Sends text messages; `key` is the same for every attempt at one message (an idempotency key). */
export interface SmsProvider {
  send(to: string, text: string, key: string): Promise<void>;
}

/**
 * An SMS provider reached through an HTTP webhook: POSTs `{to, text, id}` as JSON with an
 * `Idempotency-Key` header; any 2xx is success.
 * @example webhookSms('https://sms.example.it/send', { authorization: 'Bearer …' })
 */
export function webhookSms(url: string, headers: Record<string, string> = {}): SmsProvider {
  return {
    async send(to, text, key) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
        body: JSON.stringify({ to, text, id: key }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`SMS webhook answered ${res.status}`);
    },
  };
}

/** An SMS "provider" for development: writes each message as one JSON line. */
export function consoleSms(write: (line: string) => void = (l) => process.stdout.write(l)): SmsProvider {
  return {
    async send(to, text, key) {
      write(`${JSON.stringify({ sms: { to, text, id: key } })}\n`);
    },
  };
}

/** The delivery routes a deployment has configured. */
export interface Delivery {
  email?: EmailSender;
  sms?: SmsProvider;
  /** Domain of Message-IDs (`<inv_…@domain>`). */
  messageDomain: string;
}
