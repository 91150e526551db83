import type { Kysely } from 'kysely';
import type { Dialect } from '../db.ts';
import * as foundation from './001-foundation.ts';
import * as outbound from './002-outbound.ts';
import * as caseNumberSequence from './003-case-number-sequence.ts';

export interface Migration {
  readonly name: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** Every migration in order. A migration is never edited once it has landed: add the next one. */
export const migrations: readonly Migration[] = [
  { name: '001-foundation', up: foundation.up },
  { name: '002-outbound', up: outbound.up },
  { name: '003-case-number-sequence', up: caseNumberSequence.up },
];
