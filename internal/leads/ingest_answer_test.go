package leads

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"
)

func TestStoredAnswerRoundTrip(t *testing.T) {
	owner := uuid.New()
	res := &Result{Created: 2, Merged: 2, Rejected: 2, Rows: []RowResult{
		{Index: 0, Status: StatusCreated, LeadID: uuid.New()},
		{Index: 1, Status: StatusRejected, Errors: []RowError{{Field: "phone", Code: CodeInvalid, Message: "not a phone number"}}},
		{Index: 2, Status: StatusMerged, LeadID: uuid.New(), OwnerID: &owner},
		{Index: 3, Status: StatusCreated, LeadID: uuid.New()},
		{Index: 4, Status: StatusMerged, LeadID: uuid.New()},
		{Index: 5, Status: StatusRejected, Errors: []RowError{{Code: CodeBlacklisted, Message: "this person is blacklisted"}, {Field: "email", Code: CodeInvalid, Message: "x"}}},
	}}
	stored, err := res.storedForm()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) >= len(plain) {
		t.Fatalf("stored form %d bytes (%.20s…), Result's own %d", len(raw), raw, len(plain))
	}
	// The jsonb column gives the keys back in another order.
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	reordered, err := json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"stored": raw, "stored, keys reordered": reordered, "as Result marshals it": plain} {
		var back Result
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(&back, res) {
			t.Fatalf("%s: got %+v, want %+v", name, back, *res)
		}
	}
	// A stored answer that does not add up is an error, not a wrong answer.
	stored.Leads = stored.Leads[:len(stored.Leads)-16]
	bad, _ := json.Marshal(stored)
	var back Result
	if err := json.Unmarshal(bad, &back); err == nil {
		t.Fatal("a stored answer short of a lead id decoded")
	}
}
