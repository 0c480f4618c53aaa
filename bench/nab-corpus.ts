/**
 * The full NAB benchmark: `npm run nab:corpus -- [--detector default,rcfStream] [--force] [--workers 2]`.
 * Same as `tsad nab run`.
 */
import { runNabCorpusCli } from '../src/cli/nab-run.js';

await runNabCorpusCli(process.argv.slice(2));
