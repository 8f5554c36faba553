/**
 * Special functions behind the Beta and chi-square maths: log-gamma, the regularized incomplete
 * beta function and the regularized incomplete gamma functions. Double precision throughout;
 * the continued fractions follow the modified Lentz method.
 */

// Module bindings for the tight loops below: in a vm context (as under Jest) every global `Math.x`
// lookup is slow enough to dominate them.
const { abs, exp, log } = Math;
const HALF_LOG_TWO_PI = 0.5 * log(2 * Math.PI);
const TINY = 1e-300;
const EPSILON = 1e-15;
const MAX_ITERATIONS = 100_000;

/** ln Γ(x) for x > 0: Stirling's series above 10, shifted down by the recurrence below it. */
export function logGamma(x: number): number {
  if (!(x > 0)) {
    if (x === 0) return Infinity;
    return NaN;
  }
  let shift = 0;
  let z = x;
  // Γ(z) = Γ(z + n) / (z (z + 1) … (z + n − 1)); the product is taken in one log to keep it cheap.
  if (z < 10) {
    let product = 1;
    while (z < 10) {
      product *= z;
      z += 1;
    }
    shift = log(product);
  }
  const inverse = 1 / z;
  const inverseSquared = inverse * inverse;
  const series =
    inverse *
    (1 / 12 -
      inverseSquared *
        (1 / 360 - inverseSquared * (1 / 1260 - inverseSquared * (1 / 1680 - inverseSquared / 1188))));
  return (z - 0.5) * log(z) - z + HALF_LOG_TWO_PI + series - shift;
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Continued fraction for I_x(a, b) (Numerical Recipes' betacf); converges fast for x < (a + 1) / (a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (abs(delta - 1) < EPSILON) return h;
  }
  return h;
}

/**
 * Regularized incomplete beta I_x(a, b), the CDF of Beta(a, b) at x. Pass `y = 1 − x` when it is known
 * more precisely than `1 - x` (for x close to 1).
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number, y: number = 1 - x): number {
  if (!(a > 0) || !(b > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  return regularizedIncompleteBetaFromFront(x, a, b, y, exp(a * log(x) + b * log(y) - logBeta(a, b)));
}

/**
 * I_x(a, b) given its front factor x^a (1 − x)^b / B(a, b) (which is also the density of
 * ln(x / (1 − x)) under Beta(a, b)), for callers that evaluate it at many x and have the factor at hand.
 * Expects 0 < x < 1 and y = 1 − x.
 */
export function regularizedIncompleteBetaFromFront(
  x: number,
  a: number,
  b: number,
  y: number,
  front: number,
): number {
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(y, b, a)) / b;
}

/** Series for P(a, x), good for x < a + 1. */
function gammaSeries(a: number, x: number): number {
  let sum = 1 / a;
  let term = sum;
  let ap = a;
  for (let n = 1; n <= MAX_ITERATIONS; n++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (abs(term) < abs(sum) * EPSILON) break;
  }
  return sum * exp(-x + a * log(x) - logGamma(a));
}

/** Continued fraction for Q(a, x), good for x ≥ a + 1. */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (abs(delta - 1) < EPSILON) break;
  }
  return exp(-x + a * log(x) - logGamma(a)) * h;
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a). */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), computed directly so small tails keep their digits. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

/** P(X ≥ statistic) for X ~ χ²(degreesOfFreedom). */
export function chiSquareSurvival(statistic: number, degreesOfFreedom: number): number {
  if (!(degreesOfFreedom > 0)) return NaN;
  return regularizedGammaQ(degreesOfFreedom / 2, statistic / 2);
}
