/**
 * The embeddable survey widget. On a web page:
 *
 *   <script src="https://polso.example.it/survey/widget.js" data-key="polso_pk_…" data-survey="nps_app"
 *     data-customer-id="cus_1" async></script>
 *
 * It shows the survey in a corner when the survey's widget trigger fires — a page view, a custom event
 * (`window.polso.track('Checkout Completed')`), or after N seconds — once per browser (dismissing it
 * counts), one question at a time, and saves each answer with the public key. Texts are set with
 * `textContent` only, inside a shadow root, so neither the page's styles nor any text can inject markup.
 */
import { applies } from '../../src/surveys/condition.ts';
import type { WidgetTrigger } from '../../src/surveys/definition.ts';
import type { QuestionView, SurveyView } from '../../src/surveys/render.ts';

interface WidgetConfig extends SurveyView {
  trigger: WidgetTrigger;
}

interface PolsoGlobal {
  track(name: string): void;
  queue?: string[];
}

const script = document.currentScript as HTMLScriptElement | null;
const win = window as unknown as { polso?: PolsoGlobal };

const CSS = `:host{all:initial}
.box{position:fixed;right:1rem;bottom:1rem;z-index:2147483647;width:min(22rem,calc(100vw - 2rem));background:#fff;color:#1f2937;
border:1px solid #d1d5db;border-radius:.75rem;box-shadow:0 8px 24px rgba(0,0,0,.18);padding:1rem;font:15px/1.45 system-ui,sans-serif}
.x{position:absolute;top:.35rem;right:.35rem;border:0;background:none;font-size:1.3rem;line-height:1;cursor:pointer;color:#374151;padding:.35rem}
p.t{font-weight:600;margin:0 1.5rem .6rem 0}
.s{display:flex;flex-wrap:wrap;gap:.25rem}
.s button,.c button{min-width:2.1rem;min-height:2.4rem;border:2px solid #6b7280;border-radius:.4rem;background:#fff;color:#1f2937;cursor:pointer;font:inherit}
.c{display:grid;gap:.3rem}.c button{text-align:left;padding:.3rem .5rem}
.s button:hover,.c button:hover{border-color:#1d4ed8}
button:focus-visible,textarea:focus-visible{outline:3px solid #b45309;outline-offset:2px}
.e{display:flex;justify-content:space-between;font-size:.8rem;color:#4b5563;margin-top:.3rem}
textarea{width:100%;box-sizing:border-box;font:inherit;border:2px solid #6b7280;border-radius:.4rem;padding:.4rem}
.go{margin-top:.5rem;background:#1d4ed8;color:#fff;border:0;border-radius:.4rem;min-height:2.4rem;padding:0 1rem;font:inherit;cursor:pointer}`;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function start(): void {
  if (!script) return;
  const key = script.dataset.key ?? '';
  const surveyId = script.dataset.survey ?? '';
  const origin = new URL(script.src).origin;
  const seenKey = `polso:survey:${surveyId}`;
  let anonymousId = script.dataset.anonymousId;
  const customerId = script.dataset.customerId;
  if (!customerId && !anonymousId) {
    anonymousId = localStorage.getItem('polso:anonymousId') ?? crypto.randomUUID();
    localStorage.setItem('polso:anonymousId', anonymousId);
  }
  const language = script.dataset.language ?? document.documentElement.lang ?? navigator.language;
  const api = `${origin}/api/v1/surveys/${encodeURIComponent(surveyId)}/widget`;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const pending: string[] = [];
  let config: WidgetConfig | null = null;
  let shown = false;

  const polso: PolsoGlobal = {
    track(name: string) {
      if (!config) pending.push(name);
      else if (config.trigger.on === 'event' && config.trigger.name === name) show();
    },
  };
  for (const name of win.polso?.queue ?? []) pending.push(name);
  win.polso = polso;

  function show(): void {
    if (shown || !config || localStorage.getItem(seenKey)) return;
    shown = true;
    localStorage.setItem(seenKey, new Date().toISOString());
    const view = config;
    const host = el('div');
    host.setAttribute('data-polso-widget', surveyId);
    const root = host.attachShadow({ mode: 'open' });
    root.appendChild(el('style', undefined, CSS));
    const box = el('section', 'box');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-label', view.name);
    const close = el('button', 'x', '×');
    close.setAttribute('aria-label', view.ui.close);
    close.addEventListener('click', () => host.remove());
    const body = el('div');
    box.append(close, body);
    root.appendChild(box);
    document.body.appendChild(host);
    const given: Record<string, unknown> = {};

    async function post(complete: boolean): Promise<void> {
      await fetch(api, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          ...(customerId ? { customerId } : { anonymousId }),
          language: view.language,
          answers: given,
          complete,
        }),
      });
    }

    function next(from: number): void {
      const i = view.questions.findIndex((q, j) => j >= from && applies(q.showIf, given));
      if (i === -1) {
        void post(true);
        body.replaceChildren(el('p', 't', view.ui.thanks));
        setTimeout(() => host.remove(), 3000);
        return;
      }
      ask(view.questions[i] as QuestionView, i);
    }

    function answer(q: QuestionView, value: unknown, i: number): void {
      given[q.id] = value;
      void post(false);
      next(i + 1);
    }

    function ask(q: QuestionView, i: number): void {
      const title = el('p', 't', q.text);
      title.id = `polso-q-${q.id}`;
      const parts: HTMLElement[] = [title];
      if (q.input === 'text') {
        const area = el('textarea');
        area.setAttribute('aria-labelledby', title.id);
        if (q.maxLength) area.maxLength = q.maxLength;
        const go = el('button', 'go', view.ui.submit);
        go.addEventListener('click', () => answer(q, area.value.trim() === '' ? null : area.value, i));
        parts.push(area, go);
      } else {
        const group = el('div', q.ends ? 's' : 'c');
        group.setAttribute('role', 'group');
        group.setAttribute('aria-labelledby', title.id);
        const picked = new Set<string>();
        for (const o of q.options) {
          const b = el('button', undefined, o.label);
          if (o.spoken) b.setAttribute('aria-label', o.spoken);
          b.addEventListener('click', () => {
            if (q.input === 'checkbox') {
              if (picked.has(o.value)) picked.delete(o.value);
              else picked.add(o.value);
              b.setAttribute('aria-pressed', String(picked.has(o.value)));
            } else answer(q, q.ends ? Number(o.value) : o.value, i);
          });
          group.appendChild(b);
        }
        parts.push(group);
        if (q.ends) {
          const e = el('div', 'e');
          e.append(el('span', undefined, q.ends[0]), el('span', undefined, q.ends[1]));
          parts.push(e);
        }
        if (q.input === 'checkbox') {
          const go = el('button', 'go', view.ui.submit);
          go.addEventListener('click', () => answer(q, [...picked], i));
          parts.push(go);
        }
      }
      body.replaceChildren(...parts);
      (body.querySelector('button,textarea') as HTMLElement | null)?.focus();
    }

    next(0);
  }

  if (localStorage.getItem(seenKey)) return;
  fetch(`${api}?language=${encodeURIComponent(language)}`, { headers: { authorization: `Bearer ${key}` } })
    .then((res) => (res.ok ? (res.json() as Promise<WidgetConfig>) : null))
    .then((loaded) => {
      if (!loaded) return;
      config = loaded;
      const t = loaded.trigger;
      if (t.on === 'pageview') show();
      else if (t.on === 'delay') setTimeout(show, t.seconds * 1000);
      else if (pending.includes(t.name)) show();
    })
    .catch(() => undefined);
}

start();
