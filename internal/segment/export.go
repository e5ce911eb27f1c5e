package segment

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/fields"
)

// exportPage is how many members Export reads per query.
const exportPage = 2000

// exportColumns are the built-in columns of an export, before the custom
// fields (by key, in the workspace's order).
var exportColumns = []string{"id", "seq", "name", "phone", "email", "company", "source", "status", "score", "tier", "owner", "created_at"}

// Export writes the segment's current members as CSV (a header, then one
// row per lead in seq order), reading them page by page so memory stays flat
// whatever the size. progress, when set, is called after each page with the
// rows written and the total. It runs with the context's row scope like
// every read. Returns the rows written.
func (s *Service) Export(ctx context.Context, seg *ent.Segment, w io.Writer, progress func(done, total int)) (int, error) {
	c := s.db(ctx)
	members, err := s.members(ctx, c, seg)
	if err != nil {
		return 0, err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return 0, err
	}
	var custom []fields.Definition
	for _, d := range sch.Definitions() {
		if !d.Archived {
			custom = append(custom, d)
		}
	}
	out := csv.NewWriter(w)
	header := append([]string{}, exportColumns...)
	for _, d := range custom {
		header = append(header, d.Key)
	}
	if err := out.Write(header); err != nil {
		return 0, err
	}
	owners := map[string]string{}
	total, done := int(members.GetCardinality()), 0
	var after int64
	for {
		seqs, more := Page(members, after, exportPage)
		if len(seqs) == 0 {
			break
		}
		after = seqs[len(seqs)-1]
		leads, err := leadsBySeq(ctx, c, seqs)
		if err != nil {
			return done, err
		}
		if err := ownerEmails(ctx, c, leads, owners); err != nil {
			return done, err
		}
		for _, l := range leads {
			row := []string{l.ID.String(), strconv.FormatInt(l.Seq, 10), l.Name, deref(l.Phone), deref(l.Email), l.Company,
				l.Source, l.Status.String(), strconv.Itoa(l.Score), "", "", l.CreatedAt.UTC().Format(time.RFC3339)}
			if l.Tier != nil {
				row[9] = l.Tier.String()
			}
			if l.OwnerID != nil {
				row[10] = owners[l.OwnerID.String()]
			}
			for _, d := range custom {
				row = append(row, cell(l.Attributes[d.Key]))
			}
			if err := out.Write(row); err != nil {
				return done, err
			}
		}
		out.Flush()
		if err := out.Error(); err != nil {
			return done, err
		}
		done += len(leads)
		if progress != nil {
			progress(done, total)
		}
		if !more {
			break
		}
	}
	return done, nil
}

// ownerEmails adds the emails of the page's owners not yet in known.
func ownerEmails(ctx context.Context, c *ent.Client, leads []*ent.Lead, known map[string]string) error {
	var ids []uuid.UUID
	for _, l := range leads {
		if l.OwnerID != nil {
			if _, ok := known[l.OwnerID.String()]; !ok {
				ids = append(ids, *l.OwnerID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	us, err := c.User.Query().Where(user.IDIn(ids...)).Select(user.FieldEmail).All(ctx)
	if err != nil {
		return err
	}
	for _, u := range us {
		known[u.ID.String()] = u.Email
	}
	return nil
}

// cell is a custom-field value as CSV text: lists joined with "|", like the
// importer reads them.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		s := ""
		for i, e := range x {
			if i > 0 {
				s += "|"
			}
			s += cell(e)
		}
		return s
	}
	return fmt.Sprint(v)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
