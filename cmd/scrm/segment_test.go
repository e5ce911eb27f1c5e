package main

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/frontend"
	"github.com/scrmhq/scrm/internal/demo"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildOut  []byte
)

// buildBinary builds the scrm binary once for the package's tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "scrm-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "scrm")
		args := []string{"build", "-o", builtBin}
		if !frontend.Built {
			// The tests run without the web app (-tags nofrontend): so does the binary.
			args = append(args, "-tags", "nofrontend")
		}
		buildOut, buildErr = exec.Command("go", append(args, ".")...).CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build: %v\n%s", buildErr, buildOut)
	}
	return builtBin
}

// TestSegmentExportCommand exports a demo segment: one row per member, the
// custom fields as columns, in lead-number order.
func TestSegmentExportCommand(t *testing.T) {
	bin := buildBinary(t)
	db := testenv.NewDatabase(t)
	res, err := demo.Ensure(context.Background(), db.Client, 120, 7)
	if err != nil {
		t.Fatal(err)
	}
	ctx := tenant.NewContext(context.Background(), res.Workspace.ID)
	seg, err := db.Client.Segment.Query().Where(segment.Name("高意向客户")).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "members.csv")
	cmd := exec.Command(bin, "segment", "export", "--workspace", demo.Slug, "--segment", "高意向客户", "--out", out)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+db.URL)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, b)
	} else if !strings.Contains(string(b), "exported") {
		t.Errorf("no progress: %s", b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != seg.MemberCount+1 || seg.MemberCount == 0 {
		t.Fatalf("%d rows for %d members", len(rows), seg.MemberCount)
	}
	if !slices.Contains(rows[0], "budget") || rows[0][0] != "id" {
		t.Errorf("header = %v", rows[0])
	}
	for i := 2; i < len(rows); i++ {
		if len(rows[i][1]) < len(rows[i-1][1]) || (len(rows[i][1]) == len(rows[i-1][1]) && rows[i][1] <= rows[i-1][1]) {
			t.Fatalf("rows out of seq order at %d: %s after %s", i, rows[i][1], rows[i-1][1])
		}
	}
	bad := exec.Command(bin, "segment", "export", "--workspace", demo.Slug, "--segment", "nope")
	bad.Env = cmd.Env
	if b, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(b), `no segment "nope"`) {
		t.Errorf("unknown segment: %v %s", err, b)
	}
}
