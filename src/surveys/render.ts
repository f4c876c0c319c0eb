/**
 * @module surveys/render
 * What a respondent sees: the questions of a survey in one language as plain data (the widget draws
 * them in the browser), the hosted page as HTML, and the invitation email with its first question
 * embedded. Every text from a definition or an answer is escaped; nothing user-written becomes markup.
 */
import type { Condition } from './condition.ts';
import { type Question, type SurveyDefinition, scaleOf } from './definition.ts';
import type { Answer } from './state.ts';
import { escapeHtml as esc, textIn, type UiTexts, uiTexts } from './texts.ts';

/** One option of a question as shown: its value, visible label and, for faces, a spoken label. */
export interface OptionView {
  value: string;
  label: string;
  spoken?: string;
}

/** A question in one language, ready to draw. */
export interface QuestionView {
  id: string;
  type: Question['type'];
  text: string;
  required: boolean;
  /** radio: one of the options; checkbox: any of them; text: free text. */
  input: 'radio' | 'checkbox' | 'text';
  options: OptionView[];
  /** Labels of the two ends of a scale. */
  ends?: [string, string];
  maxLength?: number;
  showIf?: Condition;
}

/** What the page and the widget need of a survey in one language. */
export interface SurveyView {
  language: string;
  name: string;
  questions: QuestionView[];
  ui: Pick<UiTexts, 'submit' | 'thanks' | 'saved' | 'error' | 'close' | 'optional'>;
}

const FACES: Record<number, readonly string[]> = {
  3: ['🙁', '😐', '🙂'],
  5: ['😞', '🙁', '😐', '🙂', '😀'],
};

function ends(q: Question, ui: UiTexts): [string, string] | undefined {
  switch (q.type) {
    case 'nps':
      return [ui.notLikely, ui.veryLikely];
    case 'csat':
    case 'rating':
      return [ui.veryUnsatisfied, ui.verySatisfied];
    case 'ces':
      return q.direction === 'higher_is_easier'
        ? [ui.veryDifficult, ui.veryEasy]
        : [ui.veryEasy, ui.veryDifficult];
    default:
      return undefined;
  }
}

/** A question as shown in `language`. */
export function questionView(q: Question, language: string): QuestionView {
  const ui = uiTexts(language);
  const base = { id: q.id, type: q.type, text: textIn(q.text, language), required: q.required === true };
  const cond = q.showIf ? { showIf: q.showIf } : {};
  if (q.type === 'single_choice' || q.type === 'multiple_choice')
    return {
      ...base,
      ...cond,
      input: q.type === 'single_choice' ? 'radio' : 'checkbox',
      options: q.choices.map((c) => ({ value: c.id, label: textIn(c.text, language) })),
    };
  if (q.type === 'text') return { ...base, ...cond, input: 'text', options: [], maxLength: q.maxLength };
  const scale = scaleOf(q)!;
  const faces = q.type === 'csat' && q.display === 'faces' ? FACES[q.scale] : undefined;
  const spokenFaces = scale.max === 3 ? [ui.faces[0]!, ui.faces[2]!, ui.faces[4]!] : ui.faces;
  const options: OptionView[] = [];
  for (let v = scale.min; v <= scale.max; v++)
    options.push(
      faces
        ? { value: String(v), label: faces[v - 1]!, spoken: spokenFaces[v - 1]! }
        : { value: String(v), label: String(v) },
    );
  return { ...base, ...cond, input: 'radio', options, ends: ends(q, ui) };
}

/** The survey in one language. */
export function surveyView(def: SurveyDefinition, language: string): SurveyView {
  const ui = uiTexts(language);
  return {
    language,
    name: textIn(def.name, language),
    questions: def.questions.map((q) => questionView(q, language)),
    ui: {
      submit: ui.submit,
      thanks: ui.thanks,
      saved: ui.saved,
      error: ui.error,
      close: ui.close,
      optional: ui.optional,
    },
  };
}

function answerValues(a: Answer | undefined): string[] {
  if (a === undefined) return [];
  return Array.isArray(a) ? a : [String(a)];
}

function questionHtml(q: QuestionView, answer: Answer | undefined, ui: SurveyView['ui']): string {
  const id = esc(q.id);
  const legend = `<legend id="${id}-l">${esc(q.text)}${q.required ? '' : ` <span class="opt-note">(${esc(ui.optional)})</span>`}</legend>`;
  const cond = q.showIf ? ` data-show-if="${esc(JSON.stringify(q.showIf))}"` : '';
  const head = `<fieldset class="q" data-q="${id}" data-type="${q.type}"${cond}${q.ends ? ` aria-describedby="${id}-e"` : ''}>${legend}`;
  if (q.input === 'text')
    return `${head}<textarea name="${id}" id="${id}-t" aria-labelledby="${id}-l" rows="4" maxlength="${q.maxLength}">${esc(typeof answer === 'string' ? answer : '')}</textarea></fieldset>`;
  const picked = answerValues(answer);
  const opts = q.options
    .map((o, i) => {
      const oid = `${id}-${i}`;
      const label = o.spoken
        ? `<span aria-hidden="true">${esc(o.label)}</span><span class="sr">${esc(o.spoken)}</span>`
        : esc(o.label);
      return `<span class="o"><input type="${q.input}" name="${id}" id="${oid}" value="${esc(o.value)}"${picked.includes(o.value) ? ' checked' : ''}><label for="${oid}">${label}</label></span>`;
    })
    .join('');
  const layout = q.ends ? `scale n${q.options.length}` : 'choices';
  const endsHtml = q.ends
    ? `<p class="ends" id="${id}-e"><span>${esc(`${q.options[0]!.value} = ${q.ends[0]}`)}</span><span>${esc(`${q.options.at(-1)!.value} = ${q.ends[1]}`)}</span></p>`
    : '';
  return `${head}<div class="${layout}">${opts}</div>${endsHtml}</fieldset>`;
}

/** A whole HTML document around `body`, with Polso's stylesheet and, optionally, the page script. */
export function documentHtml(language: string, title: string, body: string, script = false): string {
  return `<!doctype html><html lang="${esc(language)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><link rel="stylesheet" href="/survey/page.css"></head><body><main>${body}</main>${script ? '<script src="/survey/page.js" defer></script>' : ''}</body></html>`;
}

/**
 * The hosted page: every question (follow-ups hidden by the script until they apply), the answers
 * given so far and a score taken from the link checked but not recorded.
 */
export function pageHtml(
  view: SurveyView,
  action: string,
  answers: Readonly<Record<string, Answer>>,
): string {
  const questions = view.questions.map((q) => questionHtml(q, answers[q.id], view.ui)).join('');
  const body = `<h1>${esc(view.name)}</h1><form id="survey" method="post" action="${esc(action)}" data-saved="${esc(view.ui.saved)}" data-error="${esc(view.ui.error)}" data-thanks="${esc(view.ui.thanks)}">${questions}<button type="submit">${esc(view.ui.submit)}</button><p id="status" role="status" aria-live="polite"></p></form>`;
  return documentHtml(view.language, view.name, body, true);
}

/** A page with one message (thanks, invalid link, unsubscribed). */
export function messageHtml(language: string, title: string, message: string): string {
  return documentHtml(language, title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}

/** The unsubscribe page: a GET only asks; the button posts the opt-out. */
export function unsubscribeHtml(language: string, action: string): string {
  const ui = uiTexts(language);
  return documentHtml(
    language,
    ui.unsubscribe,
    `<h1>${esc(ui.unsubscribe)}</h1><p>${esc(ui.unsubscribeAsk)}</p><form method="post" action="${esc(action)}"><button type="submit">${esc(ui.unsubscribeButton)}</button></form>`,
  );
}

/** An invitation message: subject, text and HTML bodies. */
export interface InvitationMessage {
  subject: string;
  text: string;
  html: string;
  unsubscribeUrl: string;
}

/**
 * The invitation email: the first question with one link per score (the page opens with it checked),
 * or a single link for other question types, and the unsubscribe link.
 */
export function invitationEmail(
  def: SurveyDefinition,
  language: string,
  url: string,
  unsubscribeUrl: string,
  reminder: boolean,
): InvitationMessage {
  const ui = uiTexts(language);
  const view = surveyView(def, language);
  const first = view.questions[0]!;
  const subject = `${reminder ? `${ui.reminder}: ` : ''}${view.name}`;
  const scored = first.ends !== undefined;
  const links = scored
    ? first.options.map((o) => ({ label: o.spoken ?? o.label, href: `${url}?score=${o.value}` }))
    : [{ label: ui.emailOpen, href: url }];
  const text = [
    first.text,
    '',
    ...(scored ? links.map((l) => `${l.label}: ${l.href}`) : [`${ui.emailOpen}: ${url}`]),
    '',
    `${ui.unsubscribe}: ${unsubscribeUrl}`,
  ].join('\n');
  const buttons = links
    .map(
      (l) =>
        `<a href="${esc(l.href)}" style="display:inline-block;min-width:2em;padding:8px 10px;margin:2px;border:1px solid #1d4ed8;border-radius:6px;color:#1d4ed8;text-decoration:none;text-align:center">${esc(l.label)}</a>`,
    )
    .join('');
  const html = `<!doctype html><html lang="${esc(language)}"><body style="font-family:sans-serif;color:#1f2937"><p>${esc(ui.emailIntro)}</p><p style="font-size:18px"><strong>${esc(first.text)}</strong></p><p>${buttons}</p>${first.ends ? `<p style="font-size:13px">${esc(`${first.options[0]!.value} = ${first.ends[0]} · ${first.options.at(-1)!.value} = ${first.ends[1]}`)}</p>` : ''}<p style="font-size:12px"><a href="${esc(unsubscribeUrl)}" style="color:#374151">${esc(ui.unsubscribe)}</a></p></body></html>`;
  return { subject, text, html, unsubscribeUrl };
}

/** The invitation SMS: the survey name and its link. */
export function invitationSms(
  def: SurveyDefinition,
  language: string,
  url: string,
  unsubscribeUrl: string,
): string {
  const ui = uiTexts(language);
  return `${textIn(def.name, language)}: ${url}\n${ui.unsubscribe}: ${unsubscribeUrl}`;
}
