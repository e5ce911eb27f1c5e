package notices

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/internal/apperr"
)

// MaxPage is the most notifications one page lists.
const MaxPage = 200

// maxKinds bounds the kinds of one filter; there are about a dozen kinds.
const maxKinds = 50

// Filter narrows a user's notifications: the unread ones, those of some
// kinds (any kind when empty).
type Filter struct {
	UnreadOnly bool
	Kinds      []string
}

// Inbox is the query of user's own notifications that f keeps, on c (whose
// interceptors add the workspace). A kind longer than a kind can be, or too
// many kinds, is refused at kinds.
func Inbox(c *ent.Client, user uuid.UUID, f Filter) (*ent.NotificationQuery, error) {
	if len(f.Kinds) > maxKinds {
		return nil, apperr.Input("kinds", "at most %d kinds", maxKinds)
	}
	for i, k := range f.Kinds {
		if k == "" || len([]rune(k)) > 100 {
			return nil, apperr.Input(fmt.Sprintf("kinds[%d]", i), "not a kind of notification")
		}
	}
	q := c.Notification.Query().Where(notification.UserID(user))
	if f.UnreadOnly {
		q.Where(notification.ReadAtIsNil())
	}
	if len(f.Kinds) > 0 {
		q.Where(notification.KindIn(f.Kinds...))
	}
	return q, nil
}

// Unread counts user's unread notifications.
func Unread(ctx context.Context, c *ent.Client, user uuid.UUID) (int, error) {
	n, err := c.Notification.Query().Where(notification.UserID(user), notification.ReadAtIsNil()).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("notices: unread: %w", err)
	}
	return n, nil
}

// MarkRead marks user's unread notifications of ids read at now (all of
// them when ids is nil) and returns how many changed. Ids of anyone else's
// notifications change nothing.
func MarkRead(ctx context.Context, c *ent.Client, user uuid.UUID, ids []uuid.UUID, now time.Time) (int, error) {
	u := c.Notification.Update().Where(notification.UserID(user), notification.ReadAtIsNil())
	if ids != nil {
		u.Where(notification.IDIn(ids...))
	}
	n, err := u.SetReadAt(now).Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("notices: mark read: %w", err)
	}
	return n, nil
}
