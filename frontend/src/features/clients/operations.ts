import { graphql } from '../../gql';

export const PickerScopeFieldsFragment = graphql(`
  fragment PickerScopeFields on Scope {
    id
    name
    displayName
    description
    required
    emphasize
    deprecated
    sunsetAt
    replacedBy {
      id
      name
    }
    group
    entity
    modifier
    api {
      id
      name
      displayName
    }
  }
`);

export const ClientFieldsFragment = graphql(`
  fragment ClientFields on Client {
    id
    clientId
    name
    description
    kind
    grantTypes
    redirectURIs
    postLogoutRedirectURIs
    requirePKCE
    refreshTokens
    allowUncategorizedRead
    allowUncategorizedModify
    enabled
    createdAt
    scopes {
      ...PickerScopeFields
    }
  }
`);

export const ClientsDocument = graphql(`
  query Clients($first: Int, $after: Cursor, $where: ClientWhereInput, $orderBy: ClientOrder) {
    clients(first: $first, after: $after, where: $where, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...ClientFields
        }
      }
    }
  }
`);

export const ClientDocument = graphql(`
  query Client($id: ID!) {
    node(id: $id) {
      __typename
      ... on Client {
        ...ClientFields
      }
    }
  }
`);

export const PickerScopesDocument = graphql(`
  query PickerScopes($first: Int, $after: Cursor, $where: ScopeWhereInput) {
    scopes(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...PickerScopeFields
        }
      }
    }
  }
`);

export const CreateClientDocument = graphql(`
  mutation CreateClient($input: CreateClientInput!) {
    createClient(input: $input) {
      clientSecret
      client {
        ...ClientFields
      }
    }
  }
`);

export const UpdateClientDocument = graphql(`
  mutation UpdateClient($id: ID!, $input: UpdateClientInput!) {
    updateClient(id: $id, input: $input) {
      ...ClientFields
    }
  }
`);

export const RotateClientSecretDocument = graphql(`
  mutation RotateClientSecret($id: ID!) {
    rotateClientSecret(id: $id) {
      clientSecret
      client {
        id
        clientId
      }
    }
  }
`);

export const DeleteClientDocument = graphql(`
  mutation DeleteClient($id: ID!) {
    deleteClient(id: $id)
  }
`);

export const SetClientScopesDocument = graphql(`
  mutation SetClientScopes($clientID: ID!, $scopeIDs: [ID!]!) {
    setClientScopes(clientID: $clientID, scopeIDs: $scopeIDs) {
      ...ClientFields
    }
  }
`);
