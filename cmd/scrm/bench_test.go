package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
)

// TestBenchSeedCommand generates a small benchmark workspace through the
// binary and checks its shape in the database: every lead has a value for
// every custom field, 60% are owned by the reps, the events land on
// existing leads.
func TestBenchSeedCommand(t *testing.T) {
	bin := buildBinary(t)
	db := testenv.NewDatabase(t)
	cmd := exec.Command(bin, "bench", "seed", "--workspace", "bench", "--leads", "3000", "--events", "20000",
		"--fields", "50", "--tags", "200", "--reps", "5", "--seed", "7")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+db.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench seed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `workspace "bench": 3000 leads, 20000 events, 50 custom fields, 200 tags, 5 reps`) {
		t.Fatalf("summary missing:\n%s", out)
	}
	var leads, full, owned, events, orphanEvents, nFields, tagged int
	ctx := context.Background()
	q := func(dst *int, query string) {
		t.Helper()
		if err := db.DB.QueryRowContext(ctx, query).Scan(dst); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	q(&leads, `SELECT count(*) FROM leads`)
	q(&nFields, `SELECT count(*) FROM field_definitions`)
	q(&full, `SELECT count(*) FROM leads l WHERE (SELECT count(*) FROM jsonb_object_keys(l.attributes)) = 50`)
	q(&owned, `SELECT count(*) FROM leads WHERE owner_id IS NOT NULL`)
	q(&events, `SELECT count(*) FROM events`)
	q(&orphanEvents, `SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = e.lead_id)`)
	q(&tagged, `SELECT count(DISTINCT lead_id) FROM lead_tags`)
	if leads != 3000 || nFields != 50 || full != 3000 || events != 20000 || orphanEvents != 0 {
		t.Errorf("leads %d, fields %d, leads with every field %d, events %d (%d without a lead)", leads, nFields, full, events, orphanEvents)
	}
	if owned < 1600 || owned > 2000 || tagged < 1500 {
		t.Errorf("owned %d of 3000 (want about 60%%), tagged %d", owned, tagged)
	}
	// Every generated value is valid and canonical for its field.
	var tid uuid.UUID
	if err := db.DB.QueryRowContext(ctx, `SELECT id FROM workspaces WHERE slug = 'bench'`).Scan(&tid); err != nil {
		t.Fatal(err)
	}
	services, err := app.New(ctx, app.Config{Client: db.Client, DB: db.DB})
	if err != nil {
		t.Fatal(err)
	}
	sch, err := services.Fields.Schema(tenant.NewContext(ctx, tid))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.DB.QueryContext(ctx, `SELECT attributes FROM leads ORDER BY seq LIMIT 50`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var attrs map[string]any
		if err := json.Unmarshal(raw, &attrs); err != nil {
			t.Fatal(err)
		}
		got, err := sch.Validate(fields.ModeCreate, nil, attrs)
		canonical, _ := json.Marshal(got)
		generated, _ := json.Marshal(attrs)
		if err != nil || string(canonical) != string(generated) {
			t.Fatalf("generated attributes are not canonical: %v\n%v\n%v", err, attrs, got)
		}
	}
	// A workspace is generated once: the slug is taken now.
	again := exec.Command(bin, "bench", "seed", "--workspace", "bench", "--leads", "10")
	again.Env = cmd.Env
	if out, err := again.CombinedOutput(); err == nil || !strings.Contains(string(out), "workspace already exists") {
		t.Errorf("a second workspace with the same slug was accepted:\n%s", out)
	}
}
