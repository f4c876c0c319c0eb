import { describe, expect, it } from 'vitest';
import { applies } from './condition.ts';
import { parseDefinition, pickLanguage } from './definition.ts';

const t = (it: string, en = it) => ({ it, en });

describe('survey definitions', () => {
  it('accepts every question type and fills in defaults', () => {
    const r = parseDefinition({
      name: t('Dopo l’acquisto', 'After the purchase'),
      touchpoint: 'purchase',
      questions: [
        { id: 'nps', type: 'nps', text: t('Ci consiglierebbe?') },
        { id: 'csat', type: 'csat', scale: 3, display: 'faces', text: t('Soddisfatto?') },
        { id: 'ces', type: 'ces', scale: 5, direction: 'lower_is_easier', text: t('Sforzo?') },
        { id: 'stars', type: 'rating', text: t('Voto?') },
        {
          id: 'why',
          type: 'single_choice',
          text: t('Perché?'),
          choices: [
            { id: 'a', text: t('A') },
            { id: 'b', text: t('B') },
          ],
        },
        {
          id: 'what',
          type: 'multiple_choice',
          text: t('Cosa?'),
          choices: [
            { id: 'x', text: t('X') },
            { id: 'y', text: t('Y') },
          ],
        },
        { id: 'better', type: 'text', text: t('Cosa migliorare?'), showIf: { question: 'nps', max: 6 } },
      ],
      triggers: [{ record: 'order', delayMinutes: 10080 }],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = r.definition;
    expect(d.languages).toEqual(['it', 'en']);
    expect(d.defaultLanguage).toBe('it');
    expect(d.sampleRate).toBe(1);
    expect(d.questions[2]).toMatchObject({ scale: 5, direction: 'lower_is_easier' });
    expect(d.questions[3]).toMatchObject({ scale: 5 });
    expect(d.questions[6]).toMatchObject({ maxLength: 2000, showIf: { question: 'nps', max: 6 } });
    expect(d.triggers[0]).toEqual({
      record: 'order',
      at: 'timestamp',
      where: {},
      delayMinutes: 10080,
      via: 'email',
    });
  });

  it('refuses faces on a 10-point scale, follow-ups on later questions and triggers on survey records', () => {
    const r = parseDefinition({
      name: t('X'),
      questions: [
        {
          id: 'q1',
          type: 'csat',
          scale: 10,
          display: 'faces',
          text: t('?'),
          showIf: { question: 'q2', max: 3 },
        },
        { id: 'q2', type: 'nps', text: t('?'), choices: [] },
      ],
      triggers: [
        { record: 'survey_response' },
        { record: 'contact', where: { nope: ['x'], channel: 'chat' } },
      ],
      sampleRate: 0,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path)).toEqual([
      'questions[0].display',
      'questions[0].showIf.question',
      'questions[1].choices',
      'triggers[0].record',
      'triggers[1].where.nope',
      'triggers[1].where.channel',
      'sampleRate',
    ]);
  });

  it('picks the customer language when the survey has it', () => {
    const r = parseDefinition({ name: t('X'), questions: [{ id: 'q', type: 'nps', text: t('?') }] });
    if (!r.ok) throw new Error('valid');
    expect(pickLanguage(r.definition, 'en-GB')).toBe('en');
    expect(pickLanguage(r.definition, 'IT')).toBe('it');
    expect(pickLanguage(r.definition, 'de')).toBe('it');
    expect(pickLanguage(r.definition, null)).toBe('it');
  });

  it('evaluates follow-up conditions on scores and choices', () => {
    expect(applies({ question: 'q1', max: 6 }, { q1: 6 })).toBe(true);
    expect(applies({ question: 'q1', max: 6 }, { q1: 7 })).toBe(false);
    expect(applies({ question: 'q1', max: 6 }, {})).toBe(false);
    expect(applies({ question: 'q2', anyOf: ['late'] }, { q2: ['price', 'late'] })).toBe(true);
    expect(applies({ question: 'q2', anyOf: ['late'] }, { q2: 'price' })).toBe(false);
    expect(applies(undefined, {})).toBe(true);
  });
});
