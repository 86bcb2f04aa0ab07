/**
 * Rate of change in percent: 100 × (value[i] / value[i − period] − 1), NaN for the first `period`
 * bars (there is no value `period` bars back yet). It reads indices ≤ i only.
 */
export function rateOfChange(values: Float64Array, period: number): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  for (let i = period; i < values.length; i++) out[i] = 100 * (values[i] / values[i - period] - 1);
  return out;
}
