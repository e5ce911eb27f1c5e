package longjob

import (
	"context"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/importer"
)

// SetBeforeCheckpoint installs a hook that runs when an import batch was
// sent, before it is recorded; it returns the function that removes it.
func SetBeforeCheckpoint(f func(ctx context.Context, id uuid.UUID, cp importer.Checkpoint) error) func() {
	beforeCheckpoint = f
	return func() { beforeCheckpoint = nil }
}

// SetImportBatchSize changes the rows per import batch; it returns the
// function that restores it.
func SetImportBatchSize(n int) func() {
	old := importBatchSize
	importBatchSize = n
	return func() { importBatchSize = old }
}

// SetBeforeBulkBatch installs a hook that runs before each batch of a bulk
// update; it returns the function that removes it.
func SetBeforeBulkBatch(f func(ctx context.Context, id uuid.UUID, n int) error) func() {
	beforeBulkBatch = f
	return func() { beforeBulkBatch = nil }
}

// SetBulkBatchSize changes the leads per bulk batch; it returns the
// function that restores it.
func SetBulkBatchSize(n int) func() {
	old := bulkBatchSize
	bulkBatchSize = n
	return func() { bulkBatchSize = old }
}

// SetBulkInlineMax changes the most leads a bulk update changes inline; it
// returns the function that restores it.
func SetBulkInlineMax(n int) func() {
	old := bulkInlineMax
	bulkInlineMax = n
	return func() { bulkInlineMax = old }
}
