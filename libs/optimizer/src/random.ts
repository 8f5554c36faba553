/**
 * Seeded randomness for simulations and tests: xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32, normals by Marsaglia's polar method, gammas by Marsaglia–Tsang (2000) and Betas as
 * a ratio of gammas. Not for anything security-related.
 */

import { OptimizerError } from './errors';

const TWO_TO_MINUS_32 = 2.3283064365386963e-10;
// Local bindings: a global `Math.x` lookup is slow inside vm contexts (Jest), and these run in the
// innermost loop of every simulation.
const { floor, imul, log, pow, sqrt } = Math;

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = imul(z ^ (z >>> 16), 0x85ebca6b);
    z = imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal = 0;
  private hasSpareNormal = false;

  constructor(seed: number) {
    const next = splitmix32(seed);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const product = imul(s1, 5);
    const result = imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform on the open interval (0, 1), so its logarithm is always finite. */
  next(): number {
    return (this.nextUint32() + 0.5) * TWO_TO_MINUS_32;
  }

  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number {
    return floor(this.next() * bound);
  }

  /** A standard normal draw. */
  nextNormal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1);
    const scale = sqrt((-2 * log(s)) / s);
    this.spareNormal = v * scale;
    this.hasSpareNormal = true;
    return u * scale;
  }
}

/**
 * Marsaglia–Tsang for Gamma(shape ≥ 1) given d = shape − 1/3 and c = 1 / √(9d); split out so a hot
 * loop can keep d and c per arm instead of taking a square root per draw.
 */
export function sampleGammaPrepared(random: SeededRandom, d: number, c: number): number {
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = random.nextNormal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random.next();
    const xSquared = x * x;
    if (u < 1 - 0.0331 * xSquared * xSquared) return d * v;
    if (log(u) < 0.5 * xSquared + d * (1 - v + log(v))) return d * v;
  }
}

/** A Gamma(shape, 1) draw; shapes below 1 use Gamma(shape + 1) · U^(1/shape). */
export function sampleGamma(random: SeededRandom, shape: number): number {
  if (!(shape > 0))
    throw new OptimizerError('invalid_parameters', `gamma shape must be positive (got ${shape})`);
  if (shape < 1) {
    return sampleGamma(random, shape + 1) * pow(random.next(), 1 / shape);
  }
  const d = shape - 1 / 3;
  return sampleGammaPrepared(random, d, 1 / sqrt(9 * d));
}

/** A Beta(alpha, beta) draw as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). */
export function sampleBeta(random: SeededRandom, alpha: number, beta: number): number {
  const x = sampleGamma(random, alpha);
  const y = sampleGamma(random, beta);
  const total = x + y;
  // Both gammas can underflow to 0 when the shapes are tiny; the mass then sits at the ends.
  if (total === 0) return random.next() < alpha / (alpha + beta) ? 1 : 0;
  return x / total;
}
