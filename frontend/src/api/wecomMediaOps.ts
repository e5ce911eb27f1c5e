// The WeCom media library (素材库): the workspace's stored media, newest
// first, with who uploaded each, whether WeCom refused it (uploadError) and
// what live codes and broadcasts use it;
// and deleting one (refused with extensions.usedBy while something uses it).
import { graphql } from '../gql';

export const WeComMediaPageDoc = graphql(`
  query WeComMediaPage($kind: WeComMediaType, $first: Int, $after: Cursor) {
    weComMedia(kind: $kind, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node { id type filename size createdAt uploadedBy { id name } uploadError { code message at } }
        usedBy { kind id name }
      }
    }
  }
`);

export const DeleteWeComMediaDoc = graphql(`
  mutation DeleteWeComMedia($id: ID!) {
    deleteWeComMedia(id: $id)
  }
`);
