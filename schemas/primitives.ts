import { z } from 'zod';
import { MAX_REASONS } from './limits';

/*
 * Field types shared by the contracts. Every published contract version embeds these, so changing one silently
 * changes published versions: never edit, add a new primitive instead. The JSON Schema snapshot test
 * (test/unit/schemas/compat.test.ts) fails if a published version's shape moves.
 */

/** Printable ASCII without spaces: ids end up in workflow ids, Kafka keys, headers and log lines. */
const PRINTABLE = /^[\x21-\x7e]+$/;

export const opaqueId = z.string().min(1).max(128).regex(PRINTABLE, 'must be printable ASCII without spaces');

/** ISO-8601 date-time with an explicit offset (`Z` or `±hh:mm`): local times are ambiguous across regions. */
export const timestamp = z.iso.datetime({ offset: true });

/** ISO 4217 alphabetic code. Membership in the official list is not checked: the list changes, the contract must not. */
export const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code (3 capital letters)');

/** ISO 3166-1 alpha-2 code (same reasoning as currencyCode). */
export const countryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code (2 capital letters)');

/** Model names become workflow ids (`learning-<modelName>`) and registry keys. */
export const modelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 chars of a-z 0-9 . _ - starting with a letter or digit');

export const modelVersion = z.string().min(1).max(64).regex(PRINTABLE, 'must be printable ASCII without spaces');

/** Model output in [0, 1]. */
export const probability = z.number().min(0).max(1);

/** Per-feature contribution to a score; bounded so one bad event cannot blow up an audit record. */
export const reasons = z
  .array(
    z.strictObject({
      feature: z.string().min(1).max(64),
      contribution: z.number(),
    }),
  )
  .max(MAX_REASONS);

export const shortText = z.string().min(1).max(500);
