package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"testing"
)

// fuzzHeader starts every fuzzed file, so the bytes after it are data.
const fuzzHeader = "phone,name,tags,note\n"

// fuzzMapping is the fixed mapping of FuzzCSVRows.
const fuzzMapping = "columns:\n  phone: phone\n  name: name\n  tags: tags\n  note: attributes.note\n"

// dataLines is the oracle: the line each record after the header starts on,
// or the first line of a record the CSV parser rejects, read with the same
// settings as the importer but with none of its code. stuck is true when the
// parser stops making progress, which must stop the import too.
func dataLines(t *testing.T, data []byte) (lines []int, stuck bool) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		t.Fatalf("oracle: header: %v", err)
	}
	last := r.InputOffset()
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return lines, false
		}
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			if r.InputOffset() == last {
				return lines, true
			}
			lines = append(lines, pe.StartLine)
		case err != nil:
			t.Fatalf("oracle: %v", err)
		default:
			line, _ := r.FieldPos(0)
			lines = append(lines, line)
		}
		last = r.InputOffset()
	}
}

func FuzzCSVRows(f *testing.F) {
	for _, seed := range []struct {
		body  string
		batch uint8
	}{
		{"138,a,x|y,n\n139,b,,\n", 0},
		{"138,\"a,b\",\"x\ny\",\"multi\r\nline\"\n\n\n139,c,d,e", 1},
		{"138,short\n139,b,c,d,extra\n140,a\"b,c,d\n", 2},
		{"\"unterminated,a,b,c\n141,a,b,c\n", 3},
		{"\"a\"x,b,c,d\n\"\"\"\",\"\",,\n", 1},
		{"\r\n\r\n,,,\n\",\",,,\r", 4},
		{"\xff\xfe,\x00,,\n", 0},
	} {
		f.Add([]byte(seed.body), seed.batch)
	}
	mapping, err := ParseMapping([]byte(fuzzMapping))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, batch uint8) {
		data := append([]byte(fuzzHeader), body...)
		path := writeFile(t, t.TempDir(), "fuzz.csv", string(data))
		want, stuck := dataLines(t, data)

		sink := newFakeSink()
		sink.acceptAll = true
		opts := Options{Path: path, Mapping: mapping, BatchSize: int(batch%5) + 1, Concurrency: 3}
		sum, err := Run(context.Background(), opts, sink.ingest)
		if stuck {
			if err == nil {
				t.Fatal("the CSV parser got stuck but the import succeeded")
			}
			return
		}
		if err != nil {
			t.Fatalf("Run: %v", err)
		}

		sent := map[int]bool{}
		for _, c := range sink.snapshot() {
			for _, l := range c.lines {
				if sent[l] {
					t.Fatalf("line %d sent twice", l)
				}
				sent[l] = true
			}
		}
		_, rejected := readRejects(t, opts.Path+".rejects.csv", ',')
		for l := range rejected {
			if sent[l] {
				t.Fatalf("line %d is both sent and rejected", l)
			}
		}
		for _, l := range want {
			if !sent[l] && rejected[l] == nil {
				t.Fatalf("data line %d is neither sent nor rejected", l)
			}
		}
		if got := len(sent) + len(rejected); got != len(want) || sum.Rows != len(want) {
			t.Fatalf("%d lines accounted for, summary %d rows, want %d (%v)", got, sum.Rows, len(want), want)
		}
	})
}
