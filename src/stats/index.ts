export * from './schemas.js';
export { deflatedSharpe, expectedMaxSharpe, psrStatistic, EULER_GAMMA } from './dsr.js';
export { BlockMatrix, Cscv, cscv, binomial, combinationMasks, DEFAULT_BUDGET, MIN_SAMPLED, DEFAULT_SEED } from './pbo.js';
export { neighbourhood } from './neighbourhood.js';
export { tradeMonteCarlo, compound, DEFAULT_PATHS, DEFAULT_MC_SEED } from './monte-carlo.js';
export { normalCdf, normalQuantile } from './normal.js';
export { sharpeFromSums, barReturns, blocksSharpe } from './sharpe.js';
export { pboReading, dsrReading, neighbourhoodReading, monteCarloReading, NOTHING_TRADED } from './readings.js';
