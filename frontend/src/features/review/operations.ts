import { graphql } from '../../gql';

export const AccessReviewDocument = graphql(`
  query AccessReview($days: Int!) {
    accessReview(days: $days) {
      days
      since
      clients {
        client {
          id
          name
          kind
          enabled
        }
        scopes {
          ...ScopeReviewFields
        }
      }
      apiKeys {
        apiKey {
          id
          name
          prefix
          owner {
            id
            email
          }
        }
        scopes {
          ...ScopeReviewFields
        }
      }
    }
  }
`);

export const ScopeReviewFieldsFragment = graphql(`
  fragment ScopeReviewFields on ScopeReview {
    scope {
      id
      name
    }
    lastGrantedAt
    lastUsedAt
    unused
  }
`);

/** "Remove unused" sets the client's scopes to the ones still used: the Assign dialog's mutation, audited alike. */
export const RemoveUnusedScopesDocument = graphql(`
  mutation RemoveUnusedScopes($clientID: ID!, $scopeIDs: [ID!]!) {
    setClientScopes(clientID: $clientID, scopeIDs: $scopeIDs) {
      id
      scopes {
        id
      }
    }
  }
`);
