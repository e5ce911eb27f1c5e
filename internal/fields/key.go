package fields

import (
	"fmt"
	"regexp"
	"strings"
)

// keyRE is deliberately narrow: keys appear in JSON paths, templates
// ({{.attributes.city}}), CSV mappings and index names, and a key that is a
// plain lower-case identifier is safe in all of them. 63 characters is
// PostgreSQL's identifier limit, which index names derived from keys meet.
var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ReservedKeys are the built-in lead fields, in their column and GraphQL
// spellings, and the other names of the GraphQL Lead type and its inputs. A custom field may not take one of these names: segments,
// templates and CSV mappings address built-in and custom fields by the same
// bare name, so a custom "status" would be ambiguous. ValidKey compares
// ignoring case and underscores, so "createdat" and "created_at" are both
// taken by createdAt.
var ReservedKeys = []string{
	"id", "tenant_id", "tenantID", "seq", "name", "phone", "email", "company",
	"source", "source_detail", "sourceDetail", "status", "score", "tier",
	"owner", "owner_id", "ownerID", "pool", "pool_id", "poolID",
	"stage", "stage_id", "stageID", "territory", "territory_id", "territoryID",
	"partner", "partner_id", "partnerID", "tags", "attributes",
	"union_id", "unionID", "open_id", "openID", "external_id", "externalID",
	"claimed_at", "claimedAt", "protected_until", "protectedUntil",
	"last_follow_up_at", "lastFollowUpAt", "created_at", "createdAt",
	"updated_at", "updatedAt", "locked", "deleted_at", "deletedAt",
	"merged_into_id", "mergedIntoID", "stage_changes", "stageChanges",
	"follow_ups", "followUps", "referrer", "referrer_id", "referrerID",
	// Names of the GraphQL Lead type and its inputs, which a workspace's
	// typed schema extends with its custom fields by key (graph/typed).
	"deals", "owner_changes", "ownerChanges", "referrals", "reachable_channels",
	"reachableChannels", "typed_attribute", "typedAttribute", "and", "or", "not",
	"timeline",
}

var reserved = func() map[string]string {
	m := make(map[string]string, len(ReservedKeys))
	for _, k := range ReservedKeys {
		m[foldKey(k)] = k
	}
	return m
}()

// foldKey is the spelling-insensitive form of a key.
func foldKey(k string) string {
	return strings.ToLower(strings.ReplaceAll(k, "_", ""))
}

// ValidKey reports whether key may name a custom field: it must match
// ^[a-z][a-z0-9_]{0,62}$ and must not be a built-in field name (ReservedKeys).
// Errors wrap ErrInvalidKey.
func ValidKey(key string) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("%w: %q must start with a lower-case letter and contain only a-z, 0-9 and _ (at most 63 characters)", ErrInvalidKey, truncate(key, 80))
	}
	if b, ok := reserved[foldKey(key)]; ok {
		return fmt.Errorf("%w: %q is the built-in field %s", ErrInvalidKey, key, b)
	}
	return nil
}

// truncate keeps error messages about hostile input short.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
