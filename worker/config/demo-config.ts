/**
 * The embedded config of the `demo` site: what `npm start` runs with, nothing to configure.
 * A visitor who identifies with a work email, downloads the ebook and signs up for the webinar
 * becomes an MQL; a demo request makes them an SQL at once.
 */
import type { SiteConfigInput } from '../schema/config';

/** Documented local-dev secret of the demo's sales inbox receiver (never use it in production). */
export const DEMO_WEBHOOK_SECRET = 'whsec_bGVhZGVkZ2UtZGVtby1zYWxlcy1pbmJveC1zZWNyZXQ=';
export const DEMO_RECEIVER_URL = 'http://127.0.0.1:8788/hooks/sales';

const PERSONAL_DOMAINS = ['gmail.com', 'googlemail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'icloud.com', 'aol.com', 'proton.me', 'protonmail.com', 'gmx.com', 'mail.com'];

export const DEMO_CONFIG: SiteConfigInput = {
  name: 'LeadEdge demo (Acme Analytics)',
  allowedOrigins: ['http://localhost:8787', 'http://127.0.0.1:8787'],
  exposeScore: true,
  // The demo is walked through by our end-to-end suite in headless Chromium; real sites keep the default.
  bots: { allowAutomated: true },
  scoring: {
    halfLifeDays: 30,
    behavior: [
      { id: 'page-view', description: 'Viewed a page', when: { type: 'page_view' }, points: 1, maxPoints: 10, cooldownMinutes: 1 },
      { id: 'blog-read', description: 'Read a blog article', when: { type: 'page_view', path: '/blog/**' }, points: 5, maxPoints: 15 },
      { id: 'product-page', description: 'Looked at the product', when: { type: 'page_view', path: '/product' }, points: 5, maxPoints: 10 },
      { id: 'pricing-page', description: 'Looked at pricing', when: { type: 'page_view', path: '/pricing' }, points: 10, maxPoints: 20, cooldownMinutes: 60 },
      { id: 'ebook-download', description: 'Downloaded the ebook', when: { type: 'download' }, points: 20, maxPoints: 40 },
      { id: 'webinar-signup', description: 'Signed up for the webinar', when: { type: 'webinar_signup' }, points: 25, maxPoints: 50 },
      { id: 'demo-request', description: 'Requested a demo', when: { type: 'demo_request' }, points: 50, maxPoints: 100 },
      { id: 'cta-click', description: 'Clicked a call to action', when: { type: 'cta_click' }, points: 3, maxPoints: 9 },
      { id: 'careers-page', description: 'Looked at careers (likely a job seeker)', when: { type: 'page_view', path: '/careers' }, points: -15, maxPoints: 30 },
    ],
    fit: [
      { id: 'senior-title', description: 'Senior title (VP, head, director, C-level)', trait: 'title', match: { anyWord: ['vp', 'vice president', 'head', 'director', 'chief', 'ceo', 'cmo', 'cto', 'coo', 'cro', 'founder', 'owner'] }, points: 15 },
      { id: 'manager-title', description: 'Manager title', trait: 'title', match: { anyWord: ['manager', 'lead'] }, points: 8 },
      { id: 'company-size', description: 'Company of 50 or more employees', trait: 'companySize', match: { gte: 50 }, points: 10 },
      { id: 'target-industry', description: 'Target industry', trait: 'industry', match: { in: ['software', 'saas', 'technology', 'marketing', 'e-commerce'] }, points: 5 },
      { id: 'personal-email', description: 'Personal email address', trait: 'emailDomain', match: { in: PERSONAL_DOMAINS }, points: -10 },
    ],
  },
  stages: {
    mql: { score: 50, fit: 10 },
    sql: { score: 120, fit: 20 },
  },
  ctas: {
    hero: [
      { id: 'demo-booked', when: { stages: ['sql', 'sal'] }, text: 'Your demo is booked, {{firstName|there}}: meet your rep', href: '/demo#booked', variant: 'success' },
      { id: 'demo-{{topTopic}}', when: { did: ['webinar_signup'] }, text: 'See {{topTopic|Acme Analytics}} in action: book a 20-minute demo', href: '/demo?topic={{topTopic}}', variant: 'primary' },
      { id: 'webinar-{{topTopic}}', when: { did: ['download'] }, text: 'Join the live webinar on {{topTopic|analytics}}', href: '/webinar?topic={{topTopic}}', variant: 'primary' },
      // There is one ebook (on analytics); readers of either blog topic are offered it.
      { id: 'ebook-analytics', when: { topics: ['analytics', 'attribution'], didNot: ['download'] }, text: 'Get the free ebook: the analytics playbook', href: '/ebook' },
      { id: 'read-blog', text: 'Read how teams find buyers in their traffic', href: '/blog/finding-buyers' },
    ],
    sidebar: [
      { id: 'pricing', when: { stages: ['mql'] }, text: 'Compare plans and pricing', href: '/pricing' },
      { id: 'ebook-sidebar', when: { didNot: ['download'] }, text: 'Free ebook: the analytics playbook', href: '/ebook' },
      { id: 'newsletter', text: 'Get one practical article a month', href: '/blog' },
    ],
  },
  webhooks: [
    { id: 'sales-inbox', url: DEMO_RECEIVER_URL, secret: DEMO_WEBHOOK_SECRET, events: ['lead.demo_requested', 'lead.mql', 'lead.sql', 'lead.verdict'], format: 'standard' },
  ],
};
