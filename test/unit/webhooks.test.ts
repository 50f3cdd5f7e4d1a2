import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelayMs } from '../../worker/webhooks/backoff';
import { classifyResponse } from '../../worker/webhooks/classify';
import { buildPayload, MAX_PAYLOAD_BYTES, type PayloadInput } from '../../worker/webhooks/payload';
import { planOutbox } from '../../worker/webhooks/plan';
import { signWebhook, webhookHeaders } from '../../worker/webhooks/sign';
import { toSlackMessage } from '../../worker/webhooks/slack';
import { parseIPv6, webhookUrlProblem } from '../../worker/webhooks/url-safety';
import type { OutboxRow } from '../../worker/objects/outbox-store';
import { computeScore } from '../../worker/scoring/score';
import { applyBatch, newVisitorState } from '../../worker/visitor/apply-batch';
import { applyVerdict } from '../../worker/visitor/verdict';
import { ANA_EMAIL, journey, makeConfig } from '../helpers/factories';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW = Date.UTC(2026, 5, 1, 12);

describe('signing (Standard Webhooks 1.0)', () => {
  it("matches the specification's published test vector", async () => {
    expect(await signWebhook(SECRET, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('verifies with the standardwebhooks package, and fails it when the body changes', async () => {
    const body = JSON.stringify({ type: 'lead.sql', data: { x: 1 } });
    const headers = await webhookHeaders(SECRET, 'msg_1', body, Date.now());
    expect(new Webhook(SECRET).verify(body, headers)).toEqual({ type: 'lead.sql', data: { x: 1 } });
    expect(() => new Webhook(SECRET).verify(body.replace('1', '2'), headers)).toThrow();
  });
});

describe('retries', () => {
  it('follows the schedule with at most 10% jitter, then stops', () => {
    const schedule = [5, 300, 1800];
    expect(retryDelayMs(1, schedule, () => 0)).toBe(5000);
    expect(retryDelayMs(2, schedule, () => 0.999)).toBeLessThanOrEqual(330_000);
    expect(retryDelayMs(2, schedule, () => 0.999)).toBeGreaterThan(300_000);
    expect(retryDelayMs(4, schedule)).toBeNull();
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
    expect(parseRetryAfter(new Date(NOW + 60_000).toUTCString(), NOW)).toBe(60_000);
    expect(parseRetryAfter('soon', NOW)).toBeNull();
  });

  it('only 2xx succeeds; 410 disables; 429/503 honour Retry-After; 3xx is a failure', () => {
    expect(classifyResponse(204, null)).toEqual({ kind: 'delivered' });
    expect(classifyResponse(410, null).kind).toBe('disable');
    expect(classifyResponse(503, 9000)).toMatchObject({ kind: 'retry', retryAfterMs: 9000 });
    expect(classifyResponse(500, 9000)).toMatchObject({ kind: 'retry', retryAfterMs: null });
    expect(classifyResponse(302, null)).toMatchObject({ kind: 'retry', error: 'redirect 302 (not followed)' });
  });
});

describe('webhook URLs', () => {
  it('https only in production, never private or link-local addresses', () => {
    expect(webhookUrlProblem('https://hooks.slack.com/services/x', false)).toBeNull();
    expect(webhookUrlProblem('http://example.com/h', false)).toMatch(/https/);
    for (const bad of ['https://10.0.0.1/h', 'https://192.168.1.5/h', 'https://169.254.169.254/latest', 'https://127.0.0.1/h', 'https://[::1]/h', 'https://[fe80::1]/h', 'https://localhost/h', 'https://[::ffff:10.0.0.1]/h']) {
      expect(webhookUrlProblem(bad, false), bad).not.toBeNull();
    }
  });

  it('local dev may use http to localhost only', () => {
    expect(webhookUrlProblem('http://127.0.0.1:8788/hooks/sales', true)).toBeNull();
    expect(webhookUrlProblem('http://10.0.0.2/h', true)).not.toBeNull();
  });

  // Issue 17: each address reached a private network through the old filter. The reason names what was found.
  it.each([
    ['https://[64:ff9b::a9fe:a9fe]/h', 'NAT64'],
    ['https://[64:ff9b::8.8.8.8]/h', 'NAT64'],
    ['https://[64:ff9b:1::a9fe:a9fe]/h', 'NAT64'],
    ['https://[::7f00:1]/h', 'IPv4-compatible address of 127.0.0.1'],
    ['https://[::127.0.0.1]/h', 'IPv4-compatible address of 127.0.0.1'],
    ['https://[::a9fe:a9fe]/h', 'IPv4-compatible address of 169.254.169.254'],
    ['https://[::ffff:127.0.0.1]/h', 'IPv4-mapped address of 127.0.0.1'],
    ['https://[::ffff:a9fe:a9fe]/h', 'IPv4-mapped address of 169.254.169.254'],
    ['https://[::ffff:0:10.0.0.1]/h', 'IPv4-translated address of 10.0.0.1'],
    ['https://[2002:7f00:1::1]/h', '6to4 address of 127.0.0.1'],
    ['https://[2002:c0a8:0101::1]/h', '6to4 address of 192.168.1.1'],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/h', 'Teredo'],
    ['https://[fec0::1]/h', 'site-local'],
    ['https://[feff::1]/h', 'site-local'],
    ['https://[fc00::1]/h', 'unique-local'],
    ['https://[fd12:3456::1]/h', 'unique-local'],
    ['https://[fe80::1]/h', 'link-local'],
    ['https://[febf::1]/h', 'link-local'],
    ['https://[ff02::1]/h', 'multicast'],
    ['https://[2001:db8::1]/h', 'documentation'],
    ['https://[::]/h', 'unspecified'],
    ['https://[0:0:0:0:0:0:0:1]/h', 'loopback'],
    ['https://[::2]/h', 'IPv4-compatible address of 0.0.0.2'],
    ['https://[100::1]/h', 'outside 2000::/3'],
    ['https://localhost./h', 'local name'],
    ['https://LOCALHOST../h', 'local name'],
    ['https://metadata.google.internal./h', 'local name'],
    ['https://metadata.google.internal/h', 'local name'],
    ['https://api.localhost/h', 'local name'],
    ['https://printer.local./h', 'local name'],
    ['https://nas.home.arpa/h', 'local name'],
    ['https://%6c%6fcalhost/h', 'local name'],
    ['https://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/h', 'local name'],
    ['https://2130706433/h', '"127.0.0.1" is a private'],
    ['https://0x7f.1/h', '"127.0.0.1" is a private'],
    ['https://017700000001/h', '"127.0.0.1" is a private'],
    ['https://127.1/h', '"127.0.0.1" is a private'],
    ['https://127.0.0.1./h', '"127.0.0.1" is a private'],
    ['https://0/h', '"0.0.0.0" is a private'],
    ['https://0xa9fea9fe/h', '"169.254.169.254" is a private'],
    ['https://192.0.2.1/h', 'private'],
    ['https://./h', 'no host name'],
  ])('refuses %s in production (%s)', (url, reason) => {
    expect(webhookUrlProblem(url, false)).toContain(reason);
  });

  it.each([
    'https://hooks.example.com/h',
    'https://hooks.example.com./h',
    'https://8.8.8.8/h',
    'https://[2606:4700:4700::1111]/h',
    'https://[2002:808:808::1]/h',
    'https://[::ffff:8.8.8.8]/h',
    'https://localhost.example.com/h',
    'https://internal.example.com/h',
  ])('accepts the public address %s', (url) => {
    expect(webhookUrlProblem(url, false)).toBeNull();
  });

  it('local dev allows http to localhost with or without its trailing dot, and still refuses the rest', () => {
    expect(webhookUrlProblem('http://localhost.:8788/hooks/sales', true)).toBeNull();
    expect(webhookUrlProblem('http://[::1]:8788/hooks/sales', true)).toBeNull();
    expect(webhookUrlProblem('http://[::7f00:1]:8788/h', true)).toMatch(/https/);
    expect(webhookUrlProblem('https://[64:ff9b::a9fe:a9fe]/h', true)).toContain('NAT64');
  });

  it('parses IPv6 text into eight groups: :: expanded, an embedded IPv4 as two groups, malformed text refused', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('64:ff9b::169.254.169.254')).toEqual([0x64, 0xff9b, 0, 0, 0, 0, 0xa9fe, 0xa9fe]);
    expect(parseIPv6('2002:7f00:1::1')).toEqual([0x2002, 0x7f00, 1, 0, 0, 0, 0, 1]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4::5:6:7:8', '12345::', '1.2.3.4::', '::1.2.3.256', 'g::1', ':1:2:3:4:5:6:7']) {
      expect(parseIPv6(bad), bad).toBeNull();
    }
  });
});

function sqlOutcome() {
  const config = makeConfig();
  const first = applyBatch(newVisitorState('demo', 'a-1', NOW), [journey.identify(), journey.download(), journey.webinar()], NOW, config, NOW);
  const out = applyBatch(first.state, [journey.demo()], NOW, config, NOW);
  return { config, out, timeline: [...first.timeline, ...out.timeline].reverse() };
}

function payloadInput(over: Partial<PayloadInput> = {}): PayloadInput {
  const { config, out, timeline } = sqlOutcome();
  return {
    type: 'lead.sql', at: NOW, site: 'demo', anonymousId: 'a-1', adminUrl: 'http://localhost:8787/admin/visitor?site=demo&aid=a-1',
    traits: out.state.aggregates.traits, stage: 'sql', previousStage: 'mql', score: computeScore(out.state.aggregates, config, NOW),
    topics: ['analytics'], trigger: out.transitions[0]!.trigger, timeline, ...over,
  };
}

describe('payloads', () => {
  it('say who, why they scored and what they read', () => {
    const p = buildPayload(payloadInput());
    expect(p.type).toBe('lead.sql');
    expect(p.data.traits).toMatchObject({ email: expect.stringMatching(ANA_EMAIL), company: 'Acme', title: 'VP Marketing' });
    expect(p.data.score.reasons[0]).toMatchObject({ rule: 'demo-request', points: 50 });
    expect(p.data.timeline.map((e) => e.type)).toEqual(['demo_request', 'webinar_signup', 'download', 'identify']);
    expect(p.data.visitor.url).toContain('/admin/visitor?site=demo&aid=a-1');
  });

  it('stay under 20 KB however bulky the timeline', () => {
    const bulky = Array.from({ length: 100 }, (_, i) => ({
      id: `e${i}`, type: 'page_view' as const, path: `/p/${i}`, url: `https://x.io/${'a'.repeat(2000)}`, title: 't'.repeat(300),
      props: Object.fromEntries(Array.from({ length: 25 }, (_, k) => [`k${k}`, 'v'.repeat(500)])), at: NOW, receivedAt: NOW, rules: [],
    }));
    const p = buildPayload(payloadInput({ timeline: bulky }));
    expect(new TextEncoder().encode(JSON.stringify(p)).byteLength).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(p.data.timeline.length).toBeGreaterThan(0);
  });

  it('render as a readable Slack message', () => {
    const msg = toSlackMessage(buildPayload(payloadInput()));
    const text = JSON.stringify(msg);
    expect(msg.text).toBe('New sales-qualified lead: Ana Lima (Acme · VP Marketing)');
    expect(text).toContain('Requested a demo: +50');
    expect(text).toContain('http://localhost:8787/admin/visitor?site=demo&aid=a-1');
  });
});

describe('planning the outbox', () => {
  it('a demo request from an MQL alerts each interested endpoint: sql, stage change, demo request', () => {
    const { out } = sqlOutcome();
    const config = makeConfig({
      webhooks: [
        { id: 'crm', url: 'https://crm.example.com/h', secret: SECRET, events: ['lead.sql', 'lead.stage_changed', 'lead.demo_requested'] },
        { id: 'slack', url: 'https://hooks.slack.com/x', secret: SECRET, events: ['lead.demo_requested'], format: 'slack' },
        { id: 'off', url: 'https://off.example.com/h', secret: SECRET, events: ['lead.demo_requested'], enabled: false },
      ],
    });
    let n = 0;
    const rows = planOutbox(
      { base: payloadInput(), isNewVisitor: false, demoRequests: out.demoRequests, transitions: out.transitions, stage: out.state.stage, lead: null, refreshIndex: false },
      config,
      () => String(n++),
    );
    expect(rows.map((r) => `${r.kind}:${r.target}:${r.eventType}`)).toEqual([
      'webhook:crm:lead.stage_changed',
      'webhook:crm:lead.sql',
      'webhook:crm:lead.demo_requested',
      'webhook:slack:lead.demo_requested',
      'site:site:notice',
    ]);
    expect(JSON.parse(rows[4]!.payload)).toMatchObject({ stages: ['sql'] });
  });
});

describe('sales verdicts', () => {
  const base = () => applyBatch(newVisitorState('demo', 'a-1', NOW), [journey.identify(), journey.demo()], NOW, makeConfig(), NOW).state;

  it('accept makes the lead SAL and records the verdict', () => {
    const out = applyVerdict(base(), { verdict: 'accepted' }, 80, 15, NOW + 1000);
    expect(out).toMatchObject({ ok: true, state: { stage: 'sal', verdict: { verdict: 'accepted', at: NOW + 1000 } }, transition: { from: 'sql', to: 'sal' }, funnelStage: 'sal' });
  });

  it('recycle sends the lead back to MQL; only a new demo request makes it SQL again', () => {
    const out = applyVerdict(base(), { verdict: 'rejected', reason: 'no budget yet', action: 'recycle' }, 80, 15, NOW + 1000);
    if (!out.ok) throw new Error(out.message);
    expect(out.state.stage).toBe('mql');
    const config = makeConfig();
    const browsing = applyBatch(out.state, [journey.pricing()], NOW + 2000, config, NOW + 2000);
    expect(browsing.state.stage).toBe('mql');
    const again = applyBatch(browsing.state, [{ ...journey.demo(), ts: NOW + 3000 }], NOW + 3000, config, NOW + 3000);
    expect(again.state.stage).toBe('sql');
  });

  it('a verdict fires lead.verdict and counts its funnel stage, not the stages in between', () => {
    const out = applyVerdict(base(), { verdict: 'rejected', reason: 'student', action: 'disqualify' }, 80, 15, NOW);
    if (!out.ok) throw new Error(out.message);
    if ('unchanged' in out) throw new Error('a first verdict changes the lead');
    const config = makeConfig({ webhooks: [{ id: 'crm', url: 'https://crm.example.com/h', secret: SECRET, events: ['lead.verdict', 'lead.stage_changed'] }] });
    const rows = planOutbox(
      { base: payloadInput(), isNewVisitor: false, demoRequests: [], transitions: [out.transition!], stage: out.state.stage, verdict: { ...out.verdict, funnelStage: out.funnelStage }, lead: null, refreshIndex: false },
      config,
      () => 'x',
    );
    expect(rows.map((r) => r.eventType)).toEqual(['lead.stage_changed', 'lead.verdict', 'notice']);
    expect(JSON.parse(rows[1]!.payload).data).toMatchObject({ stage: 'disqualified', previousStage: 'sql', verdict: { verdict: 'rejected', action: 'disqualify', reason: 'student' } });
    expect(JSON.parse(rows[2]!.payload).stages).toEqual(['disqualified']);
  });

  it('an anonymous visitor cannot get a verdict', () => {
    expect(applyVerdict(newVisitorState('demo', 'a', NOW), { verdict: 'accepted' }, 0, 0, NOW)).toMatchObject({ ok: false });
  });
});

