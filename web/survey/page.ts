/**
 * The hosted survey page's script: shows follow-up questions when they apply, saves each answer as it
 * is given (partial answers are kept) and submits without leaving the page. Without it, the page still
 * works as a plain form. Loading the page records nothing: only a person's tap does.
 */
import { applies, type Condition } from '../../src/surveys/condition.ts';

const form = document.getElementById('survey') as HTMLFormElement | null;
const status = document.getElementById('status');

const SCORED = new Set(['nps', 'csat', 'ces', 'rating']);

/** The answers on the page now, from the questions that are shown. */
function answers(all: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const set of Array.from(document.querySelectorAll<HTMLFieldSetElement>('fieldset[data-q]'))) {
    if (!all && set.hidden) continue;
    const id = set.dataset.q as string;
    const type = set.dataset.type as string;
    if (type === 'text') {
      // An emptied text is sent as null, which clears the saved one.
      const value = (set.querySelector('textarea') as HTMLTextAreaElement).value;
      out[id] = value.trim() === '' ? null : value;
    } else if (type === 'multiple_choice') {
      const picked = Array.from(set.querySelectorAll<HTMLInputElement>('input:checked')).map((i) => i.value);
      if (picked.length > 0) out[id] = picked;
    } else {
      const picked = set.querySelector<HTMLInputElement>('input:checked');
      if (picked) out[id] = SCORED.has(type) ? Number(picked.value) : picked.value;
    }
  }
  return out;
}

/** Shows the follow-ups whose condition holds, hides the others. */
function refresh(): void {
  const given = answers(true);
  for (const set of Array.from(document.querySelectorAll<HTMLFieldSetElement>('fieldset[data-show-if]'))) {
    const cond = JSON.parse(set.dataset.showIf as string) as Condition;
    set.hidden = !applies(cond, given);
    if (set.hidden) delete given[set.dataset.q as string];
  }
}

function say(text: string): void {
  if (status) status.textContent = text;
}

/** Saves go one after the other, so the server sees the answers in the order they were given. */
let saving: Promise<boolean> = Promise.resolve(true);

function save(complete: boolean): Promise<boolean> {
  saving = saving.then(() => send(complete));
  return saving;
}

async function send(complete: boolean): Promise<boolean> {
  if (!form) return false;
  try {
    const res = await fetch(`${form.action}/answers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ answers: answers(false), complete }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

if (form) {
  refresh();
  void fetch(`${form.action}/open`, { method: 'POST' }).catch(() => undefined);
  form.addEventListener('change', async () => {
    refresh();
    say((await save(false)) ? (form.dataset.saved as string) : (form.dataset.error as string));
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await save(true)) {
      const done = document.createElement('p');
      done.className = 'thanks';
      done.setAttribute('role', 'status');
      done.textContent = form.dataset.thanks as string;
      form.replaceWith(done);
      done.tabIndex = -1;
      done.focus();
    } else say(form.dataset.error as string);
  });
}
