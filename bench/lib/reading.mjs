/**
 * The reading of a run: one paragraph on where the time goes and what bounds it, written from
 * the figures (stage costs from bench/cpu.mjs; the qualitative causes come from its trials and
 * the per-statement counts, and are restated only where the numbers support them), and the
 * tables of what was tried.
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
  const cpu = r.cpu && Object.fromEntries(r.cpu.cells.map((c) => [c.events, c]));
  // A stage's own CPU in µs: the step from the cut before it (bench/cpu.mjs).
  const stage = (events, name) => {
    const c = cpu?.[events];
    const k = r.cpu?.stages.findIndex((s) => s.name === name) ?? -1;
    if (!c || k < 0) return null;
    return (c.ms[k] - (k === 0 ? 0 : c.ms[k - 1])) * 1000;
  };
  const us = (x) => `${fmt(x, 0)} µs`;
  // A stage's step moves by about this much between runs on this machine: smaller differences are not read.
  const NOISE_US = 50;
  const step = (x) => (x < NOISE_US ? `under ${NOISE_US} µs` : us(x));
  const grown = (names) => {
    const moved = names.map((n) => [n, stage(20, n) - stage(1, n)]).filter(([, d]) => d >= NOISE_US);
    const still = names.filter((n) => !moved.some(([m]) => m === n));
    return (
      (moved.length ? `With the events also grow ${moved.map(([n, d]) => `${n} (+${us(d)})`).join(', ')}. ` : '') +
      (still.length ? `The other stages (${still.join(', ')}) move by less than this machine's noise (about ${NOISE_US} µs per stage between runs). ` : '')
    );
  };
  if (one) {
    parts.push(
      `A single-event beacon takes ${fmt(one.le.p50.median)} ms at p50 against ${fmt(one.bl.p50.median)} ms for the bare Worker -> object hop ` +
        `(${fmt(one.p50Ratio.median)}x; ${one.p50Ratio.median <= INGEST_TARGET ? 'within' : 'outside'} the ${INGEST_TARGET}x target), and workerd spends ` +
        `${fmt(one.le.cpu.median)} ms of CPU on it against ${fmt(one.bl.cpu.median)} ms (commits cost no fsync here, so the difference is work, not waiting).` +
        (cpu?.[1]
          ? ` By stage (CPU, paired with the baseline): HTTP and reading the body cost ${fmt(cpu[1].ratios[0])}x the baseline's whole beacon, which also parses the body, then makes one RPC and one write; ` +
            `the route's checks add ${step(stage(1, 'check'))}, the RPC into the visitor object with its parse and validation (the only parse a beacon the SDK wrote gets) ${step(stage(1, 'RPC, parse and validate'))}, ` +
            `the fold ${step(stage(1, 'fold'))} (each ±${NOISE_US} µs), and the commit ${step(stage(1, 'commit'))}: one statement (the state row, which also holds the newest timeline entries) and ` +
            `the write at the end of the turn (the trials below price the statements, \`noStore\`, and show that the row's size does not matter, \`tinyRow\`); the decision is within noise.`
          : ''),
    );
  }
  if (b20 && c64 && b64) {
    const b16 = cell(r, 20, 16);
    parts.push(
      `A batch of 20 costs ${fmt(b20.le.p50.median)} ms (${fmt(b20.p50Ratio.median)}x the hop, ${fmt(b20.le.p50.median / 20, 3)} ms per event)` +
        (cpu?.[1] && cpu?.[20]
          ? `. By stage, what grows with the events is the commit (${us(stage(1, 'commit'))} for one event, ${us(stage(20, 'commit'))} for 20): the 20 entries leave the state row for a ` +
            `timeline row at once, written with the state row in one statement through a trigger (a transaction only when the windows are cut back: the timeline at four times its cap, every 15th batch of 20). ${grown(['check', 'RPC, parse and validate', 'fold'])}` +
            `The baseline's beacon costs ${fmt(cpu[1].baselineMs, 3)} ms single and ${fmt(cpu[20].baselineMs, 3)} ms for the bigger body.`
          : '.') +
        ` At concurrency 16 and 64 both sides are bound by the two cores they share with the load generator, so latency there is queueing and the ratio follows the CPU ratio ` +
        `(single ${fmt(c64.le.cpu.median / c64.bl.cpu.median)}x CPU and ${fmt(c64.p50Ratio.median)}x p50 at c=64; batches ${fmt(b64.le.cpu.median / b64.bl.cpu.median)}x CPU and ${fmt(b64.p50Ratio.median)}x p50` +
        (b16 ? `, ${fmt(b16.p50Ratio.median)}x at c=16` : '') +
        `); LeadEdge sustained ${fmt(c64.le.rps.median, 0)} beacons/s single and ${fmt(b64.le.rps.median * 20, 0)} events/s in batches of 20 on this machine.`,
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
        `events, because a row written costs $1.00 per million (3.3 Worker requests): a beacon writes its state row, which holds the newest timeline entries ` +
        `(they carry their event ids); every ten entries or so they move to one timeline row, and the windows are trimmed in bulk; each new visitor adds ` +
        `its tables' schema and a first-visit notice, through the outbox, to one of its site's 32 directory shards (never to the ` +
        `site object, which hears of transitions only). The SDK sends one beacon per page, so most beacons carry one event. ` +
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

/** What the trials say, from their figures (noise first: a run with many variants drifts more). */
function trialNotes(t) {
  const d = (name, n) => t.trials.find((x) => x.name === name)?.cells.find((c) => c.events === n)?.deltaMs;
  const us = (x) => `${x >= 0 ? '+' : ''}${fmt(x * 1000, 0)} µs`;
  const notes = [];
  if (d('tinyRow', 1) !== undefined) {
    notes.push(
      `Read differences under about 0.1x (40-50 µs) as noise: with this many variants alive, pairs drift more than in the stage table ` +
        `(\`tinyRow\`, which leaves the statements as they are, moved by ${us(d('tinyRow', 1))} and ${us(d('tinyRow', 20))}).`,
    );
  }
  if (d('noStore', 1) !== undefined && d('noTimelineRow', 20) !== undefined) {
    notes.push(
      `The large savings are running no statement at all (\`noStore\`: ${us(d('noStore', 1))} single, ${us(d('noStore', 20))} batch) and, for batches, ` +
        `not writing the timeline row (\`noTimelineRow\`: ${us(d('noTimelineRow', 20))}); both would lose data.`,
    );
  }
  if (d('noHono', 1) !== undefined) notes.push(`Hono and its middleware cost about ${fmt(-d('noHono', 1) * 1000, 0)} µs a single beacon (\`noHono\`, read against \`cutRead\`).`);
  return notes.join(' ');
}

/** This session's steps and trials in workerd CPU (bench/cpu-trials.json), if they were run. */
export function cpuTrialsSection(t) {
  if (!t) return '';
  const cell = (x, n) => x.cells.find((c) => c.events === n);
  const steps = t.steps.map((s) => [`\`${s.ref}\``, s.what, `${fmt(cell(s, 1).ratio)}x`, `${fmt(cell(s, 20).ratio)}x`]);
  const delta = (c) => `${fmt(c.reference)}x -> ${fmt(c.ratio)}x (${c.deltaMs >= 0 ? '+' : ''}${fmt(c.deltaMs * 1000, 0)} µs)`;
  const trials = t.trials.map((x) => [`\`${x.name}\``, x.what, x.against === 'current' ? 'as it is' : `\`${x.against}\``, delta(cell(x, 1)), delta(cell(x, 20)), x.applied]);
  return `## What was tried, in CPU

\`node bench/cpu.mjs --trials\` (run ${t.at.slice(0, 16).replace('T', ' ')} UTC, load average ${t.loadBefore} -> ${t.loadAfter}): workerd CPU per
beacon at c=16 against the baseline, each variant beside it for ${t.rounds} alternating rounds (see "Where a beacon's CPU goes"
for the method). Latency at c=16 and c=64 follows this ratio. First the commits of this round of work, measured again
side by side:

${table(['commit', 'what it changed', 'single event', 'batch of 20'], steps)}

A caution found later: these are medians of one runtime per variant, and two runtimes of the same code can differ
by 10-15% for as long as they live; a re-run on 2026-11-23 with eleven runtimes alive (means, longer windows) ranked
the same commits differently by up to 0.4x, so it was not kept. Read only the largest steps here, and compare variants
with several copies each (\`node bench/cpu.mjs --variants=A,B,A#2,B#2,A#3,B#3 --scale=3\`).

Then trials against the code at that run's revision (patches in \`bench/lib/patches.mjs\`; "measurement only" ones remove or cut
something to price it, and are not fixes). ${trialNotes(t)}

${table(['trial', 'what', 'against', 'single event', 'batch of 20', 'in worker/'], trials)}
`;
}

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
