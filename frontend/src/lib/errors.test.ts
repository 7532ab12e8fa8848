import { describe, expect, it } from 'vitest';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { errorCode, errorMessage, fieldErrors, splitFieldErrors, usedBy, withoutEditedFields } from './errors';

const err = (message: string, extensions: Record<string, unknown>) => new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });

describe('errors', () => {
  it('reads the code and strips urql prefixes', () => {
    const e = err('Name already taken.', { code: 'CONFLICT', field: 'name' });
    expect(errorCode(e)).toBe('CONFLICT');
    expect(errorMessage(e)).toBe('Name already taken.');
  });

  it('puts field errors beside their field and the rest above the form', () => {
    const e = new CombinedError({
      graphQLErrors: [
        new GraphQLError('Use snake_case, e.g. read_user_data.', { extensions: { code: 'VALIDATION_FAILED', field: 'input.name' } }),
        new GraphQLError('Something else.', { extensions: { code: 'VALIDATION_FAILED' } }),
      ],
    });
    const { fields, general } = splitFieldErrors(e, ['name', 'displayName']);
    expect(fields.name).toMatch(/snake_case/);
    expect(general).toBe('Something else.');
  });

  it('reads usedBy of SCOPE_IN_USE', () => {
    expect(usedBy(err('in use', { code: 'SCOPE_IN_USE', usedBy: ['client Billing', 'API key nightly'] }))).toEqual(['client Billing', 'API key nightly']);
  });
});

describe('withoutEditedFields', () => {
  const e = new CombinedError({
    graphQLErrors: [
      new GraphQLError('Name taken.', { extensions: { code: 'CONFLICT', field: 'input.name' } }),
      new GraphQLError('Too long.', { extensions: { code: 'VALIDATION_FAILED', field: 'displayName' } }),
    ],
  });
  it('drops the errors of fields edited since, keeps the others', () => {
    const left = withoutEditedFields(e, { name: 'a', displayName: 'x' }, { name: 'b', displayName: 'x' });
    expect(fieldErrors(left)).toEqual({ displayName: 'Too long.' });
    expect(withoutEditedFields(e, { name: 'a', displayName: 'x' }, { name: 'a', displayName: 'x' })).toBe(e);
    expect(withoutEditedFields(e, { name: 'a', displayName: 'x' }, { name: 'b', displayName: 'y' })).toBeNull();
  });
});
