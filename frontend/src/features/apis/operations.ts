import { graphql } from '../../gql';

export const ApisDocument = graphql(`
  query Apis($first: Int, $after: Cursor, $where: APIWhereInput, $orderBy: APIOrder) {
    apis(first: $first, after: $after, where: $where, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          name
          displayName
          description
          basePath
          builtIn
          scopes(first: 0) {
            totalCount
          }
        }
      }
    }
  }
`);

export const ApiDocument = graphql(`
  query Api($id: ID!) {
    node(id: $id) {
      __typename
      ... on API {
        id
        name
        displayName
        description
        basePath
        builtIn
        createdAt
        updatedAt
        identifier
        resourceIdentifier
        resourceMetadataURL
        accessTokenFormat
        jwtLifetime
      }
    }
  }
`);

export const CreateApiDocument = graphql(`
  mutation CreateApi($input: CreateAPIInput!) {
    createAPI(input: $input) {
      id
      name
      displayName
      description
      basePath
      builtIn
      identifier
      resourceIdentifier
      accessTokenFormat
      jwtLifetime
    }
  }
`);

export const UpdateApiDocument = graphql(`
  mutation UpdateApi($id: ID!, $input: UpdateAPIInput!) {
    updateAPI(id: $id, input: $input) {
      id
      name
      displayName
      description
      basePath
      builtIn
      identifier
      resourceIdentifier
      accessTokenFormat
      jwtLifetime
    }
  }
`);

export const DeleteApiDocument = graphql(`
  mutation DeleteApi($id: ID!) {
    deleteAPI(id: $id)
  }
`);

/** What deleting an API takes with it: its scopes, and those of them assigned to clients. */
export const ApiDeleteImpactDocument = graphql(`
  query ApiDeleteImpact($apiID: ID!) {
    all: scopes(first: 1, where: { apiID: $apiID }) {
      totalCount
    }
    inUse: scopes(first: 20, where: { apiID: $apiID, hasClients: true }, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      edges {
        node {
          id
          name
          clients(first: 5) {
            totalCount
            edges {
              node {
                id
                name
              }
            }
          }
        }
      }
    }
  }
`);
