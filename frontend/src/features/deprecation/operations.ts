import { graphql } from '../../gql';

export const MigrateScopeHoldersDocument = graphql(`
  mutation MigrateScopeHolders($from: ID!, $to: ID!, $dryRun: Boolean!) {
    migrateScopeHolders(fromScopeID: $from, toScopeID: $to, dryRun: $dryRun) {
      applied
      from {
        id
        name
      }
      to {
        id
        name
      }
      steps {
        kind
        id
        name
        action
        scopesBefore
        scopesAfter
      }
    }
  }
`);
