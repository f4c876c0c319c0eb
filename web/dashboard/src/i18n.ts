/**
 * @module i18n
 * The dashboard's own words in Italian and English (metric names and definitions come from the
 * catalogue). The language is the browser's unless the URL says otherwise.
 */
import type { Lang } from './format.ts';

const WORDS = {
  overview: { it: 'Panoramica', en: 'Overview' },
  feedback: { it: 'Feedback', en: 'Feedback' },
  service: { it: 'Assistenza', en: 'Service' },
  customers: { it: 'Clienti', en: 'Customers' },
  digital: { it: 'Digitale', en: 'Digital' },
  social: { it: 'Social', en: 'Social' },
  customer360: { it: 'Cliente 360', en: 'Customer 360' },
  signIn: { it: 'Accedi', en: 'Sign in' },
  signOut: { it: 'Esci', en: 'Sign out' },
  email: { it: 'E-mail', en: 'E-mail' },
  password: { it: 'Password', en: 'Password' },
  secretKey: { it: 'Chiave segreta del progetto', en: "Project's secret key" },
  withKey: {
    it: 'Accedi con la chiave segreta (primo avvio)',
    en: 'Sign in with the secret key (first run)',
  },
  withUser: { it: 'Accedi con e-mail e password', en: 'Sign in with e-mail and password' },
  last_month: { it: 'Mese scorso', en: 'Last month' },
  last_3_months: { it: 'Ultimi 3 mesi', en: 'Last 3 months' },
  last_6_months: { it: 'Ultimi 6 mesi', en: 'Last 6 months' },
  last_12_months: { it: 'Ultimi 12 mesi', en: 'Last 12 months' },
  custom: { it: 'Personalizzato', en: 'Custom' },
  from: { it: 'Dal', en: 'From' },
  to: { it: 'Al (escluso)', en: 'To (excluded)' },
  compare: { it: 'Confronto', en: 'Compare with' },
  previous_period: { it: 'Periodo precedente', en: 'Previous period' },
  previous_year: { it: 'Anno precedente', en: 'Previous year' },
  none: { it: 'Nessuno', en: 'None' },
  all: { it: 'Tutti', en: 'All' },
  language: { it: 'Lingua', en: 'Language' },
  filters: { it: 'Filtri', en: 'Filters' },
  loading: { it: 'Caricamento…', en: 'Loading…' },
  notAvailable: { it: 'Non ancora disponibile', en: 'Not available yet' },
  notAvailableLong: {
    it: 'Questa metrica non è ancora calcolata da Polso: comparirà qui quando sarà nel catalogo.',
    en: 'Polso does not compute this metric yet: it will appear here once it is in the catalogue.',
  },
  small: { it: 'Campione piccolo', en: 'Small sample' },
  significant: { it: 'variazione significativa', en: 'significant change' },
  notSignificant: { it: 'variazione non significativa', en: 'change not significant' },
  interval: { it: 'IC 95%', en: '95% CI' },
  exportCsv: { it: 'Esporta CSV', en: 'Export CSV' },
  records: { it: 'Record', en: 'Records' },
  recordsOf: { it: 'Record dietro il valore', en: 'Records behind the value' },
  close: { it: 'Chiudi', en: 'Close' },
  total: { it: 'Totale', en: 'Total' },
  shown: { it: 'mostrati', en: 'shown' },
  search: { it: 'Cerca un cliente (nome, e-mail, id)', en: 'Search a customer (name, e-mail, id)' },
  noResults: { it: 'Nessun risultato', en: 'No results' },
  profile: { it: 'Profilo', en: 'Profile' },
  orders: { it: 'Acquisti', en: 'Purchases' },
  contacts: { it: 'Contatti', en: 'Contacts' },
  answers: { it: 'Risposte ai sondaggi', en: 'Survey answers' },
  timeline: { it: 'Cronologia', en: 'Timeline' },
  subscriptions: { it: 'Abbonamenti', en: 'Subscriptions' },
  comments: { it: 'Commenti', en: 'Comments' },
  commentsOf: { it: 'Commenti più recenti', en: 'Newest comments' },
  filterText: { it: 'Filtra il testo', en: 'Filter the text' },
  noData: { it: 'Nessun dato nel periodo', en: 'No data in the period' },
  error: { it: 'Errore', en: 'Error' },
  drillHint: {
    it: 'Clicca un punto del grafico per vedere i record.',
    en: 'Click a point of the chart to see its records.',
  },
  heatmapHint: {
    it: 'Contatti per ora e giorno della settimana; clicca una casella per vederli.',
    en: 'Contacts by hour and weekday; click a cell to see them.',
  },
  doesNotApply: { it: 'filtro non applicabile', en: 'filter does not apply' },
  definition: { it: 'Definizione', en: 'Definition' },
  formula: { it: 'Formula', en: 'Formula' },
  main: { it: 'Contenuto principale', en: 'Main content' },
  pages: { it: 'Pagine', en: 'Pages' },
  by: { it: 'per', en: 'by' },
  period: { it: 'Periodo', en: 'Period' },
  value: { it: 'Valore', en: 'Value' },
  clv: { it: 'Valore del cliente (CLV)', en: 'Customer lifetime value' },
  health: { it: 'Salute del cliente', en: 'Customer health' },
  models: { it: 'Modelli del cliente', en: 'Customer models' },
  priority: { it: 'Priorità in coda', en: 'Queue priority' },
  pAlive: { it: 'P(attivo)', en: 'P(alive)' },
  expectedPurchases: { it: 'acquisti attesi', en: 'expected purchases' },
  churnRisk: { it: 'Rischio di abbandono', en: 'Churn risk' },
  notFitted: { it: 'Nessuna stima per questo cliente', en: 'No estimate for this customer' },
  notActive: { it: 'Non è un cliente attivo', en: 'Not an active customer' },
  fittedAt: { it: 'Stimato il', en: 'Fitted on' },
  healthParts: { it: 'Componenti della salute', en: 'Health components' },
  healthHistory: { it: 'Salute a fine mese', en: 'Health at month end' },
  component: { it: 'Componente', en: 'Component' },
  weight: { it: 'Peso', en: 'Weight' },
  points: { it: 'Punti', en: 'Points' },
  tier: { it: 'Fascia di valore', en: 'Value tier' },
  risk: { it: 'Rischio', en: 'Risk' },
  platinum: { it: 'platino', en: 'platinum' },
  gold: { it: 'oro', en: 'gold' },
  silver: { it: 'argento', en: 'silver' },
  bronze: { it: 'bronzo', en: 'bronze' },
  high: { it: 'alto', en: 'high' },
  medium: { it: 'medio', en: 'medium' },
  low: { it: 'basso', en: 'low' },
  red: { it: 'rosso', en: 'red' },
  yellow: { it: 'giallo', en: 'yellow' },
  green: { it: 'verde', en: 'green' },
  usage: { it: 'Uso', en: 'Usage' },
  adoption: { it: 'Adozione', en: 'Adoption' },
  support: { it: 'Assistenza', en: 'Support' },
  payment: { it: 'Pagamenti', en: 'Payment' },
  recency: { it: 'Recenza', en: 'Recency' },
} as const;

export type Word = keyof typeof WORDS;

/** The word in the language. */
export function t(word: Word, lang: Lang): string {
  return WORDS[word][lang];
}

/** The browser's language if Polso speaks it, else English. */
export function browserLang(): Lang {
  return navigator.languages.some((l) => l.toLowerCase().startsWith('it')) ? 'it' : 'en';
}
