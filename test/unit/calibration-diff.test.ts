import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ES module of the marketer view, without types
import { configDiff, lineDiff, withContext } from '../../demo-site/admin/calibration-diff.js';

describe('calibration panel diff', () => {
  it('marks removed and added lines around the common ones', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc\nd')).toEqual([
      { op: ' ', line: 'a' }, { op: '-', line: 'b' }, { op: '+', line: 'x' }, { op: ' ', line: 'c' }, { op: '+', line: 'd' },
    ]);
    expect(lineDiff('same', 'same')).toEqual([{ op: ' ', line: 'same' }]);
  });

  it('keeps a little context and says how many lines it skipped', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const after = before.replace('l10', 'L10');
    const out = withContext(lineDiff(before, after), 1);
    expect(out).toEqual([{ op: '…', skipped: 9 }, { op: ' ', line: 'l9' }, { op: '-', line: 'l10' }, { op: '+', line: 'L10' }, { op: ' ', line: 'l11' }, { op: '…', skipped: 8 }]);
  });

  it('diffs config documents as pretty JSON: a changed point and a learned rule', () => {
    const current = { scoring: { behavior: [{ id: 'pricing', points: 10 }] }, stages: { mql: { score: 50 } } };
    const proposal = { scoring: { behavior: [{ id: 'pricing', points: 14 }, { id: 'learned-calc', points: 6 }] }, stages: { mql: { score: 42 } } };
    const changed = configDiff(current, proposal).filter((d: { op: string }) => d.op === '+' || d.op === '-').map((d: { op: string; line: string }) => `${d.op}${d.line.trim()}`);
    expect(changed).toEqual(expect.arrayContaining(['-"points": 10', '+"points": 14', '+"id": "learned-calc",', '-"score": 50', '+"score": 42']));
  });
});
