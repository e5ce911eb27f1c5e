package policies

import (
	"strings"
	"testing"

	"github.com/casbin/casbin/v2/model"
)

// The decisions these files produce are tested in internal/policy; this only
// checks that the embedded files are there and well-formed.
func TestEmbedded(t *testing.T) {
	if _, err := model.NewModelFromString(Model); err != nil {
		t.Fatalf("model.conf: %v", err)
	}
	rows := 0
	for i, line := range strings.Split(Builtin, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "p, ") || strings.Count(line, ",") != 5 {
			t.Errorf("builtin.csv line %d: %q is not a p row of 5 fields", i+1, line)
		}
		rows++
	}
	if rows == 0 {
		t.Fatal("builtin.csv has no rows")
	}
}
