// Package migrations embeds the versioned SQL migrations (Atlas format) so the
// binary can migrate a database without the source tree.
package migrations

import "embed"

// FS holds the migration files and their atlas.sum.
//
//go:embed *.sql atlas.sum
var FS embed.FS
