/**
 * Settings for a one-shot command (a process that runs one experiment and exits), applied before
 * the command's modules load.
 *
 * zod compiles a parser for each object schema (`new Function`) the first time it parses with it:
 * worth it for a schema that parses many values, pure overhead for one that parses once. A
 * one-shot command builds each detector config, model file and tracking record schema at load and
 * parses with it about once, so it turns that off (`jitless`; the schemas are built in jitless
 * mode when their modules load after this call). Validation is the same either way. Long-running
 * commands (`tsad serve`) keep the compiled parsers.
 */
import { config } from 'zod/v4/core';

export function oneShotProcess(): void {
  config({ jitless: true });
}
