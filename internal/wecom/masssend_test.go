package wecom_test

import (
	"context"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/tenant"
)

// TestMassSendStatus: weComMassSend shows a staff mass send per sending
// member — templates waiting for the member or sent, their customers'
// deliveries, reminders, WeCom's limit and the automatic reminder's time —
// and a rep granted broadcast read sees their own row only.
func TestMassSendStatus(t *testing.T) {
	api, admin, fake, created, _, seg := massSendFixture(t)
	ctx := tenant.NewContext(context.Background(), created.Workspace.ID)
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "agentId": 1000002, "baseUrl": fake.Srv.URL, "massSendRemindAfterMinutes": 30}}, nil)
	var bc struct{ CreateBroadcast struct{ ID string } }
	api.MustDo(admin, `mutation($s: ID!){ createBroadcast(input: {name: "进度", segmentID: $s, channel: "wecom", template: "本周活动"}) { id } }`,
		map[string]any{"s": seg.CreateSegment.ID}, &bc)
	api.WaitIdle()
	id := mustDecode(t, bc.CreateBroadcast.ID)
	made := api.Clock.Now()

	type member struct {
		Name, WecomUserID                                             string
		Templates, Planned, Waiting, Done, Expired, Failed, Cancelled int
		Customers, Sent, FailedDeliveries, Pending, Reminders         int
		AtLimit                                                       bool
		LastRemindedAt, NextReminderAt, AutoRemindAt                  *time.Time
	}
	type status struct {
		StaffMassSend, Remindable bool
		AutoRemindAfterMinutes    *int
		Members                   []member
	}
	const q = `query($id: ID!){ weComMassSend(broadcastID: $id) { staffMassSend remindable autoRemindAfterMinutes members {
		name wecomUserID templates planned waiting done expired failed cancelled customers sent failedDeliveries pending
		reminders atLimit lastRemindedAt nextReminderAt autoRemindAt } } }`
	read := func(token string) status {
		t.Helper()
		var out struct{ WeComMassSend status }
		api.MustDo(token, q, map[string]any{"id": bc.CreateBroadcast.ID}, &out)
		return out.WeComMassSend
	}
	near := func(got *time.Time, want time.Time) bool {
		return got != nil && got.Sub(want) < 2*time.Minute && want.Sub(*got) < 2*time.Minute
	}

	st := read(admin)
	if !st.StaffMassSend || !st.Remindable || st.AutoRemindAfterMinutes == nil || *st.AutoRemindAfterMinutes != 30 || len(st.Members) != 2 {
		t.Fatalf("status = %+v", st)
	}
	lisi, zhang := st.Members[0], st.Members[1]
	if lisi.Name != "lisi" || lisi.WecomUserID != "lisi" || lisi.Templates != 1 || lisi.Waiting != 1 || lisi.Customers != 2 || lisi.Pending != 2 ||
		lisi.Sent != 0 || lisi.Reminders != 0 || lisi.AtLimit || !near(lisi.AutoRemindAt, made.Add(30*time.Minute)) {
		t.Errorf("lisi before anyone sends = %+v", lisi)
	}
	if zhang.Name != "zhangsan" || zhang.Waiting != 1 || zhang.Customers != 3 || zhang.Pending != 3 {
		t.Errorf("zhangsan before anyone sends = %+v", zhang)
	}

	// zhangsan sends: his template is done, two customers got it and one had
	// a mass message today already.
	fake.Confirm("zhangsan")
	api.Clock.Advance(2 * time.Minute)
	if err := api.Services.Broadcasts.Send(ctx, id); err != nil {
		t.Fatal(err)
	}
	// lisi is reminded three times: WeCom's limit, until a day after the first.
	const remind = `mutation($id: ID!){ remindWeComMassSend(broadcastID: $id) { reminded } }`
	first := api.Clock.Now()
	for i := 0; i < 3; i++ {
		api.MustDo(admin, remind, map[string]any{"id": bc.CreateBroadcast.ID}, nil)
		api.Clock.Advance(time.Minute)
	}
	st = read(admin)
	lisi, zhang = st.Members[0], st.Members[1]
	if zhang.Waiting != 0 || zhang.Done != 1 || zhang.Sent != 2 || zhang.FailedDeliveries != 1 || zhang.Pending != 0 ||
		zhang.AtLimit || zhang.AutoRemindAt != nil || zhang.Reminders != 0 {
		t.Errorf("zhangsan after sending = %+v", zhang)
	}
	if lisi.Waiting != 1 || lisi.Reminders != 3 || !lisi.AtLimit || !near(lisi.NextReminderAt, first.Add(24*time.Hour)) ||
		!near(lisi.LastRemindedAt, first.Add(2*time.Minute)) || lisi.AutoRemindAt != nil {
		t.Errorf("lisi after three reminders = %+v", lisi)
	}

	// A rep sees nothing without broadcast read, and with it their own row.
	rep := api.Login("acme", "zhangsan@acme.test", "rep-password")
	if r := api.Do(rep, q, map[string]any{"id": bc.CreateBroadcast.ID}); len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("a rep without broadcast read: %+v", r.Errors)
	}
	api.MustDo(admin, `mutation { grantPermission(role:"rep", resource:"broadcast", action:"read") }`, nil, nil)
	if st := read(rep); len(st.Members) != 1 || st.Members[0].Name != "zhangsan" {
		t.Errorf("zhangsan sees %+v, want his own row only", st.Members)
	}

	// Another channel's broadcast is no mass send; a cancelled one is not remindable.
	api.MustDo(admin, `mutation { configureChannel(key:"webhook", config:{url:"https://hooks.example.com/a", secret:"a-webhook-secret-0123"}) { id } }`, nil, nil)
	var other struct{ CreateBroadcast struct{ ID string } }
	api.MustDo(admin, `mutation($s: ID!){ createBroadcast(input:{name: "钩子", segmentID: $s, channel: "webhook", template: "hi", scheduledAt: "2099-01-01T00:00:00Z"}) { id } }`,
		map[string]any{"s": seg.CreateSegment.ID}, &other)
	if r := api.Do(admin, q, map[string]any{"id": other.CreateBroadcast.ID}); len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "broadcastID" {
		t.Errorf("a webhook broadcast: %+v", r.Errors)
	}
	api.MustDo(admin, `mutation($id: ID!){ cancelBroadcast(id: $id) { status } }`, map[string]any{"id": bc.CreateBroadcast.ID}, nil)
	api.WaitIdle()
	if st := read(admin); st.Remindable || st.Members[0].Waiting != 0 || st.Members[0].Cancelled != 1 {
		t.Errorf("after the cancel = %+v", st)
	}
}
