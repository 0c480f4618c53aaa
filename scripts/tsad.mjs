/**
 * The same as scripts/tsad.cjs (which `npm run tsad` and `npm run nab` run), for the commands
 * written as `node scripts/tsad.mjs …`: an ES module entry costs Node's ES module loader at start.
 */
import './tsad.cjs';
