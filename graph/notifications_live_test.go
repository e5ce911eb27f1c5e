package graph_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/tenant"
)

// wsDeadline bounds every wait on a socket: a push crosses the outbox, the
// relay, Asynq, Redis and the other process's feed.
const wsDeadline = 15 * time.Second

// wsMsg is a graphql-transport-ws message.
type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// liveSocket is a graphql-transport-ws client (the protocol of the npm
// graphql-ws package the web app uses).
type liveSocket struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialLive opens a socket to api's /graphql and sends connection_init with
// payload; it returns the socket and the first message (connection_ack on
// success).
func dialLive(t *testing.T, api *apitest.API, payload map[string]any) (*liveSocket, wsMsg, error) {
	t.Helper()
	return dialLiveWith(t, api, nil, payload)
}

// dialLiveWith is dialLive with headers on the upgrade request.
func dialLiveWith(t *testing.T, api *apitest.API, header http.Header, payload map[string]any) (*liveSocket, wsMsg, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsDeadline)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(api.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	s := &liveSocket{t: t, conn: conn}
	raw, _ := json.Marshal(payload)
	s.send(wsMsg{Type: "connection_init", Payload: raw})
	m, err := s.read()
	return s, m, err
}

func (s *liveSocket) send(m wsMsg) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsDeadline)
	defer cancel()
	if err := wsjson.Write(ctx, s.conn, m); err != nil {
		s.t.Fatal(err)
	}
}

// read returns the next message other than pings and pongs, or the error
// (a websocket.CloseError when the server closed the socket).
func (s *liveSocket) read() (wsMsg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wsDeadline)
	defer cancel()
	for {
		var m wsMsg
		if err := wsjson.Read(ctx, s.conn, &m); err != nil {
			return m, err
		}
		if m.Type != "ping" && m.Type != "pong" {
			return m, nil
		}
	}
}

const notificationAdded = `subscription { notificationAdded { unreadCount notification { id kind message lead { id name } } } }`

type notificationEvent struct {
	UnreadCount  int
	Notification *struct {
		ID, Kind, Message string
		Lead              *struct{ ID, Name string }
	}
}

// subscribe starts notificationAdded as operation id and returns its first
// event (the resync: the unread count, no notification).
func (s *liveSocket) subscribe(id string) notificationEvent {
	s.t.Helper()
	raw, _ := json.Marshal(map[string]any{"query": notificationAdded})
	s.send(wsMsg{ID: id, Type: "subscribe", Payload: raw})
	e := s.next(id)
	if e.Notification != nil {
		s.t.Fatalf("first event carries a notification: %+v", e.Notification)
	}
	return e
}

// next returns operation id's next event, failing on anything else.
func (s *liveSocket) next(id string) notificationEvent {
	s.t.Helper()
	m, err := s.read()
	if err != nil {
		s.t.Fatalf("read event: %v", err)
	}
	if m.Type != "next" || m.ID != id {
		s.t.Fatalf("got %s %s: %s, want next %s", m.Type, m.ID, m.Payload, id)
	}
	var out struct {
		Data   struct{ NotificationAdded notificationEvent }
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(m.Payload, &out); err != nil {
		s.t.Fatal(err)
	}
	if len(out.Errors) > 0 {
		s.t.Fatalf("event errors: %+v", out.Errors)
	}
	return out.Data.NotificationAdded
}

// TestNotificationsPushedAcrossProcesses runs Subscription.notificationAdded
// on a second api process sharing the database and Redis: a task the
// admin gives the rep through the first process reaches the rep's socket on
// the second with the unread count; the analyst's socket gets only the
// analyst's own notification; a notification whose transaction rolled back
// is never announced.
func TestNotificationsPushedAcrossProcesses(t *testing.T) {
	one := apitest.New(t)
	acme, admin := one.Workspace("acme")
	repID, rep, analyst := repAndAnalyst(t, one, admin)
	two := apitest.Start(t, one.DB, one.Redis, one.Clock)

	repSock, ack, err := dialLive(t, two, map[string]any{"Authorization": "Bearer " + rep})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("rep's connection_init: %v %+v", err, ack)
	}
	if first := repSock.subscribe("1"); first.UnreadCount != 0 {
		t.Fatalf("rep starts with %d unread", first.UnreadCount)
	}
	anaSock, _, err := dialLive(t, two, map[string]any{"Authorization": "Bearer " + analyst})
	if err != nil {
		t.Fatal(err)
	}
	anaSock.subscribe("a")

	const createTask = `mutation($in: CreateTaskInput!){ createTask(input:$in){ id } }`
	leadID := seedLeads(t, one, acme, 1)[0]
	var me struct{ Me struct{ ID string } }
	one.MustDo(rep, `{ me { id } }`, nil, &me)
	due := one.Clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	one.MustDo(admin, createTask, map[string]any{"in": map[string]any{
		"title": "回访王五", "dueAt": due, "assigneeID": me.Me.ID, "leadID": leadID}}, nil)

	got := repSock.next("1")
	if got.Notification == nil || got.Notification.Kind != "task.assigned" || got.UnreadCount != 1 ||
		!strings.Contains(got.Notification.Message, "回访王五") {
		t.Fatalf("rep got %+v (notification %+v)", got, got.Notification)
	}
	// Read as the notifications query reads it for the rep (the lead's row
	// scope and masking included).
	var listed struct {
		Notifications []struct {
			ID, Kind, Message string
			Lead              *struct{ ID, Name string }
		}
	}
	one.MustDo(rep, `{ notifications(first: 1) { id kind message lead { id name } } }`, nil, &listed)
	if pushed, _ := json.Marshal(got.Notification); len(listed.Notifications) != 1 || string(pushed) != string(must(json.Marshal(listed.Notifications[0]))) {
		t.Fatalf("pushed %s, the query lists %+v", pushed, listed.Notifications)
	}

	// The analyst's own task comes next on its socket: the rep's, announced
	// before it, would have come first had it leaked.
	var ana struct{ Me struct{ ID string } }
	one.MustDo(analyst, `{ me { id } }`, nil, &ana)
	one.MustDo(admin, createTask, map[string]any{"in": map[string]any{
		"title": "看报表", "dueAt": due, "assigneeID": ana.Me.ID}}, nil)
	if e := anaSock.next("a"); e.Notification == nil || !strings.Contains(e.Notification.Message, "看报表") || e.UnreadCount != 1 {
		t.Fatalf("analyst got %+v (notification %+v)", e, e.Notification)
	}

	// A rolled back notification, queued for delivery in its transaction
	// as every writer does, then a committed one: the rep sees only the
	// second.
	ctx := tenant.NewContext(context.Background(), acme.Workspace.ID)
	write := func(msg string, commit bool) { writeNote(t, one, acme.Workspace.ID, repID, msg, commit) }
	// Redis itself carries nothing of the rolled back one either.
	raw := one.Redis.Client.Subscribe(ctx, notices.Channel(repID))
	defer raw.Close()
	if _, err := raw.Receive(ctx); err != nil { // the confirmation
		t.Fatal(err)
	}
	write("rolled back", false)
	write("committed", true)
	rctx, cancel := context.WithTimeout(ctx, wsDeadline)
	defer cancel()
	if m, err := raw.ReceiveMessage(rctx); err != nil || !strings.Contains(m.Payload, `"committed"`) {
		t.Fatalf("the first announcement on Redis after the rollback: %v %v", m, err)
	}
	if e := repSock.next("1"); e.Notification == nil || e.Notification.Message != "committed" || e.UnreadCount != 2 {
		t.Fatalf("after a rollback and a commit the rep got %+v (notification %+v)", e, e.Notification)
	}

	// Marked read through the first process (another tab): the socket on
	// the second resyncs with none unread.
	one.MustDo(rep, `mutation{ markNotificationsRead(ids: null) }`, nil, nil)
	if e := repSock.next("1"); e.Notification != nil || e.UnreadCount != 0 {
		t.Fatalf("after marking read the rep got %+v (notification %+v)", e, e.Notification)
	}
}

// TestNotificationSocketSignIn: connection_init without a credential, or
// with a bad one, closes the socket with 4401; an API key signs in (in
// connection_init or the upgrade request's header) but has no
// notifications to subscribe to (FORBIDDEN); a connection runs at most 5
// subscriptions.
func TestNotificationSocketSignIn(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	for name, payload := range map[string]map[string]any{
		"none": {}, "bad token": {"Authorization": "Bearer nope"},
	} {
		_, _, err := dialLive(t, api, payload)
		if code := websocket.CloseStatus(err); code != 4401 {
			t.Errorf("%s: closed with %d (%v), want 4401", name, code, err)
		}
	}

	var key struct{ CreateAPIKey struct{ Key string } }
	api.MustDo(admin, `mutation{ createAPIKey(input:{name:"live", roles:["admin"]}){ key } }`, nil, &key)
	s, ack, err := dialLive(t, api, map[string]any{"X-API-Key": key.CreateAPIKey.Key})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("API key's connection_init: %v %+v", err, ack)
	}
	raw, _ := json.Marshal(map[string]any{"query": notificationAdded})
	s.send(wsMsg{ID: "k", Type: "subscribe", Payload: raw})
	if m, err := s.read(); err != nil || m.Type != "next" || !strings.Contains(string(m.Payload), "FORBIDDEN") {
		t.Fatalf("an API key's subscription: %v %s %s", err, m.Type, m.Payload)
	}

	// Without a credential in connection_init, the upgrade request's header
	// signs the socket in, as on any request.
	if _, ack, err := dialLiveWith(t, api, http.Header{"X-Api-Key": {key.CreateAPIKey.Key}}, nil); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("an API key in the upgrade's header: %v %+v", err, ack)
	}

	s, _, err = dialLive(t, api, map[string]any{"Authorization": "Bearer " + admin})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		s.subscribe(string(rune('a' + i)))
	}
	s.send(wsMsg{ID: "f", Type: "subscribe", Payload: raw})
	if m, err := s.read(); err != nil || !strings.Contains(string(m.Payload), "LIMIT_EXCEEDED") {
		t.Fatalf("a sixth subscription: %v %s %s", err, m.Type, m.Payload)
	}
}

// TestNotificationSocketSignInReadsTheKeyOnce: a socket signed in with an
// API key in connection_init costs one SQL statement, the key's lookup,
// which tells the key's expiry too (it was looked up again for that).
func TestNotificationSocketSignInReadsTheKeyOnce(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	var key struct{ CreateAPIKey struct{ Key string } }
	api.MustDo(admin, `mutation($at: Time){ createAPIKey(input:{name:"live", roles:["admin"], expiresAt: $at}){ key } }`,
		map[string]any{"at": api.Clock.Now().Add(24 * time.Hour).Format(time.RFC3339)}, &key)
	// Used once, so the socket finds it used within the minute and writes no
	// last-used stamp.
	api.MustDo(key.CreateAPIKey.Key, `{ __typename }`, nil, nil)
	sum, n := api.StatementsAndRequests()
	s, ack, err := dialLive(t, api, map[string]any{"X-API-Key": key.CreateAPIKey.Key})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connection_init: %v %+v", err, ack)
	}
	_ = s.conn.Close(websocket.StatusNormalClosure, "")
	// The upgrade request's statements are observed once the socket's
	// handler returns.
	deadline := time.Now().Add(wsDeadline)
	for {
		sum2, n2 := api.StatementsAndRequests()
		if n2 > n {
			if got := sum2 - sum; got != 1 {
				t.Fatalf("the socket's sign-in took %d SQL statements, want 1 (the key's lookup)", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the socket's request was not observed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sseStream is a subscription over Server-Sent Events, as graphql-sse's
// client in distinct-connections mode runs it.
type sseStream struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

// postSSE posts query to api's /graphql asking for an event stream, with
// token as the bearer when not empty.
func postSSE(t *testing.T, api *apitest.API, token, query string) *http.Response {
	t.Helper()
	resp, err := requestSSE(context.Background(), api, token, query, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// requestSSE posts query and vars to api's /graphql with Accept:
// text/event-stream, with token as the bearer when not empty.
func requestSSE(ctx context.Context, api *apitest.API, token, query string, vars map[string]any) (*http.Response, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return http.DefaultClient.Do(req)
}

// next returns the stream's next event (its name and data), skipping
// comments (the keep-alive pings); io.EOF once the response ended.
func (s *sseStream) next() (event, data string, err error) {
	s.t.Helper()
	type line struct {
		s   string
		err error
	}
	for {
		done := make(chan line, 1)
		go func() {
			l, err := s.r.ReadString('\n')
			done <- line{l, err}
		}()
		var l line
		select {
		case l = <-done:
		case <-time.After(wsDeadline):
			s.t.Fatal("no event within the deadline")
		}
		if l.err != nil {
			return "", "", l.err
		}
		text := strings.TrimRight(l.s, "\n")
		switch {
		case text == "" && event != "":
			return event, data, nil
		case strings.HasPrefix(text, "event: "):
			event = strings.TrimPrefix(text, "event: ")
		case strings.HasPrefix(text, "data: "):
			data = strings.TrimPrefix(text, "data: ")
		}
	}
}

// nextEvent returns the next `next` event's notificationAdded, failing on
// anything else.
func (s *sseStream) nextEvent() notificationEvent {
	s.t.Helper()
	ev, data, err := s.next()
	if err != nil || ev != "next" {
		s.t.Fatalf("got %q %s (%v), want next", ev, data, err)
	}
	var out struct {
		Data   struct{ NotificationAdded notificationEvent }
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal([]byte(data), &out); err != nil || len(out.Errors) > 0 {
		s.t.Fatalf("event %s: %v", data, err)
	}
	return out.Data.NotificationAdded
}

// TestNotificationsOverSSE: notificationAdded runs over Server-Sent Events
// (POST with Accept: text/event-stream): the resync, then the user's new
// notifications; a user deactivated since gets an event with FORBIDDEN and
// the stream completes; an expired sign-in ends it with UNAUTHENTICATED.
// Without a credential the stream is refused with 401; a subscription
// posted without asking for a stream is refused with STREAM_REQUIRED.
func TestNotificationsOverSSE(t *testing.T) {
	api := apitest.New(t)
	acme, admin := api.Workspace("acme")
	repID, rep, _ := repAndAnalyst(t, api, admin)

	if resp := postSSE(t, api, "", notificationAdded); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a credential: %s", resp.Status)
	}
	if r := api.Do(rep, notificationAdded, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "STREAM_REQUIRED" {
		t.Fatalf("a subscription over a plain POST: %+v", r.Errors)
	}
	// A query whose client also accepts a stream, after JSON (urql's
	// fetch), is answered with JSON.
	req, _ := http.NewRequest(http.MethodPost, api.URL+"/graphql", strings.NewReader(`{"query":"{ me { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed")
	req.Header.Set("Authorization", "Bearer "+rep)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK || strings.Contains(resp.Header.Get("Content-Type"), "event-stream") {
		t.Fatalf("urql's query: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}

	resp := postSSE(t, api, rep, notificationAdded)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("stream answered %s %q", resp.Status, ct)
	}
	s := &sseStream{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
	if e := s.nextEvent(); e.Notification != nil || e.UnreadCount != 0 {
		t.Fatalf("first event %+v", e)
	}
	writeNote(t, api, acme.Workspace.ID, repID, "over SSE", true)
	if e := s.nextEvent(); e.Notification == nil || e.Notification.Message != "over SSE" || e.UnreadCount != 1 {
		t.Fatalf("got %+v", e)
	}
	var me struct{ Me struct{ ID string } }
	api.MustDo(rep, `{ me { id } }`, nil, &me)
	api.MustDo(admin, `mutation($id: ID!){ updateUser(id: $id, input: {active: false}) { id } }`, map[string]any{"id": me.Me.ID}, nil)
	writeNote(t, api, acme.Workspace.ID, repID, "after", true)
	if ev, data, err := s.next(); err != nil || ev != "next" || !strings.Contains(data, `"FORBIDDEN"`) {
		t.Fatalf("after the deactivation: %q %s %v", ev, data, err)
	}
	if ev, _, err := s.next(); err != nil || ev != "complete" {
		t.Fatalf("after the refusal: %q %v", ev, err)
	}

	// Signed in a second before the token's end, the stream ends a second
	// later, saying why.
	api.Clock.Advance(12*time.Hour - time.Second)
	s = &sseStream{t: t, r: bufio.NewReader(postSSE(t, api, admin, notificationAdded).Body)}
	ev, data, err := s.next()
	if err == nil && ev == "next" && !strings.Contains(data, `"UNAUTHENTICATED"`) {
		// The resync; the expiry follows. (A request that took more than
		// the second to start under load gets the expiry first.)
		ev, data, err = s.next()
	}
	if err != nil || ev != "next" || !strings.Contains(data, `"UNAUTHENTICATED"`) {
		t.Fatalf("at the expiry: %q %s %v", ev, data, err)
	}
	if ev, _, err := s.next(); err != nil || ev != "complete" {
		t.Fatalf("after the expiry: %q %v", ev, err)
	}
}

// TestNotificationSocketExpiry: a socket whose token expires is closed with
// 4401 and says why.
func TestNotificationSocketExpiry(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	// The token has 12 hours to live on the services' clock: signed in a
	// second before its end, the socket's wall-clock deadline is a second
	// away.
	api.Clock.Advance(12*time.Hour - time.Second)
	s, ack, err := dialLive(t, api, map[string]any{"Authorization": "Bearer " + admin})
	if err == nil && ack.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v", ack)
	}
	if err == nil {
		// Acknowledged within the second; the close follows. (Under load
		// the init itself may come after the expiry and be closed.)
		_, err = s.read()
	}
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4401 {
		t.Fatalf("expired socket: %v", err)
	}
	if !strings.Contains(ce.Reason, "expired") {
		t.Fatalf("close reason %q", ce.Reason)
	}
}

// writeNote writes a notification for user and queues its delivery in one
// transaction, as every writer does, then commits or rolls back.
func writeNote(t *testing.T, api *apitest.API, tid, user uuid.UUID, msg string, commit bool) {
	t.Helper()
	writeLeadNote(t, api, tid, user, nil, msg, commit)
}

// writeLeadNote is writeNote on lead (none when nil).
func writeLeadNote(t *testing.T, api *apitest.API, tid, user uuid.UUID, lead *uuid.UUID, msg string, commit bool) {
	t.Helper()
	ctx := tenant.NewContext(context.Background(), tid)
	queue, ok := api.Services.Queue.(notices.Deliverer)
	if !ok {
		t.Fatal("the queue delivers no notifications")
	}
	tx, err := api.DB.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tctx := ent.NewTxContext(ctx, tx)
	n, err := tx.Notification.Create().SetUserID(user).SetNillableLeadID(lead).SetKind("test.note").SetMessage(msg).
		SetCreatedAt(api.Clock.Now()).Save(tctx)
	if err == nil {
		err = queue.DeliverNotifications(tctx, tid, []uuid.UUID{n.ID})
	}
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if commit {
		err = tx.Commit()
	} else {
		err = tx.Rollback()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestNotificationSocketFollowsRoleChanges: an open socket reads its user's
// roles and policy again for each event, as a request would: after the rep
// role loses lead.contact the lead of the next notification comes masked,
// after it loses the pool scope the lead is not delivered at all, and
// granted back the lead is whole again, all on the socket of before.
func TestNotificationSocketFollowsRoleChanges(t *testing.T) {
	api := apitest.New(t)
	acme, admin := api.Workspace("acme")
	repID, rep, _ := repAndAnalyst(t, api, admin)
	leadGID := seedLeads(t, api, acme, 1)[0] // in the public pool: the rep's pool scope sees it
	leadID := mustUUID(t, leadGID)
	s, ack, err := dialLive(t, api, map[string]any{"Authorization": "Bearer " + rep})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connection_init: %v %+v", err, ack)
	}
	const withPhone = `subscription { notificationAdded { unreadCount notification { message lead { id phone } } } }`
	raw, _ := json.Marshal(map[string]any{"query": withPhone})
	s.send(wsMsg{ID: "1", Type: "subscribe", Payload: raw})
	s.read() // the resync
	type event struct {
		Data struct {
			NotificationAdded struct {
				Notification *struct {
					Message string
					Lead    *struct{ ID, Phone string }
				}
			}
		}
		Errors []struct{ Message string }
	}
	push := func(msg string) *struct{ ID, Phone string } {
		t.Helper()
		writeNoteOn(t, api, acme.Workspace.ID, repID, &leadID, msg)
		m, err := s.read()
		if err != nil || m.Type != "next" {
			t.Fatalf("%s: %v %s %s", msg, err, m.Type, m.Payload)
		}
		var e event
		if err := json.Unmarshal(m.Payload, &e); err != nil || len(e.Errors) > 0 {
			t.Fatalf("%s: %v %s", msg, err, m.Payload)
		}
		if n := e.Data.NotificationAdded.Notification; n == nil || n.Message != msg {
			t.Fatalf("%s: got %s", msg, m.Payload)
		}
		return e.Data.NotificationAdded.Notification.Lead
	}
	const phone = "+8613700000000"
	if l := push("whole"); l == nil || l.ID != leadGID || l.Phone != phone {
		t.Fatalf("before any change the lead is %+v", l)
	}
	permission := func(op, resource, action string) {
		t.Helper()
		api.MustDo(admin, `mutation($r: String!, $a: String!){ `+op+`(role: "rep", resource: $r, action: $a) }`,
			map[string]any{"r": resource, "a": action}, nil)
	}
	permission("revokePermission", "lead.contact", "read")
	if l := push("masked"); l == nil || l.Phone == phone || l.Phone == "" {
		t.Fatalf("after lead.contact was revoked the lead is %+v", l)
	}
	permission("revokePermission", "lead.scope", "pool")
	if l := push("out of scope"); l != nil {
		t.Fatalf("after the pool scope was revoked the lead is %+v", l)
	}
	permission("grantPermission", "lead.scope", "pool")
	permission("grantPermission", "lead.contact", "read")
	if l := push("whole again"); l == nil || l.Phone != phone {
		t.Fatalf("granted back, the lead is %+v", l)
	}
}

// writeNoteOn writes a committed notification on lead (none when nil) for
// user and queues its delivery, as every writer does.
func writeNoteOn(t *testing.T, api *apitest.API, tid, user uuid.UUID, lead *uuid.UUID, msg string) {
	t.Helper()
	writeLeadNote(t, api, tid, user, lead, msg, true)
}

// TestNotificationSocketDeactivatedUser: a user deactivated while their
// socket is open gets no more notifications; the socket closes with 4403.
func TestNotificationSocketDeactivatedUser(t *testing.T) {
	api := apitest.New(t)
	acme, admin := api.Workspace("acme")
	repID, rep, _ := repAndAnalyst(t, api, admin)
	s, _, err := dialLive(t, api, map[string]any{"Authorization": "Bearer " + rep})
	if err != nil {
		t.Fatal(err)
	}
	s.subscribe("1")
	writeNote(t, api, acme.Workspace.ID, repID, "before", true)
	if e := s.next("1"); e.Notification == nil || e.Notification.Message != "before" {
		t.Fatalf("got %+v", e)
	}
	var me struct{ Me struct{ ID string } }
	api.MustDo(rep, `{ me { id } }`, nil, &me)
	api.MustDo(admin, `mutation($id: ID!){ updateUser(id: $id, input: {active: false}) { id } }`, map[string]any{"id": me.Me.ID}, nil)
	writeNote(t, api, acme.Workspace.ID, repID, "after", true)
	var ce websocket.CloseError
	if m, err := s.read(); !errors.As(err, &ce) || ce.Code != 4403 {
		t.Fatalf("after the deactivation: %v %s %s", err, m.Type, m.Payload)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
