// Duplicate review (#24): groups of suspected duplicates and their merge.
import { graphql } from '../gql';

export const DuplicateGroupsDoc = graphql(`
  query DuplicateGroups($kind: DuplicateKind!, $first: Int, $after: Cursor) {
    duplicateGroups(kind: $kind, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          kind key count newestAt version
          leads { id name phone email company source status score createdAt owner { id name } stage { id name } }
        }
      }
    }
  }
`);

export const MergeLeadsDoc = graphql(`
  mutation MergeLeads($primaryID: ID!, $duplicateIDs: [ID!]!) {
    mergeLeads(primaryID: $primaryID, duplicateIDs: $duplicateIDs) { id name status }
  }
`);

// 不是重复: the group's leads are different people; restore is the undo.
// version is the group as the page read it: a group that changed since is
// refused (CONFLICT at version), not dismissed unseen.
export const DismissDuplicateGroupDoc = graphql(`
  mutation DismissDuplicateGroup($kind: DuplicateKind!, $leadIDs: [ID!]!, $version: String) {
    dismissDuplicateGroup(kind: $kind, leadIDs: $leadIDs, version: $version)
  }
`);

// The undo passes the version dismissed: a group dismissed again since as
// more leads (by someone else, after a lead joined) is refused (CONFLICT at
// version), not brought back unseen.
export const RestoreDuplicateGroupDoc = graphql(`
  mutation RestoreDuplicateGroup($kind: DuplicateKind!, $leadIDs: [ID!]!, $version: String) {
    restoreDuplicateGroup(kind: $kind, leadIDs: $leadIDs, version: $version)
  }
`);
