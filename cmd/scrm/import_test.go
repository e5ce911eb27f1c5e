package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// TestImportCommand runs `scrm import` on a CSV with a custom field, a
// duplicate and a bad row, then runs it again: the second run writes nothing.
func TestImportCommand(t *testing.T) {
	bin := buildBinary(t)
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	w, err := workspace.Create(context.Background(), db.Client, workspace.Spec{Slug: "acme", Name: "Acme",
		AdminName: "a", AdminEmail: "a@acme.test", AdminPassword: "password-123"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := tenant.NewContext(context.Background(), w.Workspace.ID)
	services, err := app.New(ctx, app.Config{Client: db.Client, DB: db.DB})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := services.Fields.Create(ctx, fielddefs.Input{Key: "budget", Label: "预算", Type: fielddefinition.TypeNUMBER}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "leads.csv")
	csv := "\ufeff姓名,手机号,邮箱,预算,标签\n" +
		"张三,138 0013 8001,zs@example.com,12000,展会|VIP\n" +
		"\"李, 四\",13800138002,,5000,展会\n" +
		"张三 again,+86 13800138001,,,复购\n" +
		"坏,12,,1,\n" +
		"预算错,13800138003,,lots,\n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	mapPath := filepath.Join(dir, "map.yaml")
	mapping := "source: expo-2026\ncolumns:\n  姓名: name\n  手机号: phone\n  邮箱: email\n  预算: attributes.budget\n  标签: tags\n"
	if err := os.WriteFile(mapPath, []byte(mapping), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() string {
		cmd := exec.Command(bin, "import", csvPath, "--workspace", "acme", "--map", mapPath)
		cmd.Env = append(os.Environ(), "DATABASE_URL="+db.URL, "REDIS_URL="+rd.URL)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		return string(out)
	}
	out := run()
	if !strings.Contains(out, "rows 5: created 2, merged 1, rejected 2") {
		t.Fatalf("summary:\n%s", out)
	}
	var n int
	var budget float64
	if err := db.DB.QueryRow(`SELECT count(*), max((attributes->>'budget')::numeric) FROM leads WHERE tenant_id = $1 AND source = 'expo-2026'`, w.Workspace.ID).Scan(&n, &budget); err != nil || n != 2 || budget != 12000 {
		t.Fatalf("leads %d budget %v (%v)", n, budget, err)
	}
	rejects, err := os.ReadFile(filepath.Join(dir, "leads.csv.rejects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rejects), "phone") || !strings.Contains(string(rejects), "attributes.budget") {
		t.Fatalf("rejects file:\n%s", rejects)
	}
	run()
	if err := db.DB.QueryRow(`SELECT count(*) FROM leads WHERE tenant_id = $1`, w.Workspace.ID).Scan(&n); err != nil || n != 2 {
		t.Fatalf("after a second run: %d leads (%v)", n, err)
	}
}
