import { z } from 'zod';

/**
 * What a crew member checks on site, as an inspection recorded through the API carries it
 * (`POST /api/v1/inspections`): part of the contract with whoever records inspections, so it lives
 * with the wire, not in the collector.
 */
/** What a crew member checks on site. */
export const CHECKLIST_ITEMS = ['rfid_reader', 'card_reader', 'printer', 'door', 'screen', 'bins', 'cleanliness'] as const;
export type ChecklistItem = (typeof CHECKLIST_ITEMS)[number];

const checkSchema = z.enum(['ok', 'issue', 'not_checked']);
/** The checklist of an inspection entered through the API: known items only, each optional. */
export const checklistSchema = z.strictObject(
  Object.fromEntries(CHECKLIST_ITEMS.map((item) => [item, checkSchema.optional()])) as Record<
    ChecklistItem,
    z.ZodOptional<typeof checkSchema>
  >,
);

export type Checklist = z.infer<typeof checklistSchema>;
