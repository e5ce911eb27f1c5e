package importer

// CheckHeader reports, as Run would before reading any row, the mapped
// columns that header (a CSV file's first record) lacks or repeats; the
// error matches ErrHeader. Callers that accept a file and run the import
// later (a job) refuse a file that cannot fit the mapping up front.
func (m *Mapping) CheckHeader(header []string) error {
	_, err := newRowMapper(m.withDefaults(), cleanHeader(header))
	return err
}
