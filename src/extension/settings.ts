import * as vscode from 'vscode';
import type { BackendSetting, PrivacyMode } from '../protocol/messages';
import { DEFAULT_DELTA, DEFAULT_EPSILON } from '../core/privacy/budget';

export type OutputNaming = 'ask' | 'number' | 'overwrite';

export interface Settings {
  mode: PrivacyMode;
  epsilon: number;
  delta: number;
  /** 0: as many rows as the input. */
  rows: number;
  /** 0: chosen from the data size. */
  epochs: number;
  seed: number;
  holdoutFraction: number;
  backend: BackendSetting;
  outputNaming: OutputNaming;
  maxTrainingRows: number;
  insertRows: number;
  neutraliseFormulas: boolean;
  blankText: boolean;
}

/** The `syntheticCsv.*` settings, read fresh for every run (for the CSV's folder). */
export function readSettings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration('syntheticCsv', scope);
  const positive = (value: number | undefined, fallback: number): number => (typeof value === 'number' && value >= 0 ? value : fallback);
  return {
    mode: c.get<PrivacyMode>('mode', 'none'),
    epsilon: positive(c.get<number>('epsilon'), DEFAULT_EPSILON),
    delta: positive(c.get<number>('delta'), DEFAULT_DELTA),
    rows: Math.floor(positive(c.get<number>('rows'), 0)),
    epochs: Math.floor(positive(c.get<number>('epochs'), 0)),
    seed: Math.floor(positive(c.get<number>('seed'), 0)),
    holdoutFraction: Math.min(0.9, positive(c.get<number>('holdoutFraction'), 0.2)),
    backend: c.get<BackendSetting>('backend', 'auto'),
    outputNaming: c.get<OutputNaming>('outputNaming', 'ask'),
    maxTrainingRows: Math.floor(positive(c.get<number>('maxTrainingRows'), 250_000)),
    insertRows: Math.max(1, Math.floor(positive(c.get<number>('insertRows'), 10))),
    neutraliseFormulas: c.get<boolean>('neutraliseFormulas', false),
    blankText: c.get<boolean>('blankText', false),
  };
}
