/** The same alert as a readable Slack incoming-webhook message (Block Kit). */
import type { LeadPayload } from './payload';

const TITLES: Record<LeadPayload['type'], string> = {
  'lead.demo_requested': 'Demo requested',
  'lead.mql': 'New marketing-qualified lead',
  'lead.sql': 'New sales-qualified lead',
  'lead.stage_changed': 'Lead stage changed',
  'lead.verdict': 'Sales verdict recorded',
  'lead.merged': 'Browsers merged into one lead',
};

/** Slack mrkdwn needs &, < and > escaped. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function toSlackMessage(p: LeadPayload) {
  const d = p.data;
  const who = esc(d.traits.name ?? d.traits.email ?? `Visitor ${d.visitor.id}`);
  const company = esc([d.traits.company, d.traits.title].filter(Boolean).join(' · ') || 'unknown company');
  const why = d.score.reasons.slice(0, 5).map((r) => `• ${esc(r.description ?? r.rule)}: ${r.points > 0 ? '+' : ''}${r.points}`).join('\n') || 'no scoring rule matched yet';
  const read = d.timeline
    .filter((e) => e.type !== 'identify')
    .slice(0, 5)
    .map((e) => `• ${esc(e.title ?? e.path)} (${e.type.replace('_', ' ')})`)
    .join('\n') || 'nothing yet';
  const headline = `${TITLES[p.type]}: ${who} (${company})`;
  return {
    text: headline,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: TITLES[p.type].slice(0, 150) } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Who*\n${who}${d.traits.email ? `\n${esc(d.traits.email)}` : ''}` },
          { type: 'mrkdwn', text: `*Company*\n${company}` },
          { type: 'mrkdwn', text: `*Stage*\n${d.previousStage ? `${d.previousStage} → ` : ''}${d.stage}` },
          { type: 'mrkdwn', text: `*Score*\n${d.score.total} (fit ${d.score.fit})${d.person && d.person.browserCount > 1 ? `\nseen on ${d.person.browserCount} browsers` : ''}` },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: `*Why they scored*\n${why}` } },
      { type: 'section', text: { type: 'mrkdwn', text: `*What they read*\n${read}` } },
      ...(d.verdict
        ? [{ type: 'section', text: { type: 'mrkdwn', text: `*Verdict*\n${d.verdict.verdict}${d.verdict.reason ? `: ${esc(d.verdict.reason)}` : ''}` } }]
        : []),
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open lead' }, url: d.visitor.url }] },
    ],
  };
}
