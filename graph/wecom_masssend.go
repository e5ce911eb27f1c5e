package graph

import (
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/wecom"
)

// massSendModel is a staff mass send per member as the API shows it.
func massSendModel(ms *wecom.MassSend) *model.WeComMassSend {
	out := &model.WeComMassSend{StaffMassSend: ms.Staff, Remindable: ms.Remindable, Members: []*model.WeComMassSendMember{}}
	if ms.AutoRemindAfterMinutes > 0 {
		n := ms.AutoRemindAfterMinutes
		out.AutoRemindAfterMinutes = &n
	}
	for _, m := range ms.Members {
		out.Members = append(out.Members, &model.WeComMassSendMember{
			UserID: m.UserID, Name: m.Name, WecomUserID: m.Sender,
			Templates: m.Templates, Planned: m.Planned, Waiting: m.Waiting, Done: m.Done,
			Expired: m.Expired, Failed: m.Failed, Cancelled: m.Cancelled,
			Customers: m.Customers, Sent: m.Sent, FailedDeliveries: m.FailedDeliveries, Pending: m.Pending,
			Reminders: m.Reminders, LastRemindedAt: m.LastRemindedAt,
			AtLimit: m.AtLimit, NextReminderAt: m.NextReminderAt, AutoRemindAt: m.AutoRemindAt,
		})
	}
	return out
}
