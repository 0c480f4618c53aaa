/**
 * The full NAB benchmark: `npm run nab:corpus -- [--detector default,nabStream] [--force] [--workers 2]`.
 * Same as `tsad nab run`; recipes: `tsad nab run --help`.
 */
import { runNabCorpusCli } from '../src/cli/nab-run.js';

await runNabCorpusCli(process.argv.slice(2));
