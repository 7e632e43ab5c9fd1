import { describe, expect, it } from 'vitest';
import { check } from './json-schema-check.ts';

const document = {
  components: {
    schemas: {
      Movie: {
        type: 'object',
        properties: { id: { type: 'integer' }, title: { type: 'string', minLength: 1 } },
        required: ['id', 'title'],
      },
    },
  },
};
const list = {
  type: 'object',
  properties: {
    movies: { type: 'array', items: { $ref: '#/components/schemas/Movie' } },
    total: { anyOf: [{ type: 'number' }, { type: 'null' }] },
    kind: { type: 'string', enum: ['a', 'b'] },
    counts: { type: 'object', additionalProperties: { type: 'number' } },
  },
  required: ['movies'],
};

describe('the contract tests’ JSON Schema checker', () => {
  it('accepts a body that fits, through $ref, anyOf, enum and records', () => {
    const body = { movies: [{ id: 1, title: 'Heat' }], total: null, kind: 'a', counts: { x: 1 } };
    expect(check(document, body, list)).toEqual([]);
  });

  it('names each problem with where it is', () => {
    const body = {
      movies: [{ id: 1.5, title: '' }, { title: 'Alien' }],
      total: 'many',
      kind: 'c',
      counts: { x: 'one' },
      extra: true,
    };
    expect(check(document, body, list)).toEqual([
      '$.movies[0].id: expected "integer", got number',
      '$.movies[0].title: shorter than 1',
      '$.movies[1].id: required, missing',
      '$.total: fits 0 of the anyOf options',
      '$.kind: "c" is not one of ["a","b"]',
      '$.counts.x: expected "number", got string',
      '$.extra: not in the document',
    ]);
  });
});
