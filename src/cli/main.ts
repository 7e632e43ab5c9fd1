import { runCli } from './program.ts';

const code = await runCli(process.argv);
// Let pending output flush; a server command keeps the process alive by itself.
process.exitCode = code;
