/**
 * The NAB machine-temperature experiment: `npm run nab -- [--detector default] [--seed 0] [--uri ...] [--json]`.
 * Same as `tsad nab machine-temperature`.
 */
import { runMachineTemperatureCli } from '../src/cli/nab-machine-temperature.js';

await runMachineTemperatureCli(process.argv.slice(2));
