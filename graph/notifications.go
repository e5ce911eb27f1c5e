package graph

import (
	"entgo.io/contrib/entgql"

	"github.com/scrmhq/scrm/ent"
)

// notificationsNewestFirst is the order of notificationPage (ties by id).
var notificationsNewestFirst = &ent.NotificationOrder{Direction: entgql.OrderDirectionDesc, Field: ent.NotificationOrderFieldCreatedAt}
