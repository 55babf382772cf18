import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_ORDERS,
  PrivacyLedger,
  calibrateSigma,
  composePld,
  deltaGaussianExact,
  deltaPld,
  epsilonGaussianExact,
  epsilonPld,
  epsilonRdp,
  erfc,
  logErfc,
  rdpCurve,
  rdpOfZcdp,
  rdpSubsampledGaussian,
  rdpSubsampledGaussianQuadrature,
  rdpToEpsilon,
  zcdpDelta,
  zcdpRho,
  zcdpToEpsilon,
  type GaussianEvent,
} from '../../src/core/privacy/accountant';

function assertRel(actual: number, expected: number, rtol: number, what = ''): void {
  const rel = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(rel <= rtol, `${what} expected ${expected}, got ${actual} (relative error ${rel.toExponential(2)} > ${rtol})`);
}

function assertAbs(actual: number, expected: number, atol: number, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= atol,
    `${what} expected ${expected} ± ${atol}, got ${actual} (diff ${(actual - expected).toExponential(3)})`,
  );
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

// ---------------------------------------------------------------------------------------------
// Special functions

test('erfc / logErfc agree with reference values, including deep tails', () => {
  const cases: [number, number][] = [
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.157299207050285],
    [2, 0.004677734981047266],
    [3, 2.209049699858544e-5],
    [5, 1.537459794428035e-12],
    [-1, 1.842700792949715],
  ];
  for (const [x, v] of cases) assertRel(erfc(x), v, 1e-13, `erfc(${x})`);
  // continuity across the series / continued-fraction switch at x = 2
  assertRel(erfc(2 - 1e-12), erfc(2 + 1e-12), 1e-10);
  // asymptotic: log erfc(x) ≈ −x² − log(x√π) + log(1 − 1/(2x²) + 3/(4x⁴))
  const x = 30;
  const asym = -x * x - Math.log(x * Math.sqrt(Math.PI)) + Math.log(1 - 1 / (2 * x * x) + 3 / (4 * x ** 4));
  assertAbs(logErfc(x), asym, 1e-8, 'logErfc(30)');
});

// ---------------------------------------------------------------------------------------------
// RDP

test('single-step RDP matches §3.4 reference values (q = 0.01, σ = 1)', () => {
  const ref: [number, number][] = [
    [1.5, 1.272537435115e-4],
    [2, 1.718134220745e-4],
    [3, 2.646375745847e-4],
    [4, 3.631540489108e-4],
    [5, 4.686672421692e-4],
    [8, 8.93643907606e-4],
    [16, 3.087850783696],
    [32, 1.124627593705e1],
    [63, 2.682055287553e1],
  ];
  for (const [order, v] of ref) assertRel(rdpSubsampledGaussian(0.01, 1, order), v, 1e-6, `order ${order}`);
});

test('dp_accounting test_compute_rdp_poisson_sampled_gaussian (q = 0.01, σ = 2.5, 50 steps)', () => {
  const orders = [1.5, 2.5, 5, 50, 100];
  const expected = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
  // dp_accounting sums |terms| of the fractional-order series (a conservative bound): reproduced
  // by series: 'absolute'.
  orders.forEach((order, i) => {
    const v = 50 * rdpSubsampledGaussian(0.01, 2.5, order, { series: 'absolute' });
    assertRel(v, expected[i], 1e-4, `order ${order} (absolute series)`);
  });
  // The default (signed) series is the exact value: it agrees with direct quadrature, never
  // exceeds the conservative one, and coincides with it at integer orders.
  orders.forEach((order, i) => {
    const exact = 50 * rdpSubsampledGaussian(0.01, 2.5, order);
    assertRel(exact, 50 * rdpSubsampledGaussianQuadrature(0.01, 2.5, order), 1e-8, `order ${order} vs quadrature`);
    assert.ok(exact <= expected[i] * (1 + 1e-4));
    if (Number.isInteger(order)) assertRel(exact, expected[i], 1e-4);
  });
  assert.equal(rdpSubsampledGaussian(0.01, 2.5, Infinity), Infinity);
});

test('series agrees with quadrature on the dp_accounting mpmath cases', () => {
  const cases: [number, number, number][] = [
    [1e-7, 0.1, 1.01],
    [1e-6, 0.1, 256],
    [1e-5, 0.1, 256.1],
    [1e-6, 1, 27],
    [1e-4, 1, 1.5],
    [1e-3, 1, 2],
    [0.01, 10, 20],
    [0.1, 100, 20.5],
    [0.99, 0.1, 256],
    [0.999, 100, 256.1],
    [0.3, 3, 2.7],
  ];
  for (const [q, sigma, order] of cases) {
    assertRel(
      rdpSubsampledGaussian(q, sigma, order),
      rdpSubsampledGaussianQuadrature(q, sigma, order),
      1e-6,
      `q=${q} σ=${sigma} α=${order}`,
    );
  }
  // Opacus vs dp_accounting at a fractional order (§2.1): exact value is Opacus's
  assertRel(rdpSubsampledGaussian(0.01, 0.8, 3.6), 7.84093e-4, 1e-6);
  assertRel(rdpSubsampledGaussian(0.01, 0.8, 3.6, { series: 'absolute' }), 7.846224e-4, 1e-6);
});

test('RDP edge cases', () => {
  assert.equal(rdpSubsampledGaussian(0, 1, 2), 0);
  assert.equal(rdpSubsampledGaussian(0.1, 0, 2), Infinity);
  assert.equal(rdpSubsampledGaussian(1, 2, 3), 3 / 8);
  assert.throws(() => rdpSubsampledGaussian(1.5, 1, 2), RangeError);
  assert.throws(() => rdpSubsampledGaussian(0.1, 1, 1), RangeError);
  assert.throws(() => epsilonRdp([{ q: 0.1, sigma: 1, steps: 1.5 }], 1e-5), RangeError);
  assert.throws(() => epsilonRdp([{ q: 0.1, sigma: 1, steps: 1 }], 0), RangeError);
  // default orders: fractional and integer, increasing, > 1
  assert.ok(DEFAULT_ORDERS.includes(1.5) && DEFAULT_ORDERS.includes(7.8) && DEFAULT_ORDERS.includes(64));
  assert.ok(DEFAULT_ORDERS.includes(256));
  for (let i = 1; i < DEFAULT_ORDERS.length; i++) assert.ok(DEFAULT_ORDERS[i] > DEFAULT_ORDERS[i - 1]);
});

test('RDP → (ε, δ) conversion', () => {
  // dp_accounting test_compute_epsilon_delta_pure_dp
  const orders = range(2, 32);
  const r = rdpToEpsilon(
    orders.map(() => 1.1),
    orders,
    1e-5,
  );
  assertAbs(r.epsilon, 1.32783806176, 1e-9);
  assert.equal(r.order, 32);
  // Opacus doctest: heterogeneous history, orders 2..32
  const d = epsilonRdp(
    [
      { q: 1e-5, sigma: 1.0, steps: 10 },
      { q: 1e-4, sigma: 3.0, steps: 4 },
    ],
    1e-5,
    orders,
  );
  assertAbs(d.epsilon, 0.33634406, 1e-7);
  assert.equal(d.order, 23);
  // dp_accounting test_compute_epsilon_delta_gaussian: ε = 1 at δ = 1e-6 on a fine order grid
  const fine = range(1001, 99999).map((k) => k / 1000);
  assertAbs(epsilonRdp([{ q: 1, sigma: 4.530877117, steps: 1 }], 1e-6, fine).epsilon, 1, 1e-6);
  // no usable order
  assert.equal(rdpToEpsilon([Infinity], [2], 1e-5).epsilon, Infinity);
});

// Cross-accountant table §3.2
const CASES: Record<string, { q: number; sigma: number; steps: number; delta: number; rdp: number; pld: number; prv: number }> = {
  A: { q: 0.01, sigma: 1.0, steps: 1000, delta: 1e-5, rdp: 2.101365, pld: 1.828244, prv: 1.82824 },
  C: { q: 256 / 60000, sigma: 1.1, steps: 14062, delta: 1e-5, rdp: 2.596556, pld: 2.381686, prv: 2.3816 },
  D: { q: 0.01, sigma: 1.0, steps: 10000, delta: 1e-5, rdp: 6.712738, pld: 6.187745, prv: 6.187716 },
  G: { q: 0.1, sigma: 2.0, steps: 100, delta: 1e-5, rdp: 2.580569, pld: 2.3374, prv: 2.337402 },
  J: { q: 1.0, sigma: 5.0, steps: 25, delta: 1e-5, rdp: 4.728507, pld: 4.377178, prv: 4.37718 },
};
const ev = (c: (typeof CASES)[string]): GaussianEvent[] => [{ q: c.q, sigma: c.sigma, steps: c.steps }];

test('RDP reproduces the Opacus RDP column of §3.2 with the default orders', () => {
  for (const [name, c] of Object.entries(CASES)) {
    const r = epsilonRdp(ev(c), c.delta);
    assertAbs(r.epsilon, c.rdp, 1e-5, `case ${name}`);
  }
  assertAbs(epsilonRdp(ev(CASES.A), 1e-5).epsilon, 2.101, 0.005, 'brief case A');
  assert.equal(epsilonRdp(ev(CASES.A), 1e-5).order, 7.8);
});

// ---------------------------------------------------------------------------------------------
// PLD

test('PLD: brief case q = 0.01, σ = 1, 1000 steps, δ = 1e-5', (t) => {
  const [eps, ms] = timed(() => epsilonPld(ev(CASES.A), 1e-5));
  t.diagnostic(`case A: PLD ε = ${eps.toFixed(6)} in ${ms.toFixed(0)} ms (RDP 2.101365)`);
  assertAbs(eps, 1.828, 0.01);
  assert.ok(eps >= 1.8282, `PLD must be an upper bound, got ${eps}`);
  assert.ok(eps < epsilonRdp(ev(CASES.A), 1e-5).epsilon);
});

test('PLD reproduces the dp_accounting PLD column of §3.2 (C, D, G, J)', (t) => {
  for (const name of ['C', 'D', 'G', 'J']) {
    const c = CASES[name];
    // exactGaussian: false forces the numerical grid for the q = 1 case J too
    const [pld, ms] = timed(() => composePld(ev(c), { exactGaussian: false }));
    const eps = pld.epsilon(c.delta);
    t.diagnostic(
      `case ${name}: PLD ε = ${eps.toFixed(6)} (dp_accounting ${c.pld}) in ${ms.toFixed(0)} ms, grid ${pld.grids
        .map((g) => `${g.direction} ${g.size}@${g.discretization.toPrecision(3)}`)
        .join(', ')}`,
    );
    assertAbs(eps, c.pld, 0.002, `case ${name}`);
    assert.ok(eps >= c.prv - 1e-4, `case ${name}: below the PRV estimate`);
  }
});

test('PLD of 10,000 steps is fast (case D)', (t) => {
  const [eps, ms] = timed(() => epsilonPld(ev(CASES.D), 1e-5));
  t.diagnostic(`case D (10,000 steps): PLD ε = ${eps.toFixed(6)} in ${ms.toFixed(0)} ms`);
  assertAbs(eps, 6.187745, 0.002);
});

test('full-batch Gaussian: PLD equals the exact analytic Gaussian (Balle–Wang) and bounds it from above', () => {
  const exact = epsilonGaussianExact(1, 1e-5);
  assertAbs(exact, 4.377178, 1e-6, 'analytic μ = 1');
  assertAbs(deltaGaussianExact(1, exact), 1e-5, 1e-12);
  // the numerical grid (connect-the-dots + FFT) reproduces the closed form, from above
  const grid = { exactGaussian: false };
  const pld = epsilonPld(ev(CASES.J), 1e-5, grid);
  assertAbs(pld, 4.3772, 0.002, 'PLD case J');
  assert.ok(pld >= exact - 1e-9 && pld - exact < 1e-6, `PLD ${pld} vs exact ${exact}`);
  for (const mu of [0.1, 0.5, 2]) {
    const e = epsilonGaussianExact(mu, 1e-5);
    const p = epsilonPld([{ q: 1, sigma: 1 / mu, steps: 1 }], 1e-5, grid);
    assert.ok(p >= e - 1e-9 && p - e < 1e-5, `μ=${mu}: PLD ${p} vs exact ${e}`);
  }
  // dp_accounting test_gaussian_basic: σ = √3, 3 compositions ≡ μ = 1
  assertAbs(deltaPld([{ q: 1, sigma: Math.sqrt(3), steps: 3 }], 1, grid), 0.126936, 1e-5);
  // default: q = 1-only histories use the closed form
  assert.equal(epsilonPld(ev(CASES.J), 1e-5), exact);
  assert.equal(
    epsilonPld(
      [
        { q: 1, sigma: 5, steps: 9 },
        { q: 1, sigma: 4, steps: 9 },
      ],
      1e-5,
    ),
    epsilonGaussianExact(Math.sqrt(9 / 25 + 9 / 16), 1e-5),
  );
  assertAbs(deltaGaussianExact(1, 1), 0.126936, 1e-5);
});

test('dp_accounting PLD test_poisson_subsampled_gaussian: q = 0.2, σ = 0.5, 3 compositions', () => {
  const events = [{ q: 0.2, sigma: 0.5, steps: 3 }];
  assertAbs(deltaPld(events, 1), 0.15594, 1e-3);
  assertAbs(epsilonPld(events, 0.15594), 1, 1e-3);
});

test('PLD against the Opacus PRV table (δ = 1e-6; PRV "upper" = estimate + ≈0.01)', () => {
  const rows: [number, number, number, number][] = [
    [0.8, 0.001, 100, 0.2704033641],
    [1.5, 0.05, 100, 1.9538531357],
    [3.0, 0.2, 100, 3.3812205102],
    [1.5, 0.05, 1000, 6.2099692466],
    [2.0, 0.001, 20000, 0.3058379398],
    [3.0, 0.05, 20000, 13.9611146992],
  ];
  for (const [sigma, q, steps, upper] of rows) {
    const eps = epsilonPld([{ q, sigma, steps }], 1e-6);
    assert.ok(eps <= upper && eps >= upper - 0.0125, `σ=${sigma} q=${q} T=${steps}: ${eps} vs PRV upper ${upper}`);
  }
});

test('PLD composes heterogeneous histories and sits below RDP', () => {
  const a: GaussianEvent = { q: 0.01, sigma: 1, steps: 500 };
  const b: GaussianEvent = { q: 0.02, sigma: 1.2, steps: 1250 };
  const both = epsilonPld([a, b], 1e-5);
  assert.ok(both > epsilonPld([a], 1e-5) && both > epsilonPld([b], 1e-5));
  assert.ok(both < epsilonRdp([a, b], 1e-5).epsilon);
  // splitting a run into pieces changes nothing
  assertAbs(epsilonPld([a, a], 1e-5), epsilonPld([{ ...a, steps: 1000 }], 1e-5), 1e-12);
  // δ and ε are inverse to each other
  const pld = composePld([a, b]);
  assertAbs(pld.delta(pld.epsilon(1e-5)), 1e-5, 1e-9);
  // empty / no-op histories
  assert.equal(epsilonPld([], 1e-5), 0);
  assert.equal(epsilonPld([{ q: 0, sigma: 1, steps: 10 }], 1e-5), 0);
  // coarser grids are still upper bounds
  const coarse = epsilonPld(ev(CASES.A), 1e-5, { discretization: 1e-3 });
  assert.ok(coarse >= 1.8282 && coarse < 1.85, `coarse grid ${coarse}`);
});

// ---------------------------------------------------------------------------------------------
// Calibration

test('calibrateSigma reproduces the §3.3 table (q = 0.01, δ = 1e-5) and never exceeds the target', (t) => {
  const table: [number, number, number, number][] = [
    [1, 10, 1.5234375, 1.42578125],
    [1, 50, 2.98828125, 2.79296875],
    [1, 100, 4.140625, 3.8671875],
    [3, 10, 0.865478515625, 0.8154296875],
    [3, 50, 1.279296875, 1.2158203125],
    [3, 100, 1.6650390625, 1.572265625],
    [10, 10, 0.573272705078125, 0.547027587890625],
    [10, 50, 0.7196044921875, 0.694732666015625],
    [10, 100, 0.830078125, 0.80230712890625],
  ];
  let slowest = 0;
  for (const [epsilon, epochs, sigmaRdp, sigmaPrv] of table) {
    const steps = Math.floor(epochs / 0.01);
    const target = { epsilon, delta: 1e-5 };
    const [r, msR] = timed(() => calibrateSigma(target, 0.01, steps, 'rdp'));
    const [p, msP] = timed(() => calibrateSigma(target, 0.01, steps, 'pld'));
    slowest = Math.max(slowest, msP);
    t.diagnostic(
      `ε=${epsilon}, ${steps} steps: RDP σ=${r.toFixed(5)} (${msR.toFixed(0)} ms), PLD σ=${p.toFixed(5)} (${msP.toFixed(0)} ms)`,
    );
    assertRel(r, sigmaRdp, 0.02, `RDP σ for ε=${epsilon}, ${epochs} epochs`);
    assertRel(p, sigmaPrv, 0.02, `PLD σ for ε=${epsilon}, ${epochs} epochs`);
    assert.ok(epsilonRdp([{ q: 0.01, sigma: r, steps }], 1e-5).epsilon <= epsilon);
    assert.ok(epsilonPld([{ q: 0.01, sigma: p, steps }], 1e-5) <= epsilon);
    // smallest: 1 % less noise breaks the target
    assert.ok(epsilonRdp([{ q: 0.01, sigma: r * 0.99, steps }], 1e-5).epsilon > epsilon);
    assert.ok(p < r);
  }
  t.diagnostic(`slowest PLD calibration: ${slowest.toFixed(0)} ms`);
});

test('calibrateSigma: unreachable targets throw a clear error; trivial cases', () => {
  assert.throws(() => calibrateSigma({ epsilon: 0.01, delta: 1e-5 }, 0.5, 100000), /not achievable/);
  assert.throws(() => calibrateSigma({ epsilon: 0.01, delta: 1e-5 }, 0.5, 100000, 'pld'), /not achievable/);
  assert.equal(calibrateSigma({ epsilon: 1, delta: 1e-5 }, 0.01, 0), 0);
  // plain Gaussian: the analytic σ for μ-GDP at ε = 1, δ = 1e-5
  const s = calibrateSigma({ epsilon: 1, delta: 1e-5 }, 1, 1, 'pld');
  assert.ok(epsilonGaussianExact(1 / s, 1e-5) <= 1 + 1e-9);
  assert.ok(epsilonGaussianExact(1 / (s * 0.995), 1e-5) > 1);
});

// ---------------------------------------------------------------------------------------------
// zCDP and the ledger

test('zCDP ↔ (ε, δ) (CKS conversion)', () => {
  assertRel(zcdpRho(1, 1e-5), 0.0305566, 1e-5);
  assertAbs(zcdpToEpsilon(0.0305566, 1e-5), 1, 1e-3);
  assertRel(zcdpRho(1, 1e-9), 0.0149731, 1e-5);
  assertRel(zcdpRho(10, 1e-9), 1.090786, 1e-5);
  assertRel(zcdpRho(3, 1e-5), 0.224249, 1e-5);
  assertRel(zcdpRho(10, 1e-5), 1.782696, 1e-5);
  const rho = zcdpRho(2, 1e-6);
  assertAbs(zcdpToEpsilon(rho, 1e-6), 2, 1e-9);
  assert.ok(zcdpDelta(rho, 2) <= 1e-6 * (1 + 1e-9));
  assert.equal(rdpOfZcdp(0.5, 4), 2);
  // zCDP → RDP → (ε, δ) through the RDP conversion gives (nearly) the same ε as CKS directly
  const viaRdp = rdpToEpsilon(
    DEFAULT_ORDERS.map((a) => rdpOfZcdp(0.0305566, a)),
    DEFAULT_ORDERS,
    1e-5,
  ).epsilon;
  assert.ok(viaRdp >= 1 - 1e-3 && viaRdp < 1.01);
});

test('PrivacyLedger composes DP-SGD and zCDP entries under RDP and PLD', () => {
  const rho1 = 0.01;
  const rho2 = 0.02;
  const gaussOnly = new PrivacyLedger().addZcdp(rho1, 'marginals').addZcdp(rho2, 'bounds');
  // Gaussian mechanisms compose exactly: μ² = 2ρ₁ + 2ρ₂
  const exact = epsilonGaussianExact(Math.sqrt(2 * (rho1 + rho2)), 1e-5);
  const pld = gaussOnly.epsilon(1e-5, 'pld');
  assertAbs(pld, exact, 1e-12, 'ledger of Gaussian zCDP entries');
  const pldGrid = epsilonPld(gaussOnly.pldEvents() ?? [], 1e-5, { exactGaussian: false });
  assert.ok(pldGrid >= exact - 1e-9 && pldGrid - exact < 1e-6, `ledger PLD on the grid ${pldGrid} vs exact ${exact}`);
  assertAbs(gaussOnly.epsilon(1e-5, 'rdp'), zcdpToEpsilon(rho1 + rho2, 1e-5), 0.01);

  const ledger = new PrivacyLedger()
    .addZcdp(0.005, 'preprocessing')
    .addGaussian({ label: 'DP-SGD', q: 0.01, sigma: 1, steps: 1000 });
  const entries = ledger.entries();
  assert.deepEqual(
    entries.map((e) => [e.label, e.kind]),
    [
      ['preprocessing', 'zcdp'],
      ['DP-SGD', 'gaussian'],
    ],
  );
  const rdp = ledger.epsilon(1e-5, 'rdp');
  const viaCurve = rdpToEpsilon(
    rdpCurve([{ q: 0.01, sigma: 1, steps: 1000 }]).map((r, i) => r + 0.005 * DEFAULT_ORDERS[i]),
    DEFAULT_ORDERS,
    1e-5,
  ).epsilon;
  assertAbs(rdp, viaCurve, 1e-12);
  const pldMixed = ledger.epsilon(1e-5, 'pld');
  assert.ok(pldMixed < rdp);
  assert.ok(pldMixed > epsilonPld(ev(CASES.A), 1e-5));
  // a non-Gaussian zCDP entry has no exact PLD: falls back to RDP for the whole ledger
  const other = new PrivacyLedger()
    .addZcdp(0.005, 'selection', 'other')
    .addGaussian({ label: 'DP-SGD', q: 0.01, sigma: 1, steps: 1000 });
  assertAbs(other.epsilon(1e-5, 'pld'), rdp, 1e-12);
  // entries() returns copies
  entries[0].label = 'changed';
  assert.equal(ledger.entries()[0].label, 'preprocessing');
});
