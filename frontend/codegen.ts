// GraphQL Code Generator: typed documents for every operation in src/ from
// the schema the server serves (graph/schema/*.graphql). The output
// (src/gql/) is generated on every build and not committed.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../graph/schema/*.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  errorsOnly: true,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { Time: 'string', Cursor: 'string', JSON: 'unknown', ID: 'string', Upload: 'File' },
        skipTypename: false,
        dedupeFragments: true,
      },
    },
  },
};

export default config;
