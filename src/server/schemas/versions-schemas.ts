/**
 * JSON shapes of the admin answers about model versions and their aliases. Each record schema
 * mirrors the record type the library returns, and each `…Response` is the `response` of the route
 * with that operationId: the route's handler is typed by it (a field renamed, retyped or dropped
 * in the record fails the typecheck), tests check every answer against it at run time, and
 * /openapi.json publishes it. The web app takes its types from here.
 */
import { z } from 'zod';
import { params } from './common-schemas.ts';

export const activeModelStatus = z.object({
  servingVersion: z.number().nullable(),
  championVersion: z.number().nullable(),
  /** When this process last read the champion from the database; null before the first read. */
  lastCheckedAt: z.number().nullable(),
  error: z.string().nullable(),
});
export const trainingDataInfo = z.object({
  rows: z.number(),
  from: z.number().nullable(),
  to: z.number().nullable(),
  fingerprint: z.string(),
});
export const modelVersion = z.object({
  version: z.number(),
  kind: z.string(),
  params: params,
  training: trainingDataInfo,
  parentVersion: z.number().nullable(),
  tuningRunId: z.string().nullable(),
  tuningTrialNumber: z.number().nullable(),
  metrics: z.record(z.string(), z.number()),
  artifact: z.object({ checksum: z.string(), format: z.number(), bytes: z.number() }).nullable(),
  status: z.enum(['ready', 'discarded', 'pruned']),
  reason: z.enum(['manual', 'retrain', 'tuned']),
  createdAt: z.number(),
  aliases: z.array(z.enum(['champion', 'challenger'])),
});
export const aliasHistoryEntry = z.object({
  id: z.number(),
  alias: z.enum(['champion', 'challenger']),
  action: z.enum(['set', 'first', 'activate', 'rollback', 'ab-activate', 'clear']),
  previousVersion: z.number().nullable(),
  newVersion: z.number().nullable(),
  reason: z.string(),
  abTestId: z.number().nullable(),
  details: z.record(z.string(), z.unknown()),
  movedAt: z.number(),
});
export const aliasChange = z.object({
  previous: z.number().nullable(),
  current: z.number(),
  unchanged: z.boolean(),
  stoppedAbTest: z.number().nullable(),
});
export const listVersionsResponse = z.object({
  champion: z.number().nullable(),
  challenger: z.number().nullable(),
  rollbackTo: z.number().nullable(),
  serving: activeModelStatus,
  versions: z.array(modelVersion),
});
export const getAliasHistoryResponse = z.object({ history: z.array(aliasHistoryEntry) });
export const getVersionResponse = modelVersion;
export const activateVersionResponse = aliasChange;
export const rollbackChampionResponse = aliasChange;
