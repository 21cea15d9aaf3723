/**
 * P(X ≤ k) for X ~ Poisson(mean): the chance of seeing at most `k` loans and returns when `mean`
 * were expected. Summed term by term (k stays small here: a handful of recent transactions).
 */
export function poissonCdf(k: number, mean: number): number {
  if (k < 0) return 0;
  if (!(mean > 0)) return 1;
  let term = Math.exp(-mean);
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term *= mean / i;
    sum += term;
  }
  return Math.min(1, sum);
}

/** 1.645: the one-sided 95 % point of the normal distribution, for 90 % two-sided intervals. */
export const Z_90 = 1.645;
