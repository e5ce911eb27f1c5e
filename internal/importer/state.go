package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// stateVersion changes when the state file's meaning does.
const stateVersion = 1

// fingerprintSpan is how much of the file the content fingerprint covers:
// enough to tell files apart cheaply, without reading a large file twice.
const fingerprintSpan = 64 << 10

// totals are the counts of an import so far.
type totals struct {
	Rows     int `json:"rows"`
	Created  int `json:"created"`
	Merged   int `json:"merged"`
	Rejected int `json:"rejected"`
	Batches  int `json:"batches"`
}

// importState is the resume point, saved after every batch acknowledged in
// order.
type importState struct {
	Version            int    `json:"version"`
	Path               string `json:"path"`
	Size               int64  `json:"size"`
	ContentFingerprint string `json:"contentFingerprint"`
	MappingFingerprint string `json:"mappingFingerprint"`
	// BatchSize is kept so that a resumed run cuts the same batches, and so
	// sends the same idempotency keys, as the interrupted one.
	BatchSize int `json:"batchSize"`
	// FirstBatch is Options.FirstBatchSize, kept for the same reason; 0 in
	// the state files of imports started before it existed (every batch
	// BatchSize).
	FirstBatch int `json:"firstBatch,omitempty"`
	// NextLine is the line at Offset: where the next record starts, or a
	// blank line before it.
	NextLine int    `json:"nextLine"`
	Offset   int64  `json:"offset"`
	Totals   totals `json:"totals"`
}

// fileIdentity says which file and mapping an import is about.
type fileIdentity struct {
	size    int64
	content string
	mapping string
	// keyPrefix starts every idempotency key of the import.
	keyPrefix string
}

// identify fingerprints the file (size and first 64 KiB; modification time
// is left out so a copy of the file is the same import) and the mapping.
func identify(f io.ReaderAt, size int64, m *Mapping) (fileIdentity, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, min(size, fingerprintSpan))); err != nil {
		return fileIdentity{}, fmt.Errorf("importer: fingerprint CSV: %w", err)
	}
	id := fileIdentity{size: size, content: hex.EncodeToString(h.Sum(nil)), mapping: m.fingerprint()}
	key := sha256.Sum256(fmt.Appendf(nil, "%d\n%s\n%s\n", id.size, id.content, id.mapping))
	id.keyPrefix = "import:" + hex.EncodeToString(key[:])
	return id, nil
}

// matches reports whether st was saved for this file and mapping.
func (st *importState) matches(id fileIdentity) bool {
	return st.Version == stateVersion && st.Size == id.size &&
		st.ContentFingerprint == id.content && st.MappingFingerprint == id.mapping
}

// loadState reads a state file; (nil, nil) when there is none.
func loadState(path string) (*importState, error) {
	data, err := os.ReadFile(path) //nolint:gosec // derived from the operator's CSV path
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("importer: read state: %w", err)
	}
	var st importState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("importer: state file %s: %w", path, err)
	}
	return &st, nil
}

// saveState replaces the state file atomically: a crash leaves the old
// state or the new one, never half of one.
func saveState(path string, st *importState) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("importer: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("importer: save state: %w", err)
	}
	if err := writeAndClose(tmp, data); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("importer: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("importer: save state: %w", err)
	}
	return nil
}

// writeAndClose writes data, syncs and closes f.
func writeAndClose(f *os.File, data []byte) error {
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(werr, serr, cerr)
}

// removeIfExists deletes path, which may be absent.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("importer: %w", err)
	}
	return nil
}
