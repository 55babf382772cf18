import { monotoneBoundary, PrivacyLedger, zcdpRho, type AccountantKind, type ZcdpSource } from './accountant';

/**
 * How one (epsilon, delta) target is spent, in one place:
 *
 * - delta: a tenth goes to the thresholded category releases of preprocessing (the chance that a
 *   category held by one person is released), split evenly over those columns; the rest is the
 *   delta at which the accountant converts the composed mechanisms to epsilon.
 * - epsilon: the target is first turned into its zCDP equivalent rho* (at the accounting delta).
 *   Preprocessing gets PREPROCESSING_SHARE of rho* (all of it for the marginals generator); DP-SGD
 *   then gets the largest noise-free share it can: its noise multiplier is the smallest whose
 *   composition with preprocessing (RDP or PLD, exactly) still meets the target.
 */
/**
 * The released histograms fix every column's distribution (the model is calibrated to them), and
 * their tails set each column's range; the network only has to add the dependence between columns.
 * On adult.csv at ε 3 (two runs each), quality was 0.883 / 0.895 / 0.875 with shares 0.5 / 0.7 / 0.85.
 */
export const PREPROCESSING_SHARE = 0.7;
export const THRESHOLD_DELTA_SHARE = 0.1;
export const DEFAULT_EPSILON = 3;
const SIGMA_MAX = 1000;

/**
 * Default delta, the same for every file (a delta chosen from the row count would itself depend on
 * the data). It must stay well below 1/n: preprocessing checks it against the released row count.
 */
export const DEFAULT_DELTA = 1e-6;

/**
 * The largest epsilon accepted. Above it the guarantee means little (e^50 is a likelihood ratio
 * of 5e21), and the accountants leave the range where they are tested: at epsilon 1000 the zCDP
 * conversion overflowed to Infinity and at 1e5 to NaN. Tested up to this value in budget tests.
 */
export const MAX_EPSILON = 50;

/** Why an (epsilon, delta) request cannot be met, or undefined when it is a valid request. */
export function privacyRequestProblem(epsilon: number, delta: number): string | undefined {
  if (typeof epsilon !== 'number' || Number.isNaN(epsilon)) return `epsilon must be a number (got ${epsilon})`;
  if (!(epsilon > 0)) return `epsilon must be greater than 0 (got ${epsilon})`;
  if (!(epsilon <= MAX_EPSILON)) return `epsilon ${epsilon} is above the maximum of ${MAX_EPSILON}: a guarantee that weak protects nothing; ask for ${MAX_EPSILON} or less`;
  if (typeof delta !== 'number' || Number.isNaN(delta)) return `delta must be a number (got ${delta})`;
  if (!(delta > 0 && delta < 1)) return `delta must be greater than 0 and below 1/n, the number of rows (got ${delta}); the default is ${DEFAULT_DELTA}`;
  return undefined;
}

export interface BudgetRequest {
  epsilon: number;
  delta: number;
  generator: 'tvae' | 'marginals' | 'pgm';
  /** Categorical columns whose categories are not declared public (thresholded releases). */
  thresholdedColumns: number;
}

export interface BudgetPlan {
  epsilon: number;
  delta: number;
  accountingDelta: number;
  thresholdDeltaPerColumn: number;
  rhoTarget: number;
  rhoPreprocessing: number;
}

/** Check a request and split it. Errors are for the user: they run before any work. */
export function planBudget(request: BudgetRequest): BudgetPlan {
  const { epsilon, delta } = request;
  const problem = privacyRequestProblem(epsilon, delta);
  if (problem) throw new Error(problem);
  // delta against 1/n is checked on the released row count (privateStatistics).
  const thresholdDelta = request.thresholdedColumns > 0 ? delta * THRESHOLD_DELTA_SHARE : 0;
  const accountingDelta = delta - thresholdDelta;
  const rhoTarget = zcdpRho(epsilon, accountingDelta);
  return {
    epsilon,
    delta,
    accountingDelta,
    thresholdDeltaPerColumn: request.thresholdedColumns > 0 ? thresholdDelta / request.thresholdedColumns : 0,
    rhoTarget,
    rhoPreprocessing: request.generator === 'marginals' ? rhoTarget : rhoTarget * PREPROCESSING_SHARE,
  };
}

/**
 * Smallest noise multiplier for `steps` Poisson-subsampled Gaussian steps at rate q such that,
 * composed with the preprocessing's rho, epsilon at the accounting delta stays within the target.
 * Bisection with RDP brackets the answer cheaply; PLD (tighter) then refines it.
 */
export function calibrateNoise(plan: BudgetPlan, rhoSpent: number, q: number, steps: number, accountant: AccountantKind, others: readonly LedgerPart[] = []): number {
  const epsilonAt = (sigma: number, kind: AccountantKind): number => ledger(rhoSpent, q, sigma, steps, others).epsilon(plan.accountingDelta, kind);
  if (epsilonAt(SIGMA_MAX, 'rdp') > plan.epsilon && (accountant === 'rdp' || epsilonAt(SIGMA_MAX, 'pld') > plan.epsilon)) {
    throw new Error(
      `epsilon ${plan.epsilon} cannot be met with ${steps} training steps (even noise multiplier ${SIGMA_MAX} is not enough): ask for fewer epochs or a larger epsilon`,
    );
  }
  // RDP bracket: hi meets the target by RDP (so by PLD too), lo does not.
  const [, hi] = monotoneBoundary((sigma) => epsilonAt(sigma, 'rdp') > plan.epsilon, 0.05, 1, { relTol: 0.002, geometric: true, maxHi: SIGMA_MAX });
  if (accountant === 'rdp') return hi;
  // PLD allows less noise: search below the RDP answer.
  let pldHi = hi;
  let pldLo = hi * 0.7;
  if (epsilonAt(pldLo, 'pld') <= plan.epsilon) return pldLo;
  for (let i = 0; i < 7; i++) {
    const mid = (pldLo + pldHi) / 2;
    if (epsilonAt(mid, 'pld') > plan.epsilon) pldLo = mid;
    else pldHi = mid;
  }
  return pldHi;
}

/**
 * For the marginals generator, whose only mechanism is the histograms: the largest rho whose
 * epsilon by the chosen accountant stays within the target. The zCDP conversion behind rhoTarget
 * is loose (adult.csv at ε 3: 2.80 spent), so the search gives the histograms the whole budget.
 */
export function histogramsOnlyRho(plan: BudgetPlan, accountant: AccountantKind): number {
  return largestRhoWithin(plan, (rho) => ledger(rho, 0, 1, 0), accountant);
}

/**
 * The largest total rho whose ledger (as `ledgerOf` spends it) stays within the target epsilon by
 * the chosen accountant; the zCDP conversion behind rhoTarget is the starting point.
 */
export function largestRhoWithin(plan: BudgetPlan, ledgerOf: (rho: number) => PrivacyLedger, accountant: AccountantKind): number {
  const withinTarget = (rho: number): boolean => ledgerOf(rho).epsilon(plan.accountingDelta, accountant) <= plan.epsilon;
  // The accountant may be looser than the conversion (RDP for a ledger with non-Gaussian parts).
  let lo = plan.rhoTarget;
  while (!withinTarget(lo) && lo > plan.rhoTarget * 1e-6) lo /= 2;
  return monotoneBoundary(withinTarget, lo, 2 * lo, { relTol: 0.0005, geometric: true })[0];
}

/** A zCDP release composed with preprocessing and training (e.g. the raking's pair measurements). */
export interface LedgerPart {
  rho: number;
  label: string;
  /** 'other' for mechanisms without an exact privacy loss distribution (the ledger then uses RDP). */
  source?: ZcdpSource;
}

export function ledger(rhoPreprocessing: number, q: number, sigma: number, steps: number, others: readonly LedgerPart[] = []): PrivacyLedger {
  const l = new PrivacyLedger();
  if (rhoPreprocessing > 0) l.addZcdp(rhoPreprocessing, 'preprocessing: noisy histograms (Gaussian mechanism)');
  for (const part of others) if (part.rho > 0) l.addZcdp(part.rho, part.label, part.source);
  if (steps > 0) l.addGaussian({ q, sigma, steps, label: 'DP-SGD: Poisson-subsampled Gaussian' });
  return l;
}

/** Most accountant runs spent on progress figures (each PLD run takes about 0.2 s). */
const PROGRESS_CHECKPOINTS = 20;

/**
 * Privacy spent after a number of training steps, preprocessing included, by the same accountant
 * as the final statement, so that progress and the card's history end on the card's epsilon (the
 * looser RDP bound showed 3.26 at the end of a run whose ledger says 2.996 of a target of 3). The
 * accountant runs at up to PROGRESS_CHECKPOINTS epoch ends, once, before training; a step is
 * reported with the next checkpoint's value: never less than what it has spent.
 */
export function epsilonByStep(
  plan: BudgetPlan,
  rhoPreprocessing: number,
  q: number,
  sigma: number,
  stepsPerEpoch: number,
  epochs: number,
  accountant: AccountantKind,
  others: readonly LedgerPart[] = [],
): (steps: number) => number {
  const points = Math.min(epochs, PROGRESS_CHECKPOINTS);
  const checkpoints = Array.from({ length: points }, (_, k) => Math.ceil(((k + 1) * epochs) / points) * stepsPerEpoch);
  const epsilons = checkpoints.map((steps) => ledger(rhoPreprocessing, q, sigma, steps, others).epsilon(plan.accountingDelta, accountant));
  return (steps) => {
    const k = checkpoints.findIndex((c) => c >= steps);
    return epsilons[k < 0 ? epsilons.length - 1 : k];
  };
}
