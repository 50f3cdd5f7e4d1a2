import { describe, expect, it } from 'vitest';
import { ImportBodySchema } from '../../worker/calibration/import-rows';
// @ts-expect-error plain ESM script without types
import { mapRecords, parseCsv } from '../../scripts/import.mjs';
// @ts-expect-error plain ESM script without types
import { formatReport, optionsFrom } from '../../scripts/calibrate.mjs';

const CSV = [
  '\uFEFFLead ID,Stage,Job Title,Employees,Occupation,Ebook downloads,Calculator uses,Pricing visits,Closed',
  'crm-1,Closed Won,VP Marketing,250,marketer,1,3,4,2025-03-31',
  'crm-2,Closed Lost,"Student, part-time",,student,2,0,0,2025-04-02',
  'crm-3,Open,Analyst,40,,0,0,1,',
  '"crm 4",closed won,"Head of ""Growth""\nEMEA",1200,marketer,0,1,2,2025-05-01',
].join('\r\n');

const MAPPING = {
  id: 'Lead ID',
  outcome: { column: 'Stage', won: ['Closed Won'], lost: ['Closed Lost'] },
  at: 'Closed',
  traits: { title: 'Job Title', companySize: 'Employees', 'custom.occupation': 'Occupation' },
  events: { download: 'Ebook downloads', pricing_calculator: 'Calculator uses' },
  rules: { 'pricing-page': 'Pricing visits' },
};

describe('npm run import', () => {
  it('parses RFC 4180 CSV: quotes, doubled quotes, commas and newlines in quotes, CRLF, BOM', () => {
    const records = parseCsv(CSV);
    expect(records).toHaveLength(4);
    expect(records[1]['Job Title']).toBe('Student, part-time');
    expect(records[3]).toMatchObject({ 'Lead ID': 'crm 4', 'Job Title': 'Head of "Growth"\nEMEA', __line: 5 });
    expect(() => parseCsv('a,b\n"x,y')).toThrow(/never closed/);
    expect(parseCsv('a;b\n1;2', ';')).toEqual([{ a: '1', b: '2', __line: 2 }]);
  });

  it('maps columns to the import rows the API accepts, skipping open deals', () => {
    const { rows, lines, skipped, problems } = mapRecords(parseCsv(CSV), MAPPING);
    expect(problems).toEqual([]);
    expect(skipped).toBe(1);
    expect(lines).toEqual([2, 3, 5]);
    expect(rows[0]).toEqual({
      id: 'crm-1', outcome: 'won', at: '2025-03-31',
      traits: { title: 'VP Marketing', companySize: 250, custom: { occupation: 'marketer' } },
      events: { download: 1, pricing_calculator: 3 }, rules: { 'pricing-page': 4 },
    });
    expect(rows[1]).toMatchObject({ id: 'crm-2', outcome: 'lost', events: { download: 2 } });
    expect(rows[1].rules).toBeUndefined();
    expect(rows[2]).toMatchObject({ id: 'crm-4', outcome: 'won' });
    expect(ImportBodySchema.safeParse({ rows }).success).toBe(true);
  });

  it('says which mapping entries do not fit the CSV', () => {
    const { problems } = mapRecords(parseCsv(CSV), { ...MAPPING, outcome: { column: 'Status', won: ['won'] }, events: { download: 'Downloads' } });
    expect(problems.join('\n')).toMatch(/outcome.column: no column "Status"/);
    expect(problems.join('\n')).toMatch(/give "won" and "lost"/);
    expect(problems.join('\n')).toMatch(/events.download: no column "Downloads"/);
    const bad = mapRecords(parseCsv('id,s,n\n1,won,lots'), { id: 'id', outcome: { column: 's', won: ['won'], lost: [] }, events: { download: 'n' } });
    expect(bad.problems).toEqual(['line 2: events.download ("n") is not a number: "lots"']);
  });
});

describe('npm run calibrate', () => {
  it('sends only the options given', () => {
    expect(optionsFrom({ site: 'demo' })).toEqual({});
    expect(optionsFrom({ sql: '0.9', seed: '4', 'max-new-rules': '0' })).toEqual({ targetPrecision: { sql: 0.9 }, seed: 4, maxNewRules: 0 });
  });

  it('prints figures side by side and the rule table', () => {
    const sel = { precision: 0.5, recall: 0.8, selected: 10 };
    const text = formatReport({
      site: 'demo', basedOnVersion: 3,
      rows: { used: 100, positives: 20, train: 75, holdout: 25 },
      settings: { seed: 1, l2: 3, l2ChosenBy: 'cross-validation' },
      evaluation: { rows: 25, positives: 5, current: { auc: 0.7, logLoss: 0.5, mql: sel, sql: sel }, proposed: { auc: 0.8, logLoss: 0.4, mql: sel, sql: sel } },
      rules: [{ id: 'pricing-page', kind: 'behavior', currentPoints: 10, proposedPoints: 14, status: 'changed' }, { id: 'learned-occupation-student', kind: 'fit', currentPoints: null, proposedPoints: -12, status: 'new', description: 'Learned from outcomes: occupation is "student"', support: 30 }],
      thresholds: { mql: { current: 50, proposed: 40, targetPrecision: 0.5, met: true }, sql: { current: 120, proposed: 95, targetPrecision: 0.8, met: false } },
      notes: ['a note'],
    });
    expect(text).toMatch(/AUC\s+0\.700\s+0\.800/);
    expect(text).toMatch(/pricing-page\s+10\s+14\s+changed/);
    expect(text).toMatch(/fit learned-occupation-student\s+-\s+-12\s+new: occupation is "student" \(30 leads\)/);
    expect(text).toMatch(/SQL 120 -> 95 \(target 80%, not met\)/);
  });
});
