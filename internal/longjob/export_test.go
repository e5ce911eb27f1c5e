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
