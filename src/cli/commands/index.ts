import type { Command } from 'commander';
import { rateCommand } from './rate.ts';
import { trackCommand } from './track.ts';
import { retrainCommand } from './retrain.ts';
import { simulateCommand } from './simulate.ts';
import { workerCommand } from './worker.ts';
import { importCommand } from './import.ts';
import { generateCommand } from './generate.ts';
import { dbCommand } from './db.ts';
import { demoCommand } from './demo.ts';
import { trainCommand } from './train.ts';
import { versionsCommand } from './versions.ts';
import { abCommand } from './ab.ts';
import { recommendCommand } from './recommend.ts';
import { reportCommand } from './report.ts';
import { tuneCommand } from './tune.ts';
import { evaluateCommand } from './evaluate.ts';
import { serveCommand } from './serve.ts';

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
