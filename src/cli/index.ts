/**
 * `movienight/cli`: the command line as a function (`runCli(argv)` returns the exit code: 0 done,
 * 1 failed, 2 usage; see docs/cli.md), its commander program, and the simulation `simulate` runs.
 */

export {
  renderSimulation,
  type SimulationOptions,
  type SimulationResult,
  simulate,
} from '../simulation/simulate.ts';
export { buildProgram, runCli } from './program.ts';
