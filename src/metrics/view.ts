/**
 * @module metrics/view
 * The catalogue as the API publishes it: each metric's names, description, formula, unit, direction,
 * source records and fields, parameters with defaults, and the dimensions it can be read by.
 */
import { METRICS } from './catalogue.ts';
import { DIMENSIONS, dimensionApplies } from './dimensions.ts';

export function catalogueView() {
  return {
    metrics: [...METRICS.values()].map((m) => ({
      id: m.id,
      name: m.name,
      description: m.description,
      formula: m.formula,
      unit: m.unit,
      direction: m.direction,
      statistic: m.measure.type,
      source: m.source,
      fields: m.fields,
      params: m.params,
      dimensions: [...DIMENSIONS.values()].filter((d) => dimensionApplies(d, m)).map((d) => d.id),
      seeds: m.seeds,
    })),
    dimensions: [...DIMENSIONS.values()].map((d) => ({ id: d.id, name: d.name })),
  };
}
