// The custom search attributes sweeps carry, so the API and the Temporal UI can list sweeps by
// kind, name and status. Workflow code imports this module: no Node imports here.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Which meta workflow runs the sweep: optimization, variant_test or walk_forward (a Keyword: new kinds need no registration). */
export const sweepKindKey = defineSearchAttributeKey('SweepKind', SearchAttributeType.KEYWORD);
/** The sweep's `name` from its YAML. */
export const sweepNameKey = defineSearchAttributeKey('SweepName', SearchAttributeType.KEYWORD);
/** The sweep's lifecycle state as the workflow sees it (e.g. running, paused, completed). */
export const sweepStatusKey = defineSearchAttributeKey('SweepStatus', SearchAttributeType.KEYWORD);
/** Number of operations the sweep runs (after constraints). */
export const sweepTotalKey = defineSearchAttributeKey('SweepTotal', SearchAttributeType.INT);

/** The one list: the dev server registers these at start, docker-compose setups must too. */
export const sweepSearchAttributes = [sweepKindKey, sweepNameKey, sweepStatusKey, sweepTotalKey] as const;
