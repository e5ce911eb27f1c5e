// The notifications page (通知): the caller's own, paged and filtered, and
// the unread count the header bell shows.
import { graphql } from '../gql';

export const NotificationPageDoc = graphql(`
  query NotificationPage($unreadOnly: Boolean, $kinds: [String!], $first: Int, $after: Cursor) {
    notificationPage(unreadOnly: $unreadOnly, kinds: $kinds, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id kind message createdAt readAt lead { id name } task { id } } }
    }
    unreadNotificationCount
  }
`);

export const UnreadNotificationCountDoc = graphql(`
  query UnreadNotificationCount {
    unreadNotificationCount
  }
`);

/** The caller's new notifications, pushed; the first event (notification null) is a resync. */
export const NotificationAddedDoc = graphql(`
  subscription NotificationAdded {
    notificationAdded {
      unreadCount
      notification { id kind message createdAt readAt lead { id name } task { id } }
    }
  }
`);
