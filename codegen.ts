import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed GraphQL operations for the console, generated from the server's schema files.
const config: CodegenConfig = {
  schema: 'graph/schema/*.graphql',
  documents: ['frontend/src/**/*.{ts,tsx}', '!frontend/src/gql/**/*'],
  ignoreNoDocuments: true,
  generates: {
    'frontend/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        skipTypename: false,
        scalars: {
          Time: 'string',
          Cursor: 'string',
          Map: 'Record<string, unknown>',
        },
      },
    },
  },
};

export default config;
