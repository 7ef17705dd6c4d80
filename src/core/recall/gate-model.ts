// Generated placeholder; replaced by scripts/train-recall-gate.ts.
/** Coefficients of the answerability gate (gate.ts). */
export const GATE_MODEL = {
  features: [] as readonly string[],
  weights: [] as readonly number[],
  bias: 0,
  recallThreshold: 0.5,
  promptThreshold: 0.7,
};
