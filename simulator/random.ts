/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32: a tiny, fast, seeded 32-bit PRNG; good enough for simulation, not for secrets. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 32-bit seed derived from a base seed and a name (FNV-1a), so each machine gets its own stream. */
export function deriveSeed(baseSeed: number, name: string): number {
  let hash = (0x811c9dc5 ^ baseSeed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

// Knuth's product method is exact but costs O(mean) and underflows e^-mean for large means:
// large means are split into chunks, the sum of independent Poisson draws being Poisson.
const POISSON_CHUNK_MEAN = 30;

function samplePoissonSmall(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let count = 0;
  let product = rng();
  while (product > limit) {
    count++;
    product *= rng();
  }
  return count;
}

/** A draw from a Poisson distribution with the given mean (0 for a mean ≤ 0). */
export function samplePoisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  let remaining = mean;
  let count = 0;
  while (remaining > POISSON_CHUNK_MEAN) {
    count += samplePoissonSmall(rng, POISSON_CHUNK_MEAN);
    remaining -= POISSON_CHUNK_MEAN;
  }
  return count + samplePoissonSmall(rng, remaining);
}

/** A uniform integer in [minInclusive, maxExclusive). */
export function randomInt(rng: Rng, minInclusive: number, maxExclusive: number): number {
  return minInclusive + Math.floor(rng() * (maxExclusive - minInclusive));
}
