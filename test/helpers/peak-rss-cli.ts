import { writeFileSync } from 'node:fs';
import { runCli } from '../../src/cli/program.ts';

/**
 * The CLI as a child process of the scale pipeline: runs one command, then writes this process's
 * peak resident memory (KiB, from `process.resourceUsage().maxRSS`) to $MOVIENIGHT_PEAK_RSS_FILE.
 */
const code = await runCli(['node', 'movienight', ...process.argv.slice(2)]);
const file = process.env.MOVIENIGHT_PEAK_RSS_FILE;
if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
process.exitCode = code;
