package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/ent"
	entbroadcast "github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/wecom/wecomfake"
	"github.com/scrmhq/scrm/jobs"
)

// TestKilledWorkerMakesEachMassSendTemplateOnce is issue #22's kill test of
// the staff mass send: a worker process sends a broadcast on the wecom
// channel whose text names the lead, so each of the 240 customers of three
// members gets a template of their own; the fake WeCom makes the 80th
// template and holds its answer, and the worker is SIGKILLed right then —
// WeCom has the template, scrm has not recorded it. A new worker resumes
// (the scheduler's resume pass): WeCom ends with exactly one
// add_msg_template per (member, customers), and every delivery is SENT
// once, with the msgid of the one template that holds its customer.
func TestKilledWorkerMakesEachMassSendTemplateOnce(t *testing.T) {
	const (
		corpID, contactSecret = "wwkilltest0000001", "kill-test-contact-secret"
		n, held               = 240, 80
	)
	e := newKillEnv(t, "wecom-kill-server-secret-1")
	ctx, c := e.ctx, e.db.Client
	fake := wecomfake.New(t, corpID, contactSecret, "killtoken", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
	fake.SendOnCreate = true
	fake.HoldAnswerOf = held

	members := []string{"zhangsan", "lisi", "wangwu"}
	users := make([]*ent.User, len(members))
	for i, m := range members {
		users[i] = c.User.Create().SetName(m).SetEmail(m + "@acme.test").SetPasswordHash("x").
			SetRoles([]string{"rep"}).SetWecomUserID(m).SaveX(ctx)
	}
	ext := func(i int) string { return fmt.Sprintf("wmKILL%05d", i) }
	leads := e.leads(n, func(i int, l *ent.LeadCreate) {
		l.SetOwnerID(users[i%len(users)].ID).SetReachable([]string{"WECOM"}).SetWecomExternalUserID(ext(i))
	})
	contacts := make([]*ent.WeComContactCreate, n)
	fake.Mu.Lock()
	for i, l := range leads {
		member := members[i%len(members)]
		contacts[i] = c.WeComContact.Create().SetUserID(users[i%len(users)].ID).SetLeadID(l.ID).
			SetExternalUserID(ext(i)).SetAddedAt(time.Now())
		fake.Customers[ext(i)] = &wecomfake.Customer{ExternalUserID: ext(i), Name: l.Name,
			Follow: []wecomfake.Follow{{UserID: member, CreateTime: time.Now().Unix()}}}
	}
	fake.Mu.Unlock()
	c.WeComContact.CreateBulk(contacts...).ExecX(ctx)

	segs, svc := e.services.Segments, e.services.Broadcasts
	rule := segment.Rule{Attribute: &schematype.AttributeCondition{Key: "source", Op: "EQ", Value: "expo"}}
	seg, err := segs.Create(ctx, segment.Input{Name: "expo", Rule: &rule})
	if err != nil {
		t.Fatal(err)
	}
	if err := segs.Compute(ctx, seg.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Configure(ctx, "wecom", map[string]any{"corpId": corpID, "contactSecret": contactSecret,
		"agentId": 1000002, "baseUrl": fake.Srv.URL}, nil); err != nil {
		t.Fatal(err)
	}
	b, err := svc.Create(ctx, broadcast.Input{Name: "kill", SegmentID: seg.ID, Channel: "wecom", Template: "{{.name}}，您好：新品到了"})
	if err != nil {
		t.Fatal(err)
	}

	made := func() int { return fake.Count("/cgi-bin/externalcontact/add_msg_template") }
	one, out1 := e.worker()
	deadline := time.Now().Add(90 * time.Second)
	for made() < held {
		if time.Now().After(deadline) {
			t.Fatalf("the first worker made %d templates in 90s\n%s", made(), out1)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The held template is made in WeCom and its answer has not left: kill.
	e.kill(one)
	var recorded int
	if err := e.db.DB.QueryRow(`SELECT count(*) FROM wecom_group_msgs WHERE broadcast_id = $1 AND msgid IS NOT NULL`, b.ID).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != held-1 || made() != held {
		t.Fatalf("at the kill WeCom made %d templates and scrm recorded %d; want %d and %d", made(), recorded, held, held-1)
	}

	_, out2 := e.worker()
	e.enqueue(jobs.TypeBroadcastsResume, nil)
	deadline = time.Now().Add(120 * time.Second)
	for {
		got, err := c.Broadcast.Get(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == entbroadcast.StatusDONE {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("broadcast %s after the restart (%d templates made)\n%s", got.Status, made(), out2)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// WeCom: one template per (member, customers), each customer in one.
	perKey, msgOf := map[string]int{}, map[string]string{}
	for _, g := range fake.GroupMsgs() {
		var exts []string
		for x := range g.Results {
			exts = append(exts, x)
			if prev, ok := msgOf[x]; ok {
				t.Errorf("customer %s is in templates %s and %s", x, prev, g.MsgID)
			}
			msgOf[x] = g.MsgID
		}
		slices.Sort(exts)
		perKey[g.Sender+"|"+strings.Join(exts, ",")]++
	}
	for k, cnt := range perKey {
		if cnt != 1 {
			t.Errorf("%d templates for %s", cnt, k)
		}
	}
	if len(perKey) != n || made() != n || len(msgOf) != n {
		t.Errorf("%d distinct templates, %d add_msg_template calls, %d customers; want %d each", len(perKey), made(), len(msgOf), n)
	}
	// scrm: every delivery SENT once, carrying the msgid of its customer's template.
	rows, err := e.db.DB.Query(`SELECT l.wecom_external_user_id, d.status, d.attempts, coalesce(d.provider_message_id, '')
		FROM deliveries d JOIN leads l ON l.id = d.lead_id WHERE d.broadcast_id = $1`, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var x, st, msgid string
		var attempts int
		if err := rows.Scan(&x, &st, &attempts, &msgid); err != nil {
			t.Fatal(err)
		}
		if seen[x] || st != "SENT" || attempts != 1 || msgid != msgOf[x] {
			t.Errorf("delivery to %s: %s after %d attempts with msgid %q (WeCom's template %q; seen before: %v)", x, st, attempts, msgid, msgOf[x], seen[x])
		}
		seen[x] = true
	}
	if len(seen) != n {
		t.Errorf("%d deliveries, want %d", len(seen), n)
	}
	var groups, done int
	_ = e.db.DB.QueryRow(`SELECT count(*), count(*) FILTER (WHERE status = 'DONE') FROM wecom_group_msgs WHERE broadcast_id = $1`, b.ID).Scan(&groups, &done)
	if groups != n || done != n {
		t.Errorf("%d templates recorded, %d DONE; want %d", groups, done, n)
	}
	t.Logf("killed with template %d made and unrecorded; %d get_groupmsg_list_v2 lookups after the restart", held,
		fake.Count("/cgi-bin/externalcontact/get_groupmsg_list_v2"))
}
