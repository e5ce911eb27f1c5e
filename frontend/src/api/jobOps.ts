// The jobs page (后台任务): the jobs the caller sees, newest first, paged.
import { graphql } from '../gql';

export const JobsDoc = graphql(`
  query Jobs($kinds: [JobKind!], $statuses: [JobStatus!], $first: Int, $after: Cursor) {
    jobs(kinds: $kinds, statuses: $statuses, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id kind status total done failed error createdAt startedAt finishedAt resultURL createdBy { id name } } }
    }
  }
`);
