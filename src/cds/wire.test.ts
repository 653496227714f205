/**
 * The outbound schemas of wire.ts describe the OpenAPI document's cards and discovery; the service
 * builds those from the TypeScript types of src/cop/card-types.ts. The type checks below fail
 * `tsc` when a type and its schema part (a field added, dropped or retyped on one side only).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  actionSchema, cardSchema, cdsResponseSchema, codingSchema, discoveryServiceSchema, hookRequestSchema, linkSchema, suggestionSchema,
  type Action, type Card, type CdsResponse, type Coding, type DiscoveryService, type Link, type Suggestion,
} from './wire.js';

const example = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8'));

describe('outbound schemas and the types the service builds', () => {
  it('are the same shapes', () => {
    expectTypeOf<z.output<typeof codingSchema>>().toEqualTypeOf<Coding>();
    expectTypeOf<z.output<typeof actionSchema>>().toEqualTypeOf<Action>();
    expectTypeOf<z.output<typeof suggestionSchema>>().toEqualTypeOf<Suggestion>();
    expectTypeOf<z.output<typeof linkSchema>>().toEqualTypeOf<Link>();
    expectTypeOf<z.output<typeof cardSchema>>().toEqualTypeOf<Card>();
    expectTypeOf<z.output<typeof cdsResponseSchema>>().toEqualTypeOf<CdsResponse>();
    expectTypeOf<z.output<typeof discoveryServiceSchema>>().toEqualTypeOf<DiscoveryService>();
  });

  it('accept a response the service produced', () => {
    expect(cdsResponseSchema.safeParse(example('order-select-response.json')).error?.issues).toBeUndefined();
  });
});

describe('hookInstance', () => {
  // One string schema with min(1) after its other checks gives the issues that checking in two
  // steps (max and control characters, then min) gave: the 400 answers do not change.
  it.each([
    ['', ['Too small: expected string to have >=1 characters']],
    ['\u0000', ['must not contain control characters']],
    ['x'.repeat(257), ['Too big: expected string to have <=256 characters']],
    ['\u0000'.repeat(257), ['Too big: expected string to have <=256 characters', 'must not contain control characters']],
    [5, ['Invalid input: expected string, received number']],
  ])('%j', (hookInstance, messages) => {
    const result = hookRequestSchema.safeParse({ hook: 'order-sign', hookInstance, context: {} });
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual(messages.map((m) => ['hookInstance', m]));
  });
});
