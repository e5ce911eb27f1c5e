// The lead page's timeline (Lead.timeline): one page of items, newest first.
import { graphql } from '../gql';

export const LeadTimelineDoc = graphql(`
  query LeadTimeline($id: ID!, $first: Int, $after: Cursor, $kinds: [TimelineKind!]) {
    node(id: $id) {
      __typename
      ... on Lead {
        id
        timeline(first: $first, after: $after, kinds: $kinds) {
          edges {
            cursor
            node {
              id at kind summary
              actor { id name }
              followUp { id kind outcome content nextFollowUpAt }
              stageChange { id reason from { id name } to { id name kind } lostReason { id name } }
              ownerChange { id kind by reason fromUser { id name } toUser { id name } rule { id name } }
              deal { id amount currency repurchase }
              event { name source properties }
              message { channel status reply deliveredAt repliedAt broadcast { id name } }
            }
          }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
`);
