// Package policies holds the Casbin model and the built-in role policy as plain
// files, embedded into the binary so every process starts from the same
// defaults without reading the file system. Workspaces overlay their own rows
// (stored in Postgres) on top of these; see internal/policy.
package policies

import _ "embed" // the files below are compiled in

// Model is the Casbin model (model.conf): RBAC with domains, where the domain
// is a workspace id and "*" means every workspace.
//
//go:embed model.conf
var Model string

// Builtin is the default role policy (builtin.csv) every workspace starts
// with. Rows use the domain "*" so one copy serves all workspaces.
//
//go:embed builtin.csv
var Builtin string
