package duplicates

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apperr"
)

// Version is what a reader of a group saw of it: how many leads it had
// and the hash of their ids (leadsHash), whole, beyond the page of leads
// listed. Dismiss given a Version refuses a group that is no longer those
// leads, so a lead that joined after the page was read is not dismissed
// unseen.
type Version struct {
	Count int
	Hash  []byte
}

// String is the version as the API serves it: "<count>.<hash>", opaque to
// clients.
func (v Version) String() string {
	return strconv.Itoa(v.Count) + "." + base64.RawURLEncoding.EncodeToString(v.Hash)
}

// versionOf is the version of the group of ids, in any order.
func versionOf(ids []uuid.UUID) Version {
	return Version{Count: len(ids), Hash: leadsHash(ids)}
}

// Same reports whether the group is still the leads v was taken of.
func (v Version) Same(now Version) bool {
	return v.Count == now.Count && bytes.Equal(v.Hash, now.Hash)
}

// ParseVersion reads a version a client sends back (BAD_USER_INPUT at
// "version" when it is not one Groups served).
func ParseVersion(s string) (Version, error) {
	bad := apperr.Input("version", "not a duplicate group version: pass DuplicateGroup.version as read")
	n, h, ok := strings.Cut(s, ".")
	if !ok {
		return Version{}, bad
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 2 {
		return Version{}, bad
	}
	hash, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil || len(hash) != sha256.Size {
		return Version{}, bad
	}
	return Version{Count: count, Hash: hash}, nil
}

// leadsHash is SHA-256 of ids sorted, 16 bytes each: the same set hashes
// the same whatever its order. uuid order is byte order, in Go and in
// PostgreSQL, so duplicate_dismissals.leads_hash of the sorted lead_ids is
// this too (the migration that added it computes it so).
func leadsHash(ids []uuid.UUID) []byte {
	s := slices.SortedFunc(slices.Values(ids), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, id := range s {
		h.Write(id[:])
	}
	return h.Sum(nil)
}

// Changed is the cause of the CONFLICT Dismiss answers when the group is
// not the one its version names (errors.As finds it): how many leads it had
// when read and has now.
type Changed struct {
	Seen, Now int // leads when read, and now
}

func (c *Changed) Error() string {
	return fmt.Sprintf("the group changed since it was read: %d leads then, %d now", c.Seen, c.Now)
}

// Joined is how many more leads the group has now than when it was read
// (0 when it has as many or fewer: leads left it, or as many left as
// joined).
func (c *Changed) Joined() int { return max(c.Now-c.Seen, 0) }

// changedError is the CONFLICT at "version" for a group read as seen that
// is now now.
func changedError(seen, now Version) error {
	c := &Changed{Seen: seen.Count, Now: now.Count}
	msg := fmt.Sprintf("the group changed since it was read (%d leads then, %d now): nothing was dismissed; read it again and decide on what it is now", c.Seen, c.Now)
	if j := c.Joined(); j > 0 {
		msg = fmt.Sprintf("%d new lead(s) joined the group since it was read (%d then, %d now): nothing was dismissed; read it again and decide on all of them", j, c.Seen, c.Now)
	}
	return apperr.Wrap(c, apperr.Conflict, "version", msg)
}
