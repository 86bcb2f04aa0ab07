/* Small types every layer shares. */

/** One value of a parameter axis. */
export type AxisValue = number | string | boolean;
/** Parameter name → value: one point of a grid, or the params a walk-forward window chose. */
export type Combo = Record<string, AxisValue>;
