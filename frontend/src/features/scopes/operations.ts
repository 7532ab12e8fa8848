import { graphql } from '../../gql';

export const ScopeFieldsFragment = graphql(`
  fragment ScopeFields on Scope {
    id
    name
    displayName
    description
    required
    emphasize
    showInDiscoveryDocument
    deprecated
    builtIn
    group
    entity
    modifier
    apiID
    sunsetAt
    replacedBy {
      id
      name
    }
  }
`);

export const ScopesDocument = graphql(`
  query Scopes($first: Int, $after: Cursor, $where: ScopeWhereInput, $orderBy: ScopeOrder) {
    scopes(first: $first, after: $after, where: $where, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...ScopeFields
          api {
            id
            name
            displayName
          }
        }
      }
    }
  }
`);

export const CreateScopeDocument = graphql(`
  mutation CreateScope($input: CreateScopeInput!) {
    createScope(input: $input) {
      ...ScopeFields
    }
  }
`);

export const UpdateScopeDocument = graphql(`
  mutation UpdateScope($id: ID!, $input: UpdateScopeInput!) {
    updateScope(id: $id, input: $input) {
      ...ScopeFields
    }
  }
`);

export const DeleteScopeDocument = graphql(`
  mutation DeleteScope($id: ID!) {
    deleteScope(id: $id)
  }
`);

export const ScopeImpactDocument = graphql(`
  query ScopeImpact($id: ID!) {
    scopeImpact(id: $id) {
      canDelete
      reason
      usedBy
      activeTokens
      clients {
        id
        name
      }
      apiKeys {
        id
        name
      }
    }
  }
`);
