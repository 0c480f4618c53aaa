import { TsadError } from '../errors.js';

/**
 * Bad input to the MLOps loop (simulation, promotion, monitoring, SQL data): a bad duration, window,
 * threshold, identifier or sample (codes `bad_option`, `bad_sample`, `bad_identifier`, `no_champion`, ...).
 */
export class LifecycleError extends TsadError {}
