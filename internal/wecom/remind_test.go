package wecom_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
)

// TestMassSendRemind: admins remind the members who have not sent their
// mass-send templates (remind_groupmsg_send), within WeCom's limit of three
// reminders of a template in 24 hours; the automatic reminder is queued
// through the outbox when the template is made and reminds once; a
// broadcast on another channel, not started or finished is refused and
// nothing reaches WeCom.
func TestMassSendRemind(t *testing.T) {
	api, admin, fake, created, _, seg := massSendFixture(t)
	ctx := tenant.NewContext(context.Background(), created.Workspace.ID)
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "agentId": 1000002, "baseUrl": fake.Srv.URL, "massSendRemindAfterMinutes": 30}}, nil)
	const remind = `mutation($id: ID!){ remindWeComMassSend(broadcastID: $id) { reminded alreadySent atLimit refused errors } }`
	reminders := func(sender string) int {
		t.Helper()
		for _, m := range fake.GroupMsgs() {
			if m.Sender == sender {
				return len(m.Reminders)
			}
		}
		t.Fatalf("no template of %s", sender)
		return 0
	}
	refused := func(what, id, code, field, says string) {
		t.Helper()
		r := api.Do(admin, remind, map[string]any{"id": id})
		if len(r.Errors) != 1 || r.Errors[0].Code() != code || r.Errors[0].Field() != field || !strings.Contains(r.Errors[0].Message, says) {
			t.Errorf("%s: %+v, want %s at %q saying %q", what, r.Errors, code, field, says)
		}
	}

	// Refusals: another channel, a mass send not started.
	api.MustDo(admin, `mutation { configureChannel(key:"webhook", config:{url:"https://hooks.example.com/a", secret:"a-webhook-secret-0123"}) { id } }`, nil, nil)
	var other, later struct{ CreateBroadcast struct{ ID string } }
	api.MustDo(admin, `mutation($s: ID!){ createBroadcast(input:{name: "钩子", segmentID: $s, channel: "webhook", template: "hi", scheduledAt: "2099-01-01T00:00:00Z"}) { id } }`,
		map[string]any{"s": seg.CreateSegment.ID}, &other)
	api.MustDo(admin, `mutation($s: ID!){ createBroadcast(input:{name: "以后", segmentID: $s, channel: "wecom", template: "以后再说", scheduledAt: "2099-01-01T00:00:00Z"}) { id } }`,
		map[string]any{"s": seg.CreateSegment.ID}, &later)
	refused("a webhook broadcast", other.CreateBroadcast.ID, "BAD_USER_INPUT", "broadcastID", "wecom channel")
	refused("a scheduled mass send", later.CreateBroadcast.ID, "CONFLICT", "broadcastID", "has not started")
	refused("an unknown broadcast", gid.Encode(gid.New(gid.Broadcast)), "NOT_FOUND", "broadcastID", "no such broadcast")

	var bc struct{ CreateBroadcast struct{ ID string } }
	api.MustDo(admin, `mutation($s: ID!){ createBroadcast(input: {name: "提醒", segmentID: $s, channel: "wecom", template: "周末特惠"}) { id } }`,
		map[string]any{"s": seg.CreateSegment.ID}, &bc)
	api.WaitIdle()
	if msgs := fake.GroupMsgs(); len(msgs) != 2 {
		t.Fatalf("templates %+v, want one per member", msgs)
	}
	if n := fake.Count("/cgi-bin/externalcontact/remind_groupmsg_send"); n != 0 {
		t.Fatalf("%d reminders before anyone asked (the refusals reached WeCom?)", n)
	}
	// The automatic reminders were written to the outbox with the templates,
	// due 30 minutes after them.
	templates := map[string]uuid.UUID{}
	rows, err := api.DB.DB.Query(`SELECT g.sender, g.id, o.process_at FROM wecom_group_msgs g
		JOIN outbox_tasks o ON o.task_type = 'wecom:remind' AND o.task_id = 'wecom:remind:' || g.id::text
		WHERE g.broadcast_id = $1`, mustDecode(t, bc.CreateBroadcast.ID))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var sender string
		var id uuid.UUID
		var due time.Time
		if err := rows.Scan(&sender, &id, &due); err != nil {
			t.Fatal(err)
		}
		if d := due.Sub(api.Clock.Now()); d < 29*time.Minute || d > 31*time.Minute {
			t.Errorf("%s's reminder is due in %s, want 30 minutes", sender, d)
		}
		templates[sender] = id
	}
	rows.Close()
	if len(templates) != 2 {
		t.Fatalf("automatic reminders queued for %v, want zhangsan's and lisi's templates", templates)
	}

	// zhangsan sends; half an hour later the reminders run: lisi is
	// reminded, zhangsan is not, and a rerun of the task reminds nobody.
	fake.Confirm("zhangsan")
	api.Clock.Advance(31 * time.Minute)
	for _, who := range []string{"zhangsan", "lisi", "lisi"} {
		if _, err := api.Services.WeCom.AutoRemind(ctx, templates[who]); err != nil {
			t.Fatalf("automatic reminder of %s: %v", who, err)
		}
	}
	if z, l := reminders("zhangsan"), reminders("lisi"); z != 0 || l != 1 {
		t.Errorf("after the automatic reminders: zhangsan %d, lisi %d; want 0 and 1", z, l)
	}

	// The admin reminds twice: lisi's template reaches WeCom's three.
	for i := 0; i < 2; i++ {
		var out struct {
			RemindWeComMassSend struct {
				Reminded, AlreadySent, AtLimit, Refused int
			}
		}
		api.MustDo(admin, remind, map[string]any{"id": bc.CreateBroadcast.ID}, &out)
		if r := out.RemindWeComMassSend; r.Reminded != 1 || r.AlreadySent != 1 || r.AtLimit != 0 || r.Refused != 0 {
			t.Errorf("reminder %d: %+v, want lisi reminded and zhangsan's already sent", i+1, r)
		}
	}
	refused("a fourth reminder within 24 hours", bc.CreateBroadcast.ID, "LIMIT_EXCEEDED", "broadcastID", "3 reminders of a mass message in 24 hours")
	if l := reminders("lisi"); l != 3 {
		t.Errorf("lisi reminded %d times, want 3", l)
	}
	var recorded int
	_ = api.DB.DB.QueryRow(`SELECT jsonb_array_length(reminded_at) FROM wecom_group_msgs WHERE id = $1`, templates["lisi"]).Scan(&recorded)
	if recorded != 3 {
		t.Errorf("reminders recorded on lisi's template: %d, want 3", recorded)
	}
	// A day after the first reminder, one more is allowed.
	api.Clock.Advance(24*time.Hour + time.Minute)
	admin = api.Login("acme", "admin@acme.test", "password-acme") // the session expired meanwhile
	var out struct{ RemindWeComMassSend struct{ Reminded int } }
	api.MustDo(admin, remind, map[string]any{"id": bc.CreateBroadcast.ID}, &out)
	if out.RemindWeComMassSend.Reminded != 1 || reminders("lisi") != 4 {
		t.Errorf("a day later: reminded %d, lisi's reminders %d; want 1 and 4", out.RemindWeComMassSend.Reminded, reminders("lisi"))
	}

	// Cancelled: nothing left to remind.
	api.MustDo(admin, `mutation($id: ID!){ cancelBroadcast(id: $id) { status } }`, map[string]any{"id": bc.CreateBroadcast.ID}, nil)
	api.WaitIdle()
	calls := fake.Count("/cgi-bin/externalcontact/remind_groupmsg_send")
	refused("a cancelled mass send", bc.CreateBroadcast.ID, "CONFLICT", "broadcastID", "CANCELLED")
	if _, err := api.Services.WeCom.AutoRemind(ctx, templates["lisi"]); err != nil {
		t.Fatal(err)
	}
	if n := fake.Count("/cgi-bin/externalcontact/remind_groupmsg_send"); n != calls {
		t.Errorf("%d reminders after the cancel", n-calls)
	}
}
