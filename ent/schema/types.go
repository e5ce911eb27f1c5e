package schema

import (
	"entgo.io/ent/schema"
	"github.com/google/uuid"
)

// schemaAnnotation shortens the Annotations signatures.
type schemaAnnotation = schema.Annotation

// gidUUID is the Go type of every ID column.
var gidUUID = uuid.UUID{}
