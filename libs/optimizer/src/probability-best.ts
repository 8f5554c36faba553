import { BetaParams, betaMean, betaQuantile } from './beta';
import { OptimizerError } from './errors';
import { logBeta, regularizedIncompleteBetaFromFront } from './special-functions';

/**
 * P(best), expected loss and chance to beat a control for independent Beta posteriors, by deterministic
 * quadrature on one grid shared by every arm.
 *
 * The integrals ∫ f_k(x) Π_{j≠k} F_j(x) dx (P(best)) and ∫ f_k(x) F_control(x) dx (chance to beat) are
 * taken in logit space, t = ln(x / (1 − x)), where every Beta density becomes smooth, log-concave and
 * exponentially tailed (no singularity at 0 or 1 even when alpha < 1). Outside its [TAIL, 1 − TAIL]
 * quantiles an arm's density is taken as 0 and its CDF as 0 or 1, which moves any result by at most
 * TAIL per arm.
 *
 * The t axis is walked in 16-point Gauss–Legendre pieces no wider than two scales (in t) of the
 * narrowest arm whose support meets the piece. Such a piece resolves every density and CDF in it to
 * ~1e-11, and the node count stays near the width of the range measured in the narrowest arm's scales
 * (tens of pieces) whatever the arm count, so the work grows linearly with the arms: a few
 * milliseconds for 50 arms of 10,000 trials, tens of milliseconds for 1,000.
 */

// Module bindings for the quadrature loops (see special-functions.ts).
const { abs, cos, exp, log, log1p, max, min, sqrt } = Math;

const TAIL = 1e-10;
/** Standard normal CDF at ±1: the quantiles whose spacing gives an arm's scale in t. */
const MINUS_ONE_SIGMA = 0.15865525393145707;
const PLUS_ONE_SIGMA = 0.8413447460685429;
const NODES_PER_PIECE = 16;
/** Widest piece, in scales of the narrowest live arm (2 keeps results within ~1e-10 of a far finer grid). */
const STEP = 2;
/** logit(1 − 2⁻⁵³) ≈ 36.7: beyond it 1 − x is no longer representable next to x. */
const MAX_LOGIT = 36.7;
const MIN_LOGIT = -700;

function gaussLegendre(order: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(order);
  const weights = new Float64Array(order);
  for (let i = 0; i < order; i++) {
    let z = cos((Math.PI * (i + 0.75)) / (order + 0.5));
    let derivative = 1;
    for (let iteration = 0; iteration < 100; iteration++) {
      let p0 = 1;
      let p1 = 0;
      for (let j = 1; j <= order; j++) {
        const p2 = p1;
        p1 = p0;
        p0 = ((2 * j - 1) * z * p1 - (j - 1) * p2) / j;
      }
      derivative = (order * (z * p0 - p1)) / (z * z - 1);
      const previous = z;
      z = previous - p0 / derivative;
      if (abs(z - previous) < 1e-15) break;
    }
    nodes[i] = z;
    weights[i] = 2 / ((1 - z * z) * derivative * derivative);
  }
  return { nodes, weights };
}

const RULE = gaussLegendre(NODES_PER_PIECE);

function logit(x: number): number {
  if (x <= 0) return MIN_LOGIT;
  if (x >= 1) return MAX_LOGIT;
  return min(MAX_LOGIT, max(MIN_LOGIT, log(x) - log1p(-x)));
}

function logistic(t: number): number {
  return 1 / (1 + exp(-t));
}

function validate(arms: readonly BetaParams[]): void {
  for (const { alpha, beta } of arms) {
    if (!(alpha > 0 && beta > 0 && Number.isFinite(alpha) && Number.isFinite(beta))) {
      throw new OptimizerError(
        'invalid_parameters',
        `Beta parameters must be positive and finite (got alpha=${alpha}, beta=${beta})`,
      );
    }
  }
}

/** One arm on the logit axis: where its mass lies and how finely it must be sampled. */
interface ArmSupport {
  alpha: number;
  beta: number;
  logNorm: number;
  lower: number;
  upper: number;
  scale: number;
}

function supportOf(arm: BetaParams): ArmSupport {
  const lower = logit(betaQuantile(TAIL, arm));
  const upper = logit(betaQuantile(1 - TAIL, arm));
  const spread = logit(betaQuantile(PLUS_ONE_SIGMA, arm)) - logit(betaQuantile(MINUS_ONE_SIGMA, arm));
  // The log-density in t has second derivative −(alpha + beta)·x(1 − x); where it bends hardest on the
  // support sets the finest detail, which for a skewed arm is finer than its central spread.
  const sharpest = min(max(0.5, logistic(lower)), logistic(upper));
  const curvature = (arm.alpha + arm.beta) * sharpest * (1 - sharpest);
  // A spike too narrow to separate its quantiles in doubles still needs a positive step.
  const scale = max(min(spread / 2, 1 / sqrt(curvature)), 1e-9 * (1 + abs(lower)));
  return { alpha: arm.alpha, beta: arm.beta, logNorm: logBeta(arm.alpha, arm.beta), lower, upper, scale };
}

/** Quadrature nodes in t with their weights, and x and 1 − x at each (both from t, without cancellation). */
interface Grid {
  t: Float64Array;
  weight: Float64Array;
  x: Float64Array;
  y: Float64Array;
  logX: Float64Array;
  logY: Float64Array;
}

/**
 * A composite Gauss–Legendre rule on [start, end]. A piece is never wider than STEP scales of any arm
 * whose support meets it, and ends where a narrower arm's support begins, so a spike starting
 * mid-range is never stepped over.
 */
function gridOver(arms: readonly ArmSupport[], start: number, end: number): Grid {
  const pieces: number[] = [start];
  for (let from = start; from < end;) {
    let to = end;
    for (const arm of arms) {
      if (arm.upper <= from) continue;
      const limit = from + STEP * arm.scale;
      const next = arm.lower <= from ? limit : max(arm.lower, limit);
      if (next < to) to = next;
    }
    pieces.push(to);
    from = to;
  }

  const count = (pieces.length - 1) * NODES_PER_PIECE;
  const grid: Grid = {
    t: new Float64Array(count),
    weight: new Float64Array(count),
    x: new Float64Array(count),
    y: new Float64Array(count),
    logX: new Float64Array(count),
    logY: new Float64Array(count),
  };
  for (let piece = 0; piece + 1 < pieces.length; piece++) {
    const half = 0.5 * (pieces[piece + 1] - pieces[piece]);
    const middle = 0.5 * (pieces[piece + 1] + pieces[piece]);
    for (let i = 0; i < NODES_PER_PIECE; i++) {
      const node = piece * NODES_PER_PIECE + i;
      const t = middle + half * RULE.nodes[i];
      const softplus = t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
      grid.t[node] = t;
      grid.weight[node] = half * RULE.weights[i];
      grid.logX[node] = t - softplus;
      grid.logY[node] = -softplus;
      grid.x[node] = exp(t - softplus);
      grid.y[node] = exp(-softplus);
    }
  }
  return grid;
}

/** Density in t (the Jacobian x(1 − x) included) of one arm at a node; 0 outside its support. */
function densityAt(arm: ArmSupport, grid: Grid, node: number): number {
  const t = grid.t[node];
  if (t < arm.lower || t > arm.upper) return 0;
  return exp(arm.alpha * grid.logX[node] + arm.beta * grid.logY[node] - arm.logNorm);
}

/** CDF of one arm at a node, given its density there (the incomplete beta's front factor). */
function cdfAt(arm: ArmSupport, grid: Grid, node: number, density: number): number {
  const t = grid.t[node];
  if (t < arm.lower) return 0;
  if (t > arm.upper) return 1;
  return regularizedIncompleteBetaFromFront(grid.x[node], arm.alpha, arm.beta, grid.y[node], density);
}

export interface ArmComparison {
  /** P(arm k has the highest rate); sums to 1 over the arms. */
  probabilityBest: number[];
  /** E[max_j θ_j − θ_k]: the rate given up, on average, by committing to arm k. */
  expectedLoss: number[];
}

/** P(best) and expected loss for every arm from one quadrature grid. */
export function compareArms(arms: readonly BetaParams[]): ArmComparison {
  validate(arms);
  const count = arms.length;
  if (count === 0) return { probabilityBest: [], expectedLoss: [] };
  if (count === 1) return { probabilityBest: [1], expectedLoss: [0] };

  const supports = arms.map(supportOf);
  // Below the highest lower cut some arm's CDF is ~0, so no arm can be best there; above the highest
  // upper cut every density is ~0.
  const start = max(...supports.map((arm) => arm.lower));
  const end = max(...supports.map((arm) => arm.upper));
  const grid = gridOver(supports, start, end);
  const probabilityBest = new Array<number>(count).fill(0);
  const density = new Float64Array(count);
  const cdf = new Float64Array(count);
  const prefix = new Float64Array(count + 1);
  let expectedMax = 0;
  for (let node = 0; node < grid.t.length; node++) {
    prefix[0] = 1;
    for (let k = 0; k < count; k++) {
      density[k] = densityAt(supports[k], grid, node);
      cdf[k] = cdfAt(supports[k], grid, node, density[k]);
      prefix[k + 1] = prefix[k] * cdf[k];
    }
    let suffix = 1;
    for (let k = count - 1; k >= 0; k--) {
      const others = prefix[k] * suffix;
      suffix *= cdf[k];
      const contribution = grid.weight[node] * density[k] * others;
      probabilityBest[k] += contribution;
      expectedMax += contribution * grid.x[node];
    }
  }
  const expectedLoss = arms.map((arm) => max(0, expectedMax - betaMean(arm)));
  return { probabilityBest, expectedLoss };
}

/** P(best) per arm: P(θ_k > θ_j for every j ≠ k) for independent θ_k ~ Beta(alpha_k, beta_k). */
export function probabilityBest(arms: readonly BetaParams[]): number[] {
  return compareArms(arms).probabilityBest;
}

/** Expected loss per arm: E[max_j θ_j − θ_k]. */
export function expectedLoss(arms: readonly BetaParams[]): number[] {
  return compareArms(arms).expectedLoss;
}

/** P(θ_k > θ_control) for every arm k, by quadrature on one grid: ∫ f_k F_control. */
export function chancesToBeat(arms: readonly BetaParams[], control: BetaParams): number[] {
  validate([...arms, control]);
  if (arms.length === 0) return [];
  const supports = arms.map(supportOf);
  const reference = supportOf(control);
  // Below the control's lower cut its CDF is ~0; above an arm's upper cut its density is ~0.
  const start = max(reference.lower, min(...supports.map((arm) => arm.lower)));
  const end = max(...supports.map((arm) => arm.upper));
  const chances = new Array<number>(arms.length).fill(0);
  if (!(end > start)) return chances;
  const grid = gridOver([...supports, reference], start, end);
  for (let node = 0; node < grid.t.length; node++) {
    const below = cdfAt(reference, grid, node, densityAt(reference, grid, node));
    if (below === 0) continue;
    for (let k = 0; k < supports.length; k++) {
      chances[k] += grid.weight[node] * densityAt(supports[k], grid, node) * below;
    }
  }
  return chances.map((chance) => min(1, max(0, chance)));
}

/** Above this many terms the closed form is slower than the quadrature (about 0.1 ms for two arms). */
const MAX_CLOSED_FORM_TERMS = 500;

/**
 * P(θ_B > θ_A) for θ_A ~ Beta(a_A, b_A) and θ_B ~ Beta(a_B, b_B) with a_B a positive integer
 * (Evan Miller, "Formulas for Bayesian A/B testing"):
 *   Σ_{i=0}^{a_B−1} B(a_A + i, b_A + b_B) / ((b_B + i) B(1 + i, b_B) B(a_A, b_A)).
 */
export function chanceToBeatClosedForm(arm: BetaParams, control: BetaParams): number {
  if (!Number.isInteger(arm.alpha) || arm.alpha < 1) {
    throw new OptimizerError(
      'invalid_parameters',
      `the closed form needs a positive integer alpha for the arm (got ${arm.alpha})`,
    );
  }
  const base = logBeta(control.alpha, control.beta);
  let total = 0;
  for (let i = 0; i < arm.alpha; i++) {
    total += exp(
      logBeta(control.alpha + i, control.beta + arm.beta) -
        log(arm.beta + i) -
        logBeta(1 + i, arm.beta) -
        base,
    );
  }
  return min(1, max(0, total));
}

/**
 * P(arm's rate > control's rate). Uses the closed form when one side has a small integer alpha
 * (P(B > A) = 1 − P(A > B), ties having probability 0), the quadrature otherwise.
 */
export function chanceToBeatControl(arm: BetaParams, control: BetaParams): number {
  validate([arm, control]);
  const armTerms = Number.isInteger(arm.alpha) ? arm.alpha : Infinity;
  const controlTerms = Number.isInteger(control.alpha) ? control.alpha : Infinity;
  if (min(armTerms, controlTerms) <= MAX_CLOSED_FORM_TERMS) {
    return armTerms <= controlTerms
      ? chanceToBeatClosedForm(arm, control)
      : 1 - chanceToBeatClosedForm(control, arm);
  }
  return chancesToBeat([arm], control)[0];
}
