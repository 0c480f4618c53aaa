/** The config fields every detector has (its post-rule: calibrator and alarm threshold). */
import { z } from 'zod';
import { postRuleTrainSchema, thresholdRuleSchema } from './post/rule.js';

/** Config fields every detector has. `maxScore` is the calibrator's "largest possible raw score". */
export function baseConfigShape(maxScoreDefault: number) {
  return {
    seed: z.number().int().min(-2147483648).max(2147483647).default(0),
    enableCalibrator: z.boolean().default(true),
    enableThreshold: z.boolean().default(true),
    maxScore: z.number().positive().default(maxScoreDefault),
    threshold: thresholdRuleSchema.prefault({ type: 'aggregateAlarms' }),
    postRuleTrain: postRuleTrainSchema.prefault({}),
  };
}
const baseSchema = z.object(baseConfigShape(1));
export type BaseDetectorConfig = z.infer<typeof baseSchema>;
