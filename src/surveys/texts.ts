/**
 * @module surveys/texts
 * The words Polso itself puts around a survey (buttons, scale ends, the email), in Italian and English.
 * Other survey languages fall back to English for these.
 */

/** Polso's own strings in one language. */
export interface UiTexts {
  submit: string;
  thanks: string;
  saved: string;
  error: string;
  notLikely: string;
  veryLikely: string;
  veryUnsatisfied: string;
  verySatisfied: string;
  veryEasy: string;
  veryDifficult: string;
  faces: readonly string[];
  optional: string;
  emailIntro: string;
  emailOpen: string;
  unsubscribe: string;
  unsubscribeAsk: string;
  unsubscribeDone: string;
  unsubscribeButton: string;
  invalidLink: string;
  close: string;
  reminder: string;
}

const it: UiTexts = {
  submit: 'Invia',
  thanks: 'Grazie per la risposta!',
  saved: 'Risposta salvata',
  error: 'Non è stato possibile salvare. Riprova.',
  notLikely: 'Per nulla probabile',
  veryLikely: 'Estremamente probabile',
  veryUnsatisfied: 'Per nulla soddisfatto',
  verySatisfied: 'Molto soddisfatto',
  veryEasy: 'Molto facile',
  veryDifficult: 'Molto difficile',
  faces: ['Molto insoddisfatto', 'Insoddisfatto', 'Neutrale', 'Soddisfatto', 'Molto soddisfatto'],
  optional: 'facoltativa',
  emailIntro: 'Ci aiuti a migliorare con un clic:',
  emailOpen: 'Apri il sondaggio',
  unsubscribe: 'Non voglio più ricevere sondaggi',
  unsubscribeAsk: 'Vuoi smettere di ricevere i nostri sondaggi?',
  unsubscribeDone: 'Fatto: non riceverai più sondaggi.',
  unsubscribeButton: 'Sì, non inviatemi più sondaggi',
  invalidLink: 'Questo link non è valido o è scaduto.',
  close: 'Chiudi',
  reminder: 'Promemoria',
};

const en: UiTexts = {
  submit: 'Submit',
  thanks: 'Thank you for your answer!',
  saved: 'Answer saved',
  error: 'Could not save. Please try again.',
  notLikely: 'Not at all likely',
  veryLikely: 'Extremely likely',
  veryUnsatisfied: 'Very unsatisfied',
  verySatisfied: 'Very satisfied',
  veryEasy: 'Very easy',
  veryDifficult: 'Very difficult',
  faces: ['Very unsatisfied', 'Unsatisfied', 'Neutral', 'Satisfied', 'Very satisfied'],
  optional: 'optional',
  emailIntro: 'Help us improve with one click:',
  emailOpen: 'Open the survey',
  unsubscribe: 'Stop sending me surveys',
  unsubscribeAsk: 'Do you want to stop receiving our surveys?',
  unsubscribeDone: 'Done: you will not receive surveys any more.',
  unsubscribeButton: 'Yes, stop sending me surveys',
  invalidLink: 'This link is not valid or has expired.',
  close: 'Close',
  reminder: 'Reminder',
};

/** Polso's strings for a language (`it`, else English). */
export function uiTexts(language: string): UiTexts {
  return language.toLowerCase().split('-')[0] === 'it' ? it : en;
}

/** The text of `texts` in `language`, else the first one given. */
export function textIn(texts: Readonly<Record<string, string>>, language: string): string {
  return texts[language] ?? Object.values(texts)[0] ?? '';
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
