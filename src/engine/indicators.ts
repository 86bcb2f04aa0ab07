/**
 * Indicator series over Float64Array columns. Each returns an array as long as its input with NaN
 * during warm-up (before the first index where the indicator is defined), and reads only values at
 * indices ≤ i to produce index i, so no indicator can look ahead.
 */

/**
 * Simple moving average; first value at index `period − 1`. A running sum keeps it O(n); it is
 * re-summed every `period × 64` bars so rounding cannot drift over millions of bars.
 */
export function sma(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  if (n < period) return out;
  const resumEvery = period * 64;
  let sum = 0;
  for (let i = 0; i < period; i++) sum += values[i];
  out[period - 1] = sum / period;
  for (let i = period; i < n; i++) {
    if (i % resumEvery === 0) {
      sum = 0;
      for (let j = i - period + 1; j <= i; j++) sum += values[j];
    } else {
      sum += values[i] - values[i - period];
    }
    out[i] = sum / period;
  }
  return out;
}

/**
 * Exponential moving average with α = 2 / (period + 1), seeded with the SMA of the first `period`
 * values (TA-Lib's convention); first value at index `period − 1`.
 */
export function ema(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  if (n < period) return out;
  const alpha = 2 / (period + 1);
  let sum = 0;
  for (let i = 0; i < period; i++) sum += values[i];
  let value = sum / period;
  out[period - 1] = value;
  for (let i = period; i < n; i++) {
    value += alpha * (values[i] - value);
    out[i] = value;
  }
  return out;
}

/**
 * Wilder's average true range. True range: max(high − low, |high − previous close|,
 * |low − previous close|), and plain high − low at index 0 (there is no previous close). The first
 * ATR, at index `period − 1`, is the mean of the first `period` true ranges; then
 * ATR_i = (ATR_{i−1} × (period − 1) + TR_i) / period.
 * @see J. Welles Wilder, New Concepts in Technical Trading Systems (1978)
 */
export function wilderAtr(high: Float64Array, low: Float64Array, close: Float64Array, period: number): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(NaN);
  if (n < period) return out;
  let sum = 0;
  let atr = 0;
  for (let i = 0; i < n; i++) {
    const range = high[i] - low[i];
    const tr = i === 0 ? range : Math.max(range, Math.abs(high[i] - close[i - 1]), Math.abs(low[i] - close[i - 1]));
    if (i < period) {
      sum += tr;
      if (i === period - 1) out[i] = atr = sum / period;
    } else {
      atr = (atr * (period - 1) + tr) / period;
      out[i] = atr;
    }
  }
  return out;
}

/**
 * Wilder's RSI on closes. Changes start at index 1; the first averages (index `period`) are the
 * plain means of the first `period` gains and losses, then Wilder smoothing. RSI = 100 − 100 / (1 +
 * avgGain / avgLoss); 100 when there is no loss, 50 when the price did not move at all.
 * @see https://school.stockcharts.com/doku.php?id=technical_indicators:relative_strength_index_rsi
 */
export function wilderRsi(close: Float64Array, period: number): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(NaN);
  if (n <= period) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const change = close[i] - close[i - 1];
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  out[period] = rsiOf(gain, loss);
  for (let i = period + 1; i < n; i++) {
    const change = close[i] - close[i - 1];
    gain = (gain * (period - 1) + (change > 0 ? change : 0)) / period;
    loss = (loss * (period - 1) + (change < 0 ? -change : 0)) / period;
    out[i] = rsiOf(gain, loss);
  }
  return out;
}

function rsiOf(gain: number, loss: number): number {
  if (loss === 0) return gain === 0 ? 50 : 100;
  return 100 - 100 / (1 + gain / loss);
}

/**
 * Highest value of the `period` bars *before* i (i − period … i − 1), so a close can be compared
 * with the channel it breaks out of; first value at index `period`. Monotonic deque: O(n).
 */
export function priorHighest(values: Float64Array, period: number): Float64Array {
  return priorExtreme(values, period, 1);
}

/** Lowest value of the `period` bars before i; see priorHighest. */
export function priorLowest(values: Float64Array, period: number): Float64Array {
  return priorExtreme(values, period, -1);
}

function priorExtreme(values: Float64Array, period: number, sign: 1 | -1): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    // The deque holds indices of i − period … i − 1 whose values decrease (times sign).
    if (i >= period) {
      while (head < tail && deque[head] < i - period) head++;
      out[i] = values[deque[head]];
    }
    while (head < tail && sign * values[deque[tail - 1]] <= sign * values[i]) tail--;
    deque[tail++] = i;
  }
  return out;
}

/**
 * Population standard deviation over the last `period` values (Bollinger's convention, divisor
 * `period`), around the given SMA; first value at index `period − 1`. Summing squared deviations
 * per window (O(n × period)) avoids the cancellation of the sum-of-squares shortcut.
 */
export function rollingStd(values: Float64Array, mean: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = period - 1; i < n; i++) {
    const m = mean[i];
    let sq = 0;
    for (let j = i - period + 1; j <= i; j++) sq += (values[j] - m) * (values[j] - m);
    out[i] = Math.sqrt(sq / period);
  }
  return out;
}
