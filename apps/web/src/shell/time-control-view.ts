// The time control in the header: step back, step size, step forward, the moment (a text field
// taking ISO 8601 — UTC when no zone is given), Live, and Compare (a second field for the range's
// start). It edits the route's time selection; the views follow the route.
import { formatInstant } from '../format/time.js';
import type { AppRoute } from '../state/route.js';
import {
  DEFAULT_STEP_MS,
  describeTime,
  goLive,
  parseInstant,
  setMoment,
  stepTime,
  TIME_STEPS,
  toggleCompare,
  type TimeSelection,
} from '../state/time-control.js';
import { debounce, h } from '../ui/dom.js';

export class TimeControlView {
  readonly element: HTMLElement;
  private readonly at: HTMLInputElement;
  private readonly from: HTMLInputElement;
  private readonly live: HTMLButtonElement;
  private readonly compare: HTMLButtonElement;
  private readonly step: HTMLSelectElement;
  private readonly label = h('span', { class: 'time-label', 'data-testid': 'time-label' });
  private route: AppRoute;

  constructor(
    route: AppRoute,
    private readonly onChange: (time: TimeSelection) => void,
  ) {
    this.route = route;
    const apply = (input: HTMLInputElement, which: 'from' | 'to') => {
      const text = input.value.trim();
      if (text === '') {
        if (which === 'to' && this.route.time.mode !== 'compare') this.onChange(goLive());
        return;
      }
      const moment = parseInstant(text);
      input.setAttribute('aria-invalid', String(moment === null));
      if (!moment) return;
      this.onChange(setMoment(this.route.time, moment, new Date(), which));
    };
    // typed with an explicit zone, a complete moment applies by itself after a pause
    const applySoon = debounce((input: HTMLInputElement, which: 'from' | 'to') => {
      if (/(Z|[+-]\d{2}:?\d{2})$/i.test(input.value.trim()) && parseInstant(input.value)) apply(input, which);
    }, 700);
    const field = (testid: string, label: string, which: 'from' | 'to') => {
      const input: HTMLInputElement = h('input', {
        type: 'text',
        class: 'time-input',
        inputmode: 'numeric',
        spellcheck: 'false',
        autocomplete: 'off',
        placeholder: which === 'to' ? 'live — or a time, e.g. 2026-11-23T14:00:00Z' : 'from',
        title: 'ISO 8601; without a zone the time is UTC. Enter applies.',
        'aria-label': label,
        'data-testid': testid,
        onkeydown: (e: KeyboardEvent) => {
          if (e.key === 'Enter') apply(input, which);
          if (e.key === 'Escape') this.render();
        },
        onchange: () => apply(input, which),
        oninput: () => applySoon(input, which),
      });
      return input;
    };
    this.at = field('time-at', 'moment shown (UTC)', 'to');
    this.from = field('time-from', 'compare from (UTC)', 'from');
    this.step = h(
      'select',
      { 'aria-label': 'step', 'data-testid': 'time-step' },
      ...TIME_STEPS.map((s) => h('option', { value: s.ms, selected: s.ms === DEFAULT_STEP_MS }, s.label)),
    );
    const stepBy = (dir: -1 | 1) => this.onChange(stepTime(this.route.time, dir, Number(this.step.value), new Date()));
    this.live = h('button', { type: 'button', class: 'live-button', 'data-testid': 'time-live', onclick: () => this.onChange(goLive()) }, 'Live');
    this.compare = h('button', { type: 'button', 'data-testid': 'time-compare', 'aria-pressed': 'false', onclick: () => this.onChange(toggleCompare(this.route.time, new Date())) }, 'Compare');
    this.element = h(
      'div',
      { class: 'time-control', role: 'group', 'aria-label': 'time' },
      h('button', { type: 'button', title: 'step back', 'aria-label': 'step back', 'data-testid': 'time-back', onclick: () => stepBy(-1) }, '◀'),
      this.step,
      h('button', { type: 'button', title: 'step forward', 'aria-label': 'step forward', 'data-testid': 'time-forward', onclick: () => stepBy(1) }, '▶'),
      this.from,
      this.at,
      h('span', { class: 'utc' }, 'UTC'),
      this.live,
      this.compare,
      this.label,
    );
    this.render();
  }

  update(route: AppRoute): void {
    this.route = route;
    this.render();
  }

  private render(): void {
    const t = this.route.time;
    // the fields always show the route's time: Live, the steps and links all change it
    this.at.value = t.mode === 'live' ? '' : formatInstant(t.mode === 'at' ? t.at : t.to);
    this.from.value = t.mode === 'compare' ? formatInstant(t.from) : '';
    this.at.removeAttribute('aria-invalid');
    this.from.hidden = t.mode !== 'compare';
    this.live.classList.toggle('active', t.mode === 'live');
    this.live.dataset['state'] = t.mode === 'live' ? 'on' : 'off';
    this.live.setAttribute('aria-pressed', String(t.mode === 'live'));
    this.compare.setAttribute('aria-pressed', String(t.mode === 'compare'));
    this.compare.classList.toggle('active', t.mode === 'compare');
    this.label.textContent = describeTime(t);
    this.element.dataset['mode'] = t.mode;
  }
}
