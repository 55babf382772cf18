/**
 * A share (0..1) as a percentage for people, with `digits` decimals: "100" only when it is all,
 * "0" only when it is none (99.95 % shows as ">99.9", 0.01 % as "<0.1"). No "%" sign: the caller
 * writes it in its own style.
 */
export function percentForPeople(share: number, digits = 0): string {
  const text = (share * 100).toFixed(digits);
  const step = 10 ** -digits;
  if (share < 1 && Number(text) >= 100) return `>${(100 - step).toFixed(digits)}`;
  if (share > 0 && Number(text) <= 0) return `<${step.toFixed(digits)}`;
  return text;
}
