/**
 * ε as people read it: "ε 2.99" (two decimals; two significant digits below 0.1, so a small budget
 * does not read as 0.00). Files keep the full value.
 */
export function epsilonText(epsilon: number): string {
  if (!Number.isFinite(epsilon)) return `ε ${epsilon}`;
  return `ε ${epsilon < 0.1 ? Number(epsilon.toPrecision(2)) : epsilon.toFixed(2)}`;
}
