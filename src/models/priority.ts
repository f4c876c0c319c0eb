/**
 * @module models/priority
 * Contact-centre routing priority from precomputed customer scores: the customer's CLV tier (by
 * percentile within the project) sets the base priority, and a high churn risk moves a valuable customer
 * (or a red health score) up one step, so the customers worth most and most likely to leave are answered first. Pure: the scores
 * come from the store, the rule lives here, and the answer always says why.
 */

/** The scores the rule reads (any may be missing). */
export interface PriorityInput {
  /** Share of the project's customers with a lower predicted CLV, 0–100. */
  clvPercentile?: number | null;
  clv?: number | null;
  churnRisk?: number | null;
  /** P(alive) of the purchase model: used as 1 − risk when no churn-risk model was fitted. */
  pAlive?: number | null;
  /** Health score, 0–100: red (< 50) counts as at risk. */
  healthScore?: number | null;
}

export type Tier = 'platinum' | 'gold' | 'silver' | 'bronze';
export type Risk = 'high' | 'medium' | 'low';
export type HealthBand = 'red' | 'yellow' | 'green';

/** The health score's band: red < 50, yellow 50–75, green > 75 (as the `health_score` metric counts them). */
export function healthBand(score: number): HealthBand {
  return score < 50 ? 'red' : score <= 75 ? 'yellow' : 'green';
}

/** A routing decision: 1 is the most urgent queue, 4 the least. */
export interface Priority {
  priority: 1 | 2 | 3 | 4;
  tier: Tier | null;
  risk: Risk | null;
  health: HealthBand | null;
  reasons: string[];
}

const TIERS: readonly [Tier, number, 1 | 2 | 3 | 4, string][] = [
  ['platinum', 90, 1, 'top 10%'],
  ['gold', 70, 2, 'top 30%'],
  ['silver', 40, 3, 'top 60%'],
  ['bronze', 0, 4, 'bottom 40%'],
];

/**
 * Decides the routing priority.
 *
 * @example routingPriority({ clvPercentile: 95, churnRisk: 0.1 }).priority // 1
 */
export function routingPriority(input: PriorityInput): Priority {
  const reasons: string[] = [];
  let tier: Tier | null = null;
  let priority: 1 | 2 | 3 | 4 = 3;
  if (typeof input.clvPercentile === 'number') {
    const [name, , base, label] = TIERS.find(([, min]) => input.clvPercentile! >= min)!;
    tier = name;
    priority = base;
    const value = typeof input.clv === 'number' ? ` (predicted value ${input.clv.toFixed(2)})` : '';
    reasons.push(`CLV in the ${label} of customers${value}: ${name}`);
  } else reasons.push('no CLV prediction: default priority');
  const riskValue =
    typeof input.churnRisk === 'number'
      ? input.churnRisk
      : typeof input.pAlive === 'number'
        ? 1 - input.pAlive
        : null;
  let risk: Risk | null = null;
  if (riskValue !== null) {
    risk = riskValue >= 0.5 ? 'high' : riskValue >= 0.25 ? 'medium' : 'low';
    const source = typeof input.churnRisk === 'number' ? 'churn risk' : 'chance of having lapsed';
    reasons.push(`${source} ${risk} (${riskValue.toFixed(2)})`);
  }
  let health: HealthBand | null = null;
  if (typeof input.healthScore === 'number') {
    health = healthBand(input.healthScore);
    reasons.push(`health ${health} (${input.healthScore.toFixed(0)})`);
  }
  if ((risk === 'high' || health === 'red') && tier !== 'bronze' && priority > 1) {
    priority = (priority - 1) as 1 | 2 | 3;
    reasons.push('raised one step: a valuable customer at risk');
  }
  return { priority, tier, risk, health, reasons };
}
