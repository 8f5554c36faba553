import {
  chiSquareSurvival,
  logBeta,
  logGamma,
  regularizedGammaP,
  regularizedGammaQ,
  regularizedIncompleteBeta,
} from './special-functions';

// Expected values from SciPy 1.17 (scipy.special.gammaln, betainc, gammaincc; scipy.stats.chi2.sf).
const relativeError = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe('logGamma', () => {
  it.each([
    [0.5, 0.5723649429247004],
    [1e-5, 11.512919692895824],
    [3.7, 1.4280723266653883],
    [100, 359.1342053695754],
    [50_000.5, 490989.83315821405],
  ])('ln Γ(%d) = %d', (x, expected) => {
    expect(relativeError(logGamma(x), expected)).toBeLessThan(1e-13);
  });

  it('is 0 at 1 and 2 and satisfies ln Γ(x + 1) = ln Γ(x) + ln x', () => {
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-13);
    expect(Math.abs(logGamma(2))).toBeLessThan(1e-13);
    for (const x of [0.01, 0.7, 9.5, 10, 123.4]) {
      expect(logGamma(x + 1) - logGamma(x)).toBeCloseTo(Math.log(x), 12);
    }
  });

  it('gives B(2, 3) = 1/12', () => {
    expect(Math.exp(logBeta(2, 3))).toBeCloseTo(1 / 12, 14);
  });
});

describe('regularizedIncompleteBeta', () => {
  it.each([
    [0.004, 6, 996, 0.21518230375430583],
    [0.0205, 1001, 49001, 0.7798961583283559],
    [1e-6, 0.3, 40, 0.053266224319956784],
    [0.9, 2.5, 3.5, 0.9978262271572729],
  ])('I_%d(%d, %d) = %d', (x, a, b, expected) => {
    expect(relativeError(regularizedIncompleteBeta(x, a, b), expected)).toBeLessThan(1e-9);
  });

  it('matches the closed forms I_x(1, b) = 1 − (1 − x)^b, I_x(a, 1) = x^a and I_½(a, a) = ½', () => {
    expect(regularizedIncompleteBeta(0.003, 1, 1001)).toBeCloseTo(1 - Math.pow(0.997, 1001), 12);
    expect(regularizedIncompleteBeta(0.4, 7, 1)).toBeCloseTo(Math.pow(0.4, 7), 14);
    expect(regularizedIncompleteBeta(0.5, 321.5, 321.5)).toBeCloseTo(0.5, 12);
    expect(regularizedIncompleteBeta(0, 2, 2)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 2)).toBe(1);
  });
});

describe('incomplete gamma and chi-square', () => {
  it('matches known values of P and Q', () => {
    expect(relativeError(regularizedGammaQ(3.5, 2), 0.779777408475716)).toBeLessThan(1e-12);
    expect(relativeError(regularizedGammaP(0.5, 0.01), 0.11246291601828491)).toBeLessThan(1e-12);
    expect(regularizedGammaP(1, 2.5)).toBeCloseTo(1 - Math.exp(-2.5), 14);
  });

  it('gives the textbook critical values: χ²(1) = 10.83 at p ≈ 0.001, χ²(3) = 7.81 at p ≈ 0.05', () => {
    expect(relativeError(chiSquareSurvival(10.83, 1), 0.0009986863791802592)).toBeLessThan(1e-10);
    expect(relativeError(chiSquareSurvival(7.81, 3), 0.05010605635000589)).toBeLessThan(1e-10);
    expect(relativeError(chiSquareSurvival(120, 99), 0.07424385580596692)).toBeLessThan(1e-10);
    expect(relativeError(chiSquareSurvival(30, 4), 4.894437128029217e-6)).toBeLessThan(1e-10);
    // Two degrees of freedom: the survival function is exactly e^(−x/2).
    expect(chiSquareSurvival(9.21, 2)).toBeCloseTo(Math.exp(-9.21 / 2), 14);
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });
});
