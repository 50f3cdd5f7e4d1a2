/**
 * Visitor journeys with a hidden intent, for the demo site (Acme Analytics), and the outcome that
 * follows. Nothing here reads a score: intent drives behaviour and traits, and intent (plus
 * chance) decides who buys. Seeded, so a run can be reproduced.
 *
 *   buyer        reads pricing again and again, uses the pricing calculator, often requests a demo
 *   evaluator    researches for later: blog, ebook, webinar, one look at pricing
 *   student      reads the blog and downloads the ebook (a lot), then leaves; personal email
 *   competitor   product, pricing, docs, careers; downloads; works in software (a target industry)
 *   job seeker   careers pages, the blog; personal email
 *   browser      a few pages
 */

const DAY = 24 * 3600 * 1000;
const HOST = 'https://acme-analytics.example';

/** Share of traffic, chance to identify, chance to buy (with / without a demo request). */
export const PERSONAS = {
  buyer: { share: 0.1, identify: 0.9, win: [0.55, 0.3] },
  evaluator: { share: 0.15, identify: 0.8, win: [0.3, 0.12] },
  student: { share: 0.2, identify: 0.75, win: [0.05, 0.01] },
  competitor: { share: 0.1, identify: 0.6, win: [0.02, 0] },
  jobSeeker: { share: 0.1, identify: 0.5, win: [0.02, 0] },
  browser: { share: 0.35, identify: 0.3, win: [0.2, 0.03] },
};

const TOPICS = ['analytics', 'attribution', 'pipeline'];
const SENIOR = ['VP Marketing', 'Head of Growth', 'Director of Sales', 'CMO', 'Founder'];
const MANAGERS = ['Marketing Manager', 'Growth Lead', 'Sales Manager', 'Marketing Operations Manager'];
const ICS = ['Marketing Analyst', 'Data Analyst', 'Content Writer', 'Designer'];
const TARGET_INDUSTRIES = ['software', 'saas', 'e-commerce', 'marketing'];
const OTHER_INDUSTRIES = ['retail', 'education', 'healthcare', 'manufacturing'];

/** A visitor: persona, events grouped in sessions (each a batch), and whether it bought. */
export function makeVisitor(rand, index, start) {
  const persona = pickPersona(rand);
  const spec = PERSONAS[persona];
  const topic = pick(rand, TOPICS);
  const sessions = [];
  let t = start + Math.floor(rand() * 20 * DAY);
  const identifies = rand() < spec.identify;
  const traits = traitsFor(rand, persona, index);
  const plan = planFor(rand, persona);
  const identifyAt = identifies ? Math.floor(rand() * plan.length) : -1;
  let demo = false;
  plan.forEach((steps, s) => {
    const events = [];
    for (const step of steps) {
      t += Math.floor(30_000 + rand() * 240_000);
      events.push(eventFor(step, t, topic, events.length));
      if (step === 'demo') demo = true;
    }
    if (s === identifyAt) {
      t += 60_000;
      events.push({ type: 'identify', ts: t, url: `${HOST}/ebook`, traits });
    }
    sessions.push(events);
    t += Math.floor((0.5 + rand() * 4) * DAY);
  });
  // Only an identified visitor can be sold to (and labelled). A demo request needs an email too.
  const won = identifies && rand() < spec.win[demo ? 0 : 1];
  return { id: `v${index}`, persona, identified: identifies, sessions, won, lastAt: t };
}

/** Sessions of steps per persona. */
function planFor(rand, persona) {
  const n = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const maybe = (p, step) => (rand() < p ? [step] : []);
  const repeat = (k, step) => Array.from({ length: k }, () => step);
  switch (persona) {
    case 'buyer':
      return Array.from({ length: n(2, 5) }, (_, s) => [
        ...repeat(n(0, 2), 'blog'), 'product', ...repeat(n(1, 2), 'pricing'),
        ...maybe(0.45, 'calculator'), ...maybe(0.2, 'ebook'), ...maybe(0.15, 'webinar'), ...maybe(0.2, 'cta'),
        ...(s > 0 ? maybe(0.3, 'demo') : []),
      ]);
    case 'evaluator':
      return Array.from({ length: n(2, 4) }, (_, s) => [
        ...repeat(n(1, 3), 'blog'), ...maybe(0.5, 'product'), ...maybe(0.35, 'ebook'), ...maybe(0.3, 'webinar'),
        ...(s === 1 ? maybe(0.5, 'pricing') : []), ...maybe(0.1, 'calculator'), ...maybe(0.15, 'cta'), ...(s > 1 ? maybe(0.1, 'demo') : []),
      ]);
    case 'student':
      return Array.from({ length: n(1, 3) }, () => [...repeat(n(1, 4), 'blog'), ...maybe(0.7, 'ebook'), ...maybe(0.25, 'webinar'), ...maybe(0.1, 'product'), ...maybe(0.03, 'demo')]);
    case 'competitor':
      return Array.from({ length: n(1, 3) }, () => ['product', ...repeat(n(1, 3), 'pricing'), ...maybe(0.5, 'docs'), ...maybe(0.15, 'calculator'), ...maybe(0.4, 'ebook'), ...maybe(0.5, 'careers'), ...maybe(0.03, 'demo')]);
    case 'jobSeeker':
      return Array.from({ length: n(1, 3) }, () => [...repeat(n(1, 3), 'careers'), ...maybe(0.6, 'blog'), ...maybe(0.4, 'product'), ...maybe(0.15, 'ebook')]);
    default:
      return Array.from({ length: n(1, 2) }, () => [...repeat(n(1, 3), 'blog'), ...maybe(0.2, 'product'), ...maybe(0.15, 'pricing'), ...maybe(0.1, 'ebook'), ...maybe(0.02, 'demo')]);
  }
}

function eventFor(step, ts, topic, k) {
  const page = (path, topics) => ({ type: 'page_view', ts, url: `${HOST}${path}`, ...(topics ? { topics } : {}) });
  switch (step) {
    case 'blog': return page(`/blog/${topic}-${k}`, [topic]);
    case 'product': return page('/product', [topic]);
    case 'pricing': return page('/pricing');
    case 'careers': return page('/careers');
    case 'docs': return page('/docs/api');
    case 'calculator': return { type: 'track', name: 'pricing_calculator', ts, url: `${HOST}/pricing`, props: { seats: 10 } };
    case 'ebook': return { type: 'download', ts, url: `${HOST}/ebook`, topics: [topic], props: { file: 'ebook.pdf' } };
    case 'webinar': return { type: 'webinar_signup', ts, url: `${HOST}/webinar`, topics: [topic] };
    case 'cta': return { type: 'cta_click', ts, url: `${HOST}/`, ctaId: 'read-blog' };
    case 'demo': return { type: 'demo_request', ts, url: `${HOST}/demo` };
    default: throw new Error(`unknown step ${step}`);
  }
}

function traitsFor(rand, persona, index) {
  const work = (company) => `p${index}@${company.toLowerCase().replace(/[^a-z0-9]/g, '')}.example`;
  const personal = () => `p${index}@${pick(rand, ['gmail.com', 'yahoo.com', 'outlook.com'])}`;
  const company = `Co${Math.floor(rand() * 5000)}`;
  const asked = rand() < 0.6; // the form asks for an occupation on some pages only
  switch (persona) {
    case 'buyer':
      return { email: work(company), name: `Lead ${index}`, company, title: pick(rand, rand() < 0.6 ? SENIOR : MANAGERS), companySize: pick(rand, [60, 120, 400, 1500, 5000]), industry: pick(rand, rand() < 0.75 ? TARGET_INDUSTRIES : OTHER_INDUSTRIES), ...(asked ? { custom: { occupation: 'marketer' } } : {}) };
    case 'evaluator':
      return { email: work(company), name: `Lead ${index}`, company, title: pick(rand, rand() < 0.3 ? SENIOR : rand() < 0.6 ? MANAGERS : ICS), companySize: pick(rand, [20, 60, 200, 800]), industry: pick(rand, rand() < 0.6 ? TARGET_INDUSTRIES : OTHER_INDUSTRIES), ...(asked ? { custom: { occupation: 'marketer' } } : {}) };
    case 'student':
      return { email: personal(), name: `Lead ${index}`, title: rand() < 0.5 ? 'Student' : 'Marketing Intern', ...(asked ? { custom: { occupation: 'student' } } : {}) };
    case 'competitor':
      return { email: work(company), name: `Lead ${index}`, company, title: pick(rand, ['Product Manager', 'Head of Product', 'Product Marketing Manager']), companySize: pick(rand, [50, 200, 1000]), industry: 'software', ...(asked ? { custom: { occupation: 'product' } } : {}) };
    case 'jobSeeker':
      return { email: personal(), name: `Lead ${index}`, title: pick(rand, ['Marketing Analyst', 'Data Analyst', 'Sales Development Rep']), ...(asked ? { custom: { occupation: 'job seeker' } } : {}) };
    default:
      return { email: rand() < 0.5 ? personal() : work(company), name: `Lead ${index}`, ...(rand() < 0.5 ? { title: pick(rand, [...ICS, ...MANAGERS]) } : {}), ...(asked ? { custom: { occupation: pick(rand, ['marketer', 'engineer', 'other']) } } : {}) };
  }
}

function pickPersona(rand) {
  let u = rand();
  for (const [name, spec] of Object.entries(PERSONAS)) {
    u -= spec.share;
    if (u < 0) return name;
  }
  return 'browser';
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)];
