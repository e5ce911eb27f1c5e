package leads

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// storedAnswer is how a batch's answer is kept under its idempotency key:
// one status letter per row, the lead ids of the rows that have one as 16
// bytes each (base64), and only the owners and errors there are. The answer
// as Result marshals it (an object per row, ids as text) is about 100 bytes
// per row: 1 MB for a 10,000-row file batch, built, sent and parsed into the
// jsonb column inside the batch's turn (about 18 ms of the server's time
// per batch at 100,000 rows). This form is about a quarter of that size and
// one object. Result.UnmarshalJSON reads both forms, so answers stored
// before it still replay.
type storedAnswer struct {
	// V is storedVersion; a Result as Result marshals it has none.
	V        int    `json:"v"`
	Created  int    `json:"created"`
	Merged   int    `json:"merged"`
	Rejected int    `json:"rejected"`
	Statuses string `json:"statuses"` // C, M or R per row
	// Leads holds the LeadID of every row with status C or M, in row order.
	Leads  []byte             `json:"leads"`
	Owners map[int]uuid.UUID  `json:"owners,omitempty"` // row index -> OwnerID
	Errors map[int][]RowError `json:"errors,omitempty"` // row index -> Errors
}

const storedVersion = 2

var statusLetter = map[Status]byte{StatusCreated: 'C', StatusMerged: 'M', StatusRejected: 'R'}

// storedForm returns r as it is stored.
func (r *Result) storedForm() (*storedAnswer, error) {
	s := &storedAnswer{V: storedVersion, Created: r.Created, Merged: r.Merged, Rejected: r.Rejected,
		Leads: make([]byte, 0, 16*(r.Created+r.Merged))}
	st := make([]byte, len(r.Rows))
	for i, row := range r.Rows {
		if row.Index != i {
			return nil, fmt.Errorf("store answer: row %d has index %d", i, row.Index)
		}
		c, ok := statusLetter[row.Status]
		if !ok {
			return nil, fmt.Errorf("store answer: row %d has status %q", i, row.Status)
		}
		st[i] = c
		if c != 'R' {
			s.Leads = append(s.Leads, row.LeadID[:]...)
		} else if row.LeadID != uuid.Nil {
			return nil, fmt.Errorf("store answer: rejected row %d has a lead", i)
		}
		if row.OwnerID != nil {
			if s.Owners == nil {
				s.Owners = map[int]uuid.UUID{}
			}
			s.Owners[i] = *row.OwnerID
		}
		if row.Errors != nil {
			if s.Errors == nil {
				s.Errors = map[int][]RowError{}
			}
			s.Errors[i] = row.Errors
		}
	}
	s.Statuses = string(st)
	return s, nil
}

// result turns a stored answer back into the Result it was made from.
func (s *storedAnswer) result() (*Result, error) {
	r := &Result{Created: s.Created, Merged: s.Merged, Rejected: s.Rejected, Rows: make([]RowResult, len(s.Statuses))}
	leads := s.Leads
	for i := range len(s.Statuses) {
		row := RowResult{Index: i, Errors: s.Errors[i]}
		switch s.Statuses[i] {
		case 'C':
			row.Status = StatusCreated
		case 'M':
			row.Status = StatusMerged
		case 'R':
			row.Status = StatusRejected
		default:
			return nil, fmt.Errorf("stored answer: row %d has status %q", i, s.Statuses[i])
		}
		if row.Status != StatusRejected {
			if len(leads) < 16 {
				return nil, fmt.Errorf("stored answer: no lead for row %d", i)
			}
			copy(row.LeadID[:], leads[:16])
			leads = leads[16:]
		}
		if o, ok := s.Owners[i]; ok {
			row.OwnerID = &o
		}
		r.Rows[i] = row
	}
	if len(leads) != 0 {
		return nil, fmt.Errorf("stored answer: %d bytes of lead ids left over", len(leads))
	}
	return r, nil
}

// UnmarshalJSON reads a Result as Result marshals it, or as it is stored
// under an idempotency key (storedAnswer, told apart by its version "v"; the
// jsonb column does not keep the order of the keys).
func (r *Result) UnmarshalJSON(b []byte) error {
	var either struct {
		storedAnswer
		Rows []RowResult `json:"rows"`
	}
	if err := json.Unmarshal(b, &either); err != nil {
		return err
	}
	if either.V == 0 {
		*r = Result{Created: either.Created, Merged: either.Merged, Rejected: either.Rejected, Rows: either.Rows}
		return nil
	}
	if either.V != storedVersion {
		return fmt.Errorf("stored answer of version %d", either.V)
	}
	res, err := either.storedAnswer.result()
	if err != nil {
		return err
	}
	*r = *res
	return nil
}
