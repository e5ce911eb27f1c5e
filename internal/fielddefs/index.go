package fielddefs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Enqueuer schedules the index build of a field after the change that asked
// for it has committed.
type Enqueuer interface {
	EnqueueFieldIndex(ctx context.Context, tenantID, fieldID uuid.UUID) error
}

// IndexName is the name of the partial expression index of (workspace, key):
// derived from both so it is stable, unique and within Postgres's 63 bytes.
func IndexName(tenantID uuid.UUID, key string) string {
	h := sha256.Sum256([]byte(tenantID.String() + "/" + key))
	return "leads_attr_" + hex.EncodeToString(h[:12])
}

// BuildIndex makes the database match the definition's indexed flag: it builds
// the partial expression index with CREATE INDEX CONCURRENTLY (leads stay
// writable) or drops it, and records the status on the definition. It is
// idempotent, so a retried or duplicated task does no harm.
func (s *Service) BuildIndex(ctx context.Context, tenantID, fieldID uuid.UUID) error {
	ctx = tenant.NewContext(ctx, tenantID)
	d, err := s.client.FieldDefinition.Get(ctx, fieldID)
	if ent.IsNotFound(err) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if err := fields.ValidKey(d.Key); err != nil {
		return fmt.Errorf("field %s: %w", d.ID, err) // never reaches DDL
	}
	name := pq.QuoteIdentifier(IndexName(tenantID, d.Key))
	if !d.Indexed {
		if _, err := s.client.ExecContext(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+name); err != nil {
			return err
		}
		return s.client.FieldDefinition.UpdateOneID(fieldID).SetIndexStatus(fielddefinition.IndexStatusNONE).SetIndexError("").Exec(ctx)
	}
	if err := s.client.FieldDefinition.UpdateOneID(fieldID).SetIndexStatus(fielddefinition.IndexStatusBUILDING).Exec(ctx); err != nil {
		return err
	}
	// A build interrupted earlier leaves an INVALID index behind; drop it first.
	var invalid bool
	rows, err := s.client.QueryContext(ctx, `SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`, IndexName(tenantID, d.Key))
	if err != nil {
		return err
	}
	if rows.Next() {
		_ = rows.Scan(&invalid)
	}
	rows.Close()
	if invalid {
		if _, err := s.client.ExecContext(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+name); err != nil {
			return err
		}
	}
	// The indexed expression is the one the attribute filters of the
	// field's storage compare, so the planner can use the index for them.
	expr, err := fields.IndexExpr(Definition(d))
	if err != nil {
		return fmt.Errorf("field %s: %w", d.ID, err)
	}
	// DDL takes no parameters: the key passed ValidKey ([a-z0-9_]) and is
	// quoted as a literal, the tenant is a formatted uuid.
	ddl := fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON leads (%s) WHERE tenant_id = %s::uuid",
		name, expr, pq.QuoteLiteral(tenantID.String()))
	if _, err := s.client.ExecContext(ctx, ddl); err != nil {
		msg := err.Error()
		var pqErr *pq.Error
		if errors.As(err, &pqErr) {
			msg = pqErr.Message
		}
		if uerr := s.client.FieldDefinition.UpdateOneID(fieldID).SetIndexStatus(fielddefinition.IndexStatusFAILED).SetIndexError(msg).Exec(ctx); uerr != nil {
			return uerr
		}
		return fmt.Errorf("build index %s: %w", name, err)
	}
	return s.client.FieldDefinition.UpdateOneID(fieldID).SetIndexStatus(fielddefinition.IndexStatusREADY).SetIndexError("").Exec(ctx)
}
