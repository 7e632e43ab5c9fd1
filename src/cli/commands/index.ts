import type { Command } from 'commander';
import { abCommand } from './ab.ts';
import { dbCommand } from './db.ts';
import { demoCommand } from './demo.ts';
import { evaluateCommand } from './evaluate.ts';
import { generateCommand } from './generate.ts';
import { importCommand } from './import.ts';
import { rateCommand } from './rate.ts';
import { recommendCommand } from './recommend.ts';
import { reportCommand } from './report.ts';
import { retrainCommand } from './retrain.ts';
import { serveCommand } from './serve.ts';
import { simulateCommand } from './simulate.ts';
import { trackCommand } from './track.ts';
import { trainCommand } from './train.ts';
import { tuneCommand } from './tune.ts';
import { versionsCommand } from './versions.ts';
import { workerCommand } from './worker.ts';

/**
 * Every command of the `movienight` program, in the order `--help` lists them. Each entry adds
 * one top-level command (with its subcommands) to the program. Explicit, like every registry here.
 */
export const commandRegistrations: ReadonlyArray<(program: Command) => void> = [
  importCommand,
  generateCommand,
  dbCommand,
  demoCommand,
  rateCommand,
  trackCommand,
  retrainCommand,
  trainCommand,
  versionsCommand,
  abCommand,
  recommendCommand,
  reportCommand,
  tuneCommand,
  evaluateCommand,
  serveCommand,
  workerCommand,
  simulateCommand,
];
