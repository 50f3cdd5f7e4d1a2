/**
 * The reading of a run: one paragraph on where the time goes and what bounds it, written from
 * the figures (the qualitative causes come from bench/profile.mjs and the per-statement counts,
 * and are restated only where the numbers support them), and the experiments table.
 */
import { INGEST_TARGET } from './report-targets.mjs';
import { bytes, fmt, table } from './stats.mjs';

const cell = (r, events, concurrency) => r.ingest?.cells.find((c) => c.events === events && c.concurrency === concurrency);

export function reading(r) {
  const parts = [];
  const one = cell(r, 1, 1);
  const b20 = cell(r, 20, 1);
  const c64 = cell(r, 1, 64);
  const b64 = cell(r, 20, 64);
  const seg = r.segments && Object.fromEntries(r.segments.cells.map((c) => [c.events, c]));
  const OWN = ['validate', 'route checks', 'parse, config, budget', 'dedupe', 'fold', 'plan', 'commit'];
  const own = (c) => OWN.reduce((sum, k) => sum + (c.us[k] ?? 0), 0);
  if (one) {
    const extraCpu = one.le.cpu.median - one.bl.cpu.median;
    parts.push(
      `A single-event beacon takes ${fmt(one.le.p50.median)} ms at p50 against ${fmt(one.bl.p50.median)} ms for the bare Worker -> object hop ` +
        `(${fmt(one.p50Ratio.median)}x; ${one.p50Ratio.median <= INGEST_TARGET ? 'within' : 'outside'} the ${INGEST_TARGET}x target), and workerd spends ` +
        `${fmt(one.le.cpu.median)} ms of CPU on it against ${fmt(one.bl.cpu.median)} ms (the ${fmt(extraCpu)} ms difference is work, not waiting: commits cost no fsync here).` +
        (seg?.[1]
          ? ` Of the ${fmt(seg[1].totalUs, 0)} µs between the route's first and last mark (segments below), LeadEdge's own steps take ${fmt(own(seg[1]), 0)} µs: ` +
            `the SQLite transaction (the state row and a row of timeline entries, which carry their event ids) ${fmt(seg[1].us.commit, 0)} µs, folding the event and planning ` +
            `${fmt(seg[1].us.fold + seg[1].us.plan, 0)} µs, validation ${fmt(seg[1].us.validate, 0)} µs; the rest is the runtime carrying the beacon (reading the body, ` +
            `the RPC into the visitor object and back past its output gate), which the baseline's hop pays too.`
          : ''),
    );
  }
  if (b20 && c64 && b64) {
    parts.push(
      `A batch of 20 costs ${fmt(b20.le.p50.median)} ms (${fmt(b20.p50Ratio.median)}x the hop, ${fmt(b20.le.p50.median / 20, 3)} ms per event)` +
        (seg?.[1] && seg?.[20]
          ? `: what grows with the events is folding (${fmt(seg[1].us.fold, 0)} -> ${fmt(seg[20].us.fold, 0)} µs), the commit's bytes (${fmt(seg[1].us.commit, 0)} -> ${fmt(seg[20].us.commit, 0)} µs for the same two rows), ` +
            `the RPC carrying them (${fmt(seg[1].us['RPC in'], 0)} -> ${fmt(seg[20].us['RPC in'], 0)} µs in, ${fmt(seg[1].us['decide, RPC out'], 0)} -> ${fmt(seg[20].us['decide, RPC out'], 0)} µs out) and validation (${fmt(seg[1].us.validate, 0)} -> ${fmt(seg[20].us.validate, 0)} µs), while the baseline's hop carries the same body and writes one counter.`
          : '.') +
        ` At concurrency 16 and 64 both sides are bound by the two cores they share with the load generator, so latency there is queueing and the ratio follows the CPU ratio ` +
        `(${fmt(c64.le.cpu.median / c64.bl.cpu.median)}x at c=64); ` +
        `LeadEdge sustained ${fmt(c64.le.rps.median, 0)} beacons/s single and ${fmt(b64.le.rps.median * 20, 0)} events/s in batches of 20 on this machine.`,
    );
  }
  if (r.handoff) {
    const h = r.handoff;
    parts.push(
      `The handoff is bound by the delivery, not by queues: the first attempt starts right after the commit, in parallel with the answer ` +
        `to the beacon (the first webhook arrived at p50 ${fmt(h.firstWebhook.p50)} ms, about when the beacon was answered, ${fmt(h.beaconAnswered.p50)} ms), and ` +
        `\`lead.demo_requested\` waits for \`lead.sql\` on the same endpoint because one visitor's alerts are delivered in order: ` +
        `p50 ${fmt(h.demoAlert.p50)} ms, p99 ${fmt(h.demoAlert.p99)} ms.`,
    );
  }
  if (r.growth) {
    const h = r.growth.history;
    const at10k = h.find((p) => p.events === 10_000) ?? h.at(-1);
    const p = r.growth.population;
    parts.push(
      `History does not slow a visitor down (after ${at10k.events.toLocaleString('en-US')} events a beacon takes ${fmt(at10k.vsControl.median)}x a fresh visitor's, timed alternately): every table is bounded and ` +
        `looked up by key or held in memory. Storage is bounded by the 10,000-id dedupe window (${bytes(at10k.bytes.median)} when it first fills, ${bytes(h.at(-2).bytes.median)} at ` +
        `${h.at(-2).events.toLocaleString('en-US')} and ${bytes(h.at(-1).bytes.median)} at ${h.at(-1).events.toLocaleString('en-US')} events` +
        (h.at(-2).bytes.median > at10k.bytes.median * 1.1 ? ': once it wraps, dropped rows leave free pages that rows of other sizes do not fill exactly, then it settles' : ': flat once it is full, as freed pages are reused') +
        `); a one-event visitor takes ${bytes(h[0].bytes.median)}, mostly one 4 KiB page for each of ` +
        `the object's tables and indexes. With ${p.visitors.toLocaleString('en-US')} visitors alive the same visitors answer as before ` +
        `(${fmt(p.driftCorrected)}x, drift-corrected); a visitor whose object was evicted pays a cold start, ${fmt(p.after.le)} ms against ` +
        `${fmt(p.after.bl)} ms for the baseline's cold start (its constructor reads the schema once and the state row, and its first beacon the dedupe ids; the baseline's creates one table).`,
    );
  }
  if (r.cost) {
    const d = r.cost.dollars;
    parts.push(
      `Cost is bound by rows written: ${fmt(r.cost.perEvent.rowsWritten)} per event make ${usdShort(d.lines.rowsWritten)} of the ${usdShort(d.total)} per million ` +
        `events, because a row written costs $1.00 per million (3.3 Worker requests): a beacon writes its state row and one row of timeline entries ` +
        `(which carry their event ids) however many events it carries, plus the rows trimmed in bulk as the windows move, and each new visitor adds ` +
        `its tables' schema and a first-visit notice to the site object through the outbox (which also makes the site object a ` +
        `per-new-visitor hot spot; see the statements below). The SDK sends one beacon per page, so most beacons carry one event. ` +
        `Requests and CPU are cents.`,
    );
  }
  if (r.sdkWeight && r.sdkMainThread) {
    const t = r.sdkMainThread.find((x) => x.throttle > 1) ?? r.sdkMainThread[0];
    parts.push(
      `The SDK is ${bytes(r.sdkWeight.sdk.gzip)} gzip (${fmt(r.sdkWeight.sdk.gzip / r.sdkWeight.floor.gzip)}x the page-view floor, ${r.sdkWeight.withinBudget ? 'within' : 'over'} the budget) and adds ` +
        `${fmt(t.sdkAddedScript.median)} ms of main-thread scripting to a first visit at CPU x${t.throttle} against ${fmt(t.floorAddedScript.median)} ms for the floor.`,
    );
  }
  return parts.join(' ');
}

const usdShort = (x) => `$${x.toFixed(2)}`;

/** The experiments (bench/experiments.json), if they were run. */
export function experimentsSection(e) {
  if (!e) return '';
  const rows = e.variants.map((v) => {
    const s = v.ingest.find((c) => c.events === 1);
    const b = v.ingest.find((c) => c.events === 20);
    return [
      `\`${v.ref ?? e.revision ?? 'worker/'}\`${v.patches.length ? ` + ${v.patches.join(', ')}` : ''}`,
      `${fmt(s.p50Ratio.median)}x (${fmt(s.p50Ratio.min)}-${fmt(s.p50Ratio.max)})`,
      `${fmt(s.cpu)} / ${fmt(s.baselineCpu)} ms`,
      `${fmt(b.p50Ratio.median)}x (${fmt(b.p50Ratio.min)}-${fmt(b.p50Ratio.max)})`,
      fmt(v.rowsWrittenPerEvent),
      fmt(v.doRequestsPerEvent, 3),
      `$${v.dollarsPerMillion.toFixed(2)}`,
      bytes(v.bytesPerVisitor),
    ];
  });
  const patches = Object.entries(e.patches)
    .map(([k, p]) => (typeof p === 'string' ? `- \`${k}\`: ${p}.` : `- \`${k}\`: ${p.what}. In \`worker/\`: ${p.applied}.`))
    .join('\n');
  return `## What was tried

\`node bench/experiments.mjs\` (run ${e.at.slice(0, 16).replace('T', ' ')} UTC, load average ${e.loadBefore} -> ${e.loadAfter}, ${e.runs} interleaved runs per cell)
measures copies of \`worker/\` exactly as above, all in one run: at release 1 (\`1944f86\`, before the fixes), at later
commits, and as it is, some with trial patches (\`bench/lib/patches.mjs\`, applied to the copies only). Patches:

${patches}

${table(['variant', 'single event p50 vs baseline (c=1)', 'workerd CPU per beacon (LeadEdge / baseline)', 'batch of 20 p50 vs baseline', 'rows written per event', 'DO requests per event', 'per million events', 'one-event visitor'], rows)}
`;
}
