package graph

import (
	"time"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/notices"
)

// notificationsNewestFirst is the order of notificationPage (ties by id).
var notificationsNewestFirst = &ent.NotificationOrder{Direction: entgql.OrderDirectionDesc, Field: ent.NotificationOrderFieldCreatedAt}

// notificationPageSize checks notificationPage's first and after: first 0
// to notices.MaxPage (50 when null), after a cursor of this list (a
// creation time beside the id; a cursor of another list, e.g. a duplicate
// group's, carries something else).
func notificationPageSize(first *int, after *entgql.Cursor[uuid.UUID]) (int, error) {
	n := defaultPageSize
	if first != nil {
		if *first < 0 || *first > notices.MaxPage {
			return 0, apperr.Input("first", "first must be between 0 and %d", notices.MaxPage)
		}
		n = *first
	}
	if after != nil {
		if _, ok := after.Value.(time.Time); !ok || after.ID == uuid.Nil {
			return 0, apperr.Input("after", "after is not a cursor of this list")
		}
	}
	return n, nil
}
