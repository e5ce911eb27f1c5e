package graph

import "github.com/scrmhq/scrm/internal/gid"

// A Job is a node: node(id:) reads it from jobs, where internal/scope keeps
// it to its creator and the viewers with job manage.
func init() { nodeTables[gid.Job] = "jobs" }
