import { Judgement, defineWorkflow, type JsonValue } from 'ecl-workflows';
import { z } from 'zod';
import { lookUpCustomer, sendEmail } from './tools.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A ticket as the helpdesk hands it over. */
export const Ticket = z
  .object({
    id: z.string().trim().min(1),
    customer: z.email(),
    subject: z.string().trim().min(1),
    body: z.string().trim().min(1),
    /** The helpdesk's own flag: P1 tickets are escalated whatever the model thinks. */
    priority: z.enum(['p1', 'p2', 'p3']).default('p3'),
  })
  .strict();

export const SupportInput = z
  .object({
    ticket: Ticket,
    /** How long the on-call engineer has to answer an escalated ticket before the model drafts a reply itself. */
    escalationHours: z.number().positive().max(72).default(4),
    /** When to check in with the customer after the answer went out. */
    followUpDays: z.number().positive().max(30).default(2),
  })
  .strict();
export type SupportInput = z.output<typeof SupportInput>;

/** The model's reading of the ticket, through the forced tool `classify_ticket`. */
export const Classification = z.object({
  urgency: z.enum(['normal', 'urgent']),
  category: z.enum(['billing', 'bug', 'account', 'other']),
  summary: z.string(),
});

/** What the on-call system sends back (`ecl send <id> engineer_reply --data …`), checked before it is recorded. */
export const EngineerReply = z.object({
  engineer: z.string().min(1),
  resolution: z.string().min(1),
  refund: z.boolean().default(false),
});
export type EngineerReply = z.output<typeof EngineerReply>;

/** What `send` and `followUp` record. */
export type Sent = { to: string; messageId: string; body: string };

/**
 * classify → triage (route) → escalate (signal) → afterEscalation (route) → lookup → draft ⇄ review
 * → send → wait (sleep) → followUp. Urgent tickets wait for the on-call engineer, with a timeout;
 * the others (and escalations nobody answered) get a drafted, reviewed reply.
 */
export const support = defineWorkflow({
  name: 'support',
  version: 1,
  description: 'Classify a ticket, escalate it to on-call or draft a reviewed reply, send it, follow up days later',
  input: SupportInput,
  // The engineer's reply is the escalate signal's data, checked with this schema; null when nobody answered in time.
  outputs: { classify: Classification, draft: z.string(), escalate: EngineerReply.nullable() },
  // A ticket is done within a week of its follow-up, whatever happens; past that, it is cancelled.
  deadline: { afterMs: ({ followUpDays }) => (followUpDays + 7) * DAY, onPass: 'cancel' },
  steps: [
    {
      kind: 'produce',
      name: 'classify',
      timeoutMs: 60_000,
      run: async (ctx) => {
        const { ticket } = ctx.input;
        const result = await ctx.complete({
          name: 'classify',
          system: 'Classify the support ticket: its urgency, its category, and a one-line summary.',
          messages: [{ role: 'user', content: `Subject: ${ticket.subject}\n\n${ticket.body}` }],
          tool: { name: 'classify_ticket', description: 'Record the classification', schema: Classification },
          maxTokens: 256,
        });
        if (result.output === undefined) throw new Error('The model did not classify the ticket');
        return result.output;
      },
    },
    {
      kind: 'route',
      name: 'triage',
      to: ['escalate', 'lookup'],
      // `outputs.classify` is typed by its schema in `outputs`.
      choose: ({ input, outputs }) => (input.ticket.priority === 'p1' || outputs.classify?.urgency === 'urgent' ? 'escalate' : 'lookup'),
    },
    {
      kind: 'signal',
      name: 'escalate',
      signal: 'engineer_reply',
      timeoutMs: ({ input }) => input.escalationHours * HOUR,
      onTimeout: 'continue',
    },
    {
      kind: 'route',
      name: 'afterEscalation',
      // The engineer answered: send their resolution. Nobody did (a null output): draft a reply.
      to: ['send', 'lookup'],
      choose: ({ outputs }) => (outputs.escalate ? 'send' : 'lookup'),
    },
    {
      kind: 'produce',
      name: 'lookup',
      retry: { maxAttempts: 4, initialDelayMs: 30_000, maxDelayMs: 5 * 60_000 },
      run: async (ctx) => lookUpCustomer(ctx.input.ticket.id, ctx.input.ticket.customer),
    },
    {
      kind: 'produce',
      name: 'draft',
      timeoutMs: 120_000,
      run: async (ctx) => {
        const { ticket } = ctx.input;
        const previous = ctx.feedback === undefined ? '' : `\n\nYour previous draft:\n${ctx.outputs.draft ?? ''}\n\nRevise it: ${ctx.feedback}`;
        const result = await ctx.complete({
          name: 'draft',
          system: 'Write a short, friendly reply to the customer that resolves the ticket. Plain text, no greeting line.',
          messages: [
            {
              role: 'user',
              content: `Ticket: ${ticket.subject}\n\n${ticket.body}\n\nCustomer record: ${JSON.stringify(ctx.outputs.lookup ?? null)}${previous}`,
            },
          ],
          maxTokens: 800,
        });
        return result.text;
      },
    },
    {
      kind: 'validate',
      name: 'review',
      maxIterations: 3,
      onCap: 'accept',
      run: async (ctx) => {
        const result = await ctx.complete({
          name: 'review',
          system: 'Review the reply: does it answer the ticket, promise nothing we cannot keep, and read well? Approve it or ask for a revision.',
          messages: [{ role: 'user', content: `Ticket: ${ctx.input.ticket.subject}\n\nReply:\n${ctx.outputs.draft ?? ''}` }],
          tool: { name: 'submit_verdict', description: 'Approve the reply or ask for a revision', schema: Judgement },
          maxTokens: 400,
        });
        if (result.output === undefined) throw new Error('The reviewer gave no verdict');
        return result.output;
      },
    },
    {
      kind: 'produce',
      name: 'send',
      run: async (ctx): Promise<JsonValue> => {
        const reply = ctx.outputs.escalate;
        const body = reply
          ? `${reply.resolution}${reply.refund ? '\n\nWe have refunded your last payment.' : ''}\n\n— ${reply.engineer}, on-call engineering`
          : (ctx.outputs.draft ?? '');
        const { ticket } = ctx.input;
        // A side effect: journaled, so a re-run after a crash does not send the e-mail again.
        const { messageId } = await ctx.run('email', () => sendEmail(ticket.customer, `Re: ${ticket.subject}`, body, ctx.idempotencyKey));
        const sent: Sent = { to: ticket.customer, messageId, body };
        return sent;
      },
    },
    { kind: 'sleep', name: 'wait', for: ({ input }) => input.followUpDays * DAY },
    {
      kind: 'produce',
      name: 'followUp',
      run: async (ctx): Promise<JsonValue> => {
        const { ticket } = ctx.input;
        const result = await ctx.complete({
          name: 'checkIn',
          system: 'Write two sentences checking that the problem is solved, inviting the customer to reply if not.',
          messages: [{ role: 'user', content: `Ticket: ${ticket.subject}\n\nWhat we answered:\n${(ctx.outputs.send as Sent | undefined)?.body ?? ''}` }],
          maxTokens: 200,
        });
        const { messageId } = await ctx.run('email', () => sendEmail(ticket.customer, `How is it going? (${ticket.subject})`, result.text, ctx.idempotencyKey));
        const sent: Sent = { to: ticket.customer, messageId, body: result.text };
        return sent;
      },
    },
  ],
});
