// A plain textarea with line numbers and highlighted lines (no editor library): the config editor.
import { h } from './dom.js';

const LINE_PX = 20;
const PAD_PX = 8;

/** `const ed = codeEditor(text); ed.el; ed.value; ed.mark([14]); ed.goTo(14)`. */
export function codeEditor(text, label) {
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const marks = h('div', { class: 'marks', 'aria-hidden': 'true' });
  const area = h('textarea', { spellcheck: false, wrap: 'off', autocomplete: 'off', autocapitalize: 'off', 'aria-label': label, name: 'config' });
  area.value = text;
  let marked = new Set();
  let lineCount = 0;

  const sync = () => {
    gutter.scrollTop = area.scrollTop;
    marks.style.transform = `translateY(${-area.scrollTop}px)`;
  };
  const renderGutter = () => {
    lineCount = area.value.split('\n').length;
    const rows = Array.from({ length: lineCount }, (_, i) => h('div', { class: marked.has(i + 1) ? 'err' : null }, String(i + 1)));
    gutter.replaceChildren(...rows, h('div', { style: 'height:40px' }));
    marks.replaceChildren(...[...marked].map((l) => h('div', { dataset: { line: l }, style: `top:${PAD_PX + (l - 1) * LINE_PX}px` })));
    sync();
  };

  area.addEventListener('scroll', sync);
  area.addEventListener('input', () => {
    // Marks belong to the text that was saved; once it changes they would point at the wrong lines.
    const hadMarks = marked.size > 0;
    marked = new Set();
    if (hadMarks || area.value.split('\n').length !== lineCount) renderGutter();
  });
  area.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab' || e.shiftKey) return;
    e.preventDefault();
    area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end');
  });
  renderGutter();

  return {
    el: h('div', { class: 'editor' }, gutter, h('div', { class: 'code' }, marks, area)),
    get value() {
      return area.value;
    },
    set value(v) {
      const top = area.scrollTop;
      area.value = v;
      marked = new Set();
      renderGutter();
      area.scrollTop = top;
      sync();
    },
    /** Highlights these 1-based lines (and only these). */
    mark(lines) {
      marked = new Set(lines);
      renderGutter();
    },
    /** Scrolls to a line and selects it. */
    goTo(line) {
      const all = area.value.split('\n');
      const start = all.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
      area.focus();
      area.setSelectionRange(start, start + (all[line - 1]?.length ?? 0));
      area.scrollTop = Math.max(0, (line - 6) * LINE_PX);
      sync();
    },
  };
}
