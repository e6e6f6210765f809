import { RetryableError } from 'ecl-workflows';

/**
 * Stand-ins for the support team's systems, so the example runs offline. Each fails the way the
 * real one does now and then, to show how ECL retries it: the CRM is busy on a ticket's first
 * lookup, the mail relay drops the connection on every other message.
 */

/** What the CRM knows about a customer. */
export type CustomerRecord = { customer: string; plan: string; openTickets: number; lastOrder: string };

const lookups = new Map<string, number>();

/**
 * Reads the customer's record. A read with no side effect, so the `lookup` step calls it directly
 * (not in `ctx.run`): when the CRM is busy, the step fails with a `RetryableError`, and its retry
 * policy runs it again as a new, recorded attempt.
 */
export async function lookUpCustomer(ticketId: string, customer: string): Promise<CustomerRecord> {
  const count = (lookups.get(ticketId) ?? 0) + 1;
  lookups.set(ticketId, count);
  if (count === 1) throw new RetryableError('CRM answered 503: busy, try again', { code: 'CRM_BUSY' });
  return { customer, plan: customer.endsWith('.com') ? 'business' : 'personal', openTickets: 1, lastOrder: 'A-1042' };
}

let sent = 0;
/** Every message the relay accepted, in order (tests read it). */
export const outbox: { to: string; subject: string; body: string; messageId: string }[] = [];

/**
 * Sends an e-mail; a side effect, so steps call it inside `ctx.run`. Every other call fails with a
 * connection reset, which `ctx.run` retries inside the call (only the final outcome is recorded).
 */
export async function sendEmail(to: string, subject: string, body: string, idempotencyKey: string): Promise<{ messageId: string }> {
  sent += 1;
  if (sent % 2 === 1) throw Object.assign(new Error(`mail relay: read ECONNRESET`), { code: 'ECONNRESET' });
  // A real relay would deduplicate on the key; the key is the same on every attempt of a step's iteration.
  const messageId = `msg-${idempotencyKey}`;
  if (!outbox.some((message) => message.messageId === messageId)) outbox.push({ to, subject, body, messageId });
  return { messageId };
}
