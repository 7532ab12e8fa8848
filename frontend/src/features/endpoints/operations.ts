import { graphql } from '../../gql';

export const EndpointsDocument = graphql(`
  query Endpoints($first: Int, $after: Cursor, $where: EndpointWhereInput, $orderBy: EndpointOrder) {
    endpoints(first: $first, after: $after, where: $where, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          method
          path
          scopes {
            id
            name
          }
        }
      }
    }
  }
`);

export const CreateEndpointDocument = graphql(`
  mutation CreateEndpoint($input: CreateEndpointInput!) {
    createEndpoint(input: $input) {
      id
      method
      path
      scopes {
        id
        name
      }
    }
  }
`);

export const UpdateEndpointDocument = graphql(`
  mutation UpdateEndpoint($id: ID!, $input: UpdateEndpointInput!) {
    updateEndpoint(id: $id, input: $input) {
      id
      method
      path
      scopes {
        id
        name
      }
    }
  }
`);

export const DeleteEndpointDocument = graphql(`
  mutation DeleteEndpoint($id: ID!) {
    deleteEndpoint(id: $id)
  }
`);

export const ImportOpenApiDocument = graphql(`
  mutation ImportOpenAPI($apiID: ID!, $document: String!, $dryRun: Boolean!) {
    importOpenAPI(apiID: $apiID, document: $document, dryRun: $dryRun) {
      applied
      notes
      endpoints {
        action
        method
        path
        scopes
        addScopes
      }
      scopes {
        action
        name
        proposed
      }
    }
  }
`);
