import { graphql } from '../../gql';

export const AuditEventFieldsFragment = graphql(`
  fragment AuditEventFields on AuditEvent {
    id
    actor
    action
    targetType
    targetID
    before
    after
    at
  }
`);

export const AuditVocabularyDocument = graphql(`
  query AuditVocabulary {
    auditVocabulary {
      actions
      targetTypes
    }
  }
`);

export const AuditEventsDocument = graphql(`
  query AuditEvents($first: Int, $after: Cursor, $where: AuditEventWhereInput) {
    auditEvents(first: $first, after: $after, where: $where, orderBy: { field: AT, direction: DESC }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...AuditEventFields
        }
      }
    }
  }
`);
