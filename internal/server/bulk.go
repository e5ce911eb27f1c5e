package server

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/graph"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/leads"
)

// MaxBulkBytes bounds the body of a bulk endpoint (5000 rich rows fit).
const MaxBulkBytes = 16 << 20

// bulk serves the REST endpoints SDKs use for high-volume writes:
// POST /v1/leads:ingest and POST /v1/events. They authenticate and authorize
// exactly as the GraphQL fields ingestLeads and trackEvents do, and run the
// same services.
type bulk struct {
	res *graph.Resolver
	az  graph.Authorizer
	log *slog.Logger
}

// wireLead is one lead on the wire: LeadInput of the GraphQL schema, with
// opaque ids.
type wireLead struct {
	ExternalID   string         `json:"externalID"`
	Name         string         `json:"name"`
	Phone        string         `json:"phone"`
	Email        string         `json:"email"`
	UnionID      string         `json:"unionID"`
	OpenID       string         `json:"openID"`
	Company      string         `json:"company"`
	Source       string         `json:"source"`
	SourceDetail string         `json:"sourceDetail"`
	TerritoryID  string         `json:"territoryID"`
	ReferrerID   string         `json:"referrerID"`
	Attributes   map[string]any `json:"attributes"`
	Tags         []string       `json:"tags"`
}

type wireEvent struct {
	LeadID     string         `json:"leadID"`
	ExternalID string         `json:"externalID"`
	Phone      string         `json:"phone"`
	Name       string         `json:"name"`
	Properties map[string]any `json:"properties"`
	OccurredAt *time.Time     `json:"occurredAt"`
}

type wireRow struct {
	Index  int              `json:"index"`
	Status leads.Status     `json:"status"`
	LeadID string           `json:"leadID,omitempty"`
	Errors []leads.RowError `json:"errors"`
}

// ingest handles POST /v1/leads:ingest. The body is a JSON array of leads,
// an object {"leads": [...], "source": "..."}, or JSON lines
// (Content-Type application/x-ndjson). The Idempotency-Key header makes a
// retry return the first answer.
func (b *bulk) ingest(w http.ResponseWriter, r *http.Request) {
	if !b.begin(w, r, graph.Permission{Resource: "lead", Action: "write"}) {
		return
	}
	ctx := r.Context()
	var wire []wireLead
	source := r.URL.Query().Get("source")
	if err := decodeBody(r, &wire, func(obj map[string]json.RawMessage) (json.RawMessage, error) {
		if raw, ok := obj["source"]; ok {
			if err := json.Unmarshal(raw, &source); err != nil {
				return nil, fmt.Errorf("source must be a string")
			}
		}
		return obj["leads"], nil
	}); err != nil {
		b.fail(w, r, err)
		return
	}
	rows := make([]leads.Row, len(wire))
	for i, l := range wire {
		row := leads.Row{ExternalID: l.ExternalID, Name: l.Name, Phone: l.Phone, Email: l.Email, UnionID: l.UnionID,
			OpenID: l.OpenID, Company: l.Company, Source: l.Source, SourceDetail: l.SourceDetail, Attributes: l.Attributes, Tags: l.Tags}
		var err error
		if row.TerritoryID, err = optionalID(l.TerritoryID, gid.Territory, fmt.Sprintf("leads[%d].territoryID", i)); err != nil {
			b.fail(w, r, err)
			return
		}
		if row.ReferrerID, err = optionalID(l.ReferrerID, gid.Lead, fmt.Sprintf("leads[%d].referrerID", i)); err != nil {
			b.fail(w, r, err)
			return
		}
		rows[i] = row
	}
	var actor, partner *uuid.UUID
	if v := auth.FromContext(ctx); v != nil {
		partner = v.PartnerID
		if v.UserID != uuid.Nil {
			id := v.UserID
			actor = &id
		}
	}
	res, err := b.res.Ingester.Ingest(ctx, leads.Batch{IdempotencyKey: r.Header.Get("Idempotency-Key"), Source: source,
		Rows: rows, Actor: actor, PartnerID: partner})
	if err != nil {
		b.fail(w, r, err)
		return
	}
	visible, err := visibleLeads(r, b.res.Client, res)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	out := struct {
		Created  int       `json:"created"`
		Merged   int       `json:"merged"`
		Rejected int       `json:"rejected"`
		Replayed bool      `json:"replayed"`
		Results  []wireRow `json:"results"`
	}{res.Created, res.Merged, res.Rejected, res.Replayed, make([]wireRow, len(res.Rows))}
	for i, row := range res.Rows {
		wr := wireRow{Index: row.Index, Status: row.Status, Errors: row.Errors}
		if wr.Errors == nil {
			wr.Errors = []leads.RowError{}
		}
		if visible[row.LeadID] {
			wr.LeadID = gid.Encode(row.LeadID)
		}
		out.Results[i] = wr
	}
	writeJSON(w, http.StatusOK, out)
}

// events handles POST /v1/events: a JSON array of events, {"events": [...]},
// or JSON lines. The Idempotency-Key header makes a retry return the first
// answer.
func (b *bulk) events(w http.ResponseWriter, r *http.Request) {
	if !b.begin(w, r, graph.Permission{Resource: "lead", Action: "write"}) {
		return
	}
	var wire []wireEvent
	if err := decodeBody(r, &wire, func(obj map[string]json.RawMessage) (json.RawMessage, error) {
		return obj["events"], nil
	}); err != nil {
		b.fail(w, r, err)
		return
	}
	in := make([]events.Input, len(wire))
	for i, e := range wire {
		id, err := optionalID(e.LeadID, gid.Lead, fmt.Sprintf("events[%d].leadID", i))
		if err != nil {
			b.fail(w, r, err)
			return
		}
		in[i] = events.Input{LeadID: id, ExternalID: e.ExternalID, Phone: e.Phone, Name: e.Name, Properties: e.Properties, OccurredAt: e.OccurredAt}
	}
	res, err := b.res.Events.Track(r.Context(), in, "rest", r.Header.Get("Idempotency-Key"), "idempotencyKey")
	if err != nil {
		b.fail(w, r, err)
		return
	}
	type wireErr struct {
		Index   int    `json:"index"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	out := struct {
		Accepted int       `json:"accepted"`
		Rejected int       `json:"rejected"`
		Errors   []wireErr `json:"errors"`
	}{res.Accepted, res.Rejected, make([]wireErr, len(res.Errors))}
	for i, e := range res.Errors {
		out.Errors[i] = wireErr{e.Index, e.Code, e.Message}
	}
	writeJSON(w, http.StatusOK, out)
}

// begin checks method and permission; it answers and returns false when the
// request cannot go on.
func (b *bulk) begin(w http.ResponseWriter, r *http.Request, perm graph.Permission) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, string(apperr.BadInput), "use POST")
		return false
	}
	if err := graph.Authorize(r.Context(), b.az, perm); err != nil {
		b.fail(w, r, err)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBulkBytes)
	return true
}

// fail answers err with the status its code maps to, in the GraphQL error
// shape, never echoing internals.
func (b *bulk) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, field, msg := classify(err)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		code, field, msg = apperr.LimitExceeded, "", fmt.Sprintf("the body is larger than %d bytes", MaxBulkBytes)
	}
	if code == apperr.Internal {
		b.log.ErrorContext(r.Context(), "bulk endpoint error", "path", r.URL.Path, "err", err)
	}
	status := map[apperr.Code]int{
		apperr.Unauthenticated: http.StatusUnauthorized, apperr.Forbidden: http.StatusForbidden,
		apperr.NotFound: http.StatusNotFound, apperr.BadInput: http.StatusBadRequest,
		apperr.Conflict: http.StatusConflict, apperr.LimitExceeded: http.StatusRequestEntityTooLarge,
	}[code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	ext := map[string]any{"code": string(code)}
	if field != "" {
		ext["field"] = field
	}
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": msg, "extensions": ext}}})
}

// decodeBody reads a JSON array, an object whose list field pick returns,
// or JSON lines (one item per line) into dst.
func decodeBody[T any](r *http.Request, dst *[]T, pick func(map[string]json.RawMessage) (json.RawMessage, error)) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-ndjson") {
		sc := bufio.NewScanner(r.Body)
		sc.Buffer(make([]byte, 64<<10), MaxBulkBytes)
		line := 0
		for sc.Scan() {
			line++
			text := bytes.TrimSpace(sc.Bytes())
			if len(text) == 0 {
				continue
			}
			var item T
			if err := json.Unmarshal(text, &item); err != nil {
				return apperr.Input("", "line %d is not a JSON object of the expected shape: %s", line, jsonReason(err))
			}
			*dst = append(*dst, item)
		}
		if err := sc.Err(); err != nil {
			return bodyError(err)
		}
		return nil
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return apperr.Input("", "the body is not valid JSON: %s", jsonReason(err))
		}
		if raw, err = pick(obj); err != nil {
			return apperr.Input("", "%s", err.Error())
		}
		if raw == nil {
			return apperr.Input("", "the body has no list of items")
		}
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return apperr.Input("", "the body is not a JSON array of the expected shape: %s", jsonReason(err))
	}
	return nil
}

func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return apperr.Input("", "could not read the body")
}

// jsonReason describes a JSON error without echoing the input.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be %s, not %s", cmp.Or(te.Field, "an item"), te.Type.String(), te.Value)
	}
	return "malformed"
}

func optionalID(s string, t gid.Type, field string) (*uuid.UUID, error) {
	if s == "" {
		return nil, nil
	}
	id, err := gid.DecodeAs(s, t)
	if err != nil {
		return nil, apperr.Input(field, "not a %s id", t)
	}
	return &id, nil
}

// visibleLeads returns which of the result's leads the caller may see.
func visibleLeads(r *http.Request, c *ent.Client, res *leads.Result) (map[uuid.UUID]bool, error) {
	var ids []uuid.UUID
	for _, row := range res.Rows {
		if row.LeadID != uuid.Nil {
			ids = append(ids, row.LeadID)
		}
	}
	out := map[uuid.UUID]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	found, err := c.Lead.Query().Where(lead.IDIn(ids...)).IDs(r.Context())
	for _, id := range found {
		out[id] = true
	}
	return out, err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
