package importer

import (
	"fmt"
	"io"
	"math"
	"time"
)

// progressEvery keeps progress to about five lines a second.
const progressEvery = 200 * time.Millisecond

// progress writes human-readable progress lines. Percentages compare the
// offset of the last acknowledged batch with the file size; speeds count
// only this run, so a resumed import does not look faster than it is.
type progress struct {
	w    io.Writer // nil: silent
	now  func() time.Time
	size int64

	start       time.Time
	startOffset int64
	startRows   int
	last        time.Time
}

// printf writes one line, ignoring write errors: progress must not fail an
// import.
func (p *progress) printf(format string, args ...any) {
	if p.w == nil {
		return
	}
	_, _ = fmt.Fprintf(p.w, format+"\n", args...)
}

// begin sets the baseline for speeds and the ETA.
func (p *progress) begin(offset int64, rows int) {
	p.start = p.now()
	p.startOffset = offset
	p.startRows = rows
}

// update writes a progress line unless one was written less than
// progressEvery ago.
func (p *progress) update(t totals, offset int64) {
	if p.w == nil {
		return
	}
	now := p.now()
	if !p.last.IsZero() && now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start)
	p.printf("imported %d rows (%.1f%%) created %d merged %d rejected %d — %d rows/s, ETA %s",
		t.Rows, p.percent(offset), t.Created, t.Merged, t.Rejected,
		p.rowRate(t.Rows, elapsed), p.eta(offset, elapsed))
}

// done writes the final line of a finished import.
func (p *progress) done(t totals, elapsed time.Duration, rejectsPath string) {
	line := fmt.Sprintf("done: imported %d rows created %d merged %d rejected %d in %s (%d rows/s)",
		t.Rows, t.Created, t.Merged, t.Rejected, elapsed.Round(time.Second), p.rowRate(t.Rows, elapsed))
	if t.Rejected > 0 {
		line += "; rejected rows are in " + rejectsPath
	}
	p.printf("%s", line)
}

// stopped writes the final line of an interrupted import.
func (p *progress) stopped(t totals, nextLine int, err error) {
	p.printf("stopped before line %d after %d rows (created %d merged %d rejected %d): %v; run the same command again to resume",
		nextLine, t.Rows, t.Created, t.Merged, t.Rejected, err)
}

// percent is offset as a share of the file.
func (p *progress) percent(offset int64) float64 {
	if p.size <= 0 {
		return 100
	}
	return 100 * float64(offset) / float64(p.size)
}

// rowRate is rows per second in this run.
func (p *progress) rowRate(rows int, elapsed time.Duration) int {
	if elapsed <= 0 {
		return 0
	}
	return int(math.Round(float64(rows-p.startRows) / elapsed.Seconds()))
}

// eta extrapolates this run's byte rate over the rest of the file.
func (p *progress) eta(offset int64, elapsed time.Duration) string {
	read := offset - p.startOffset
	if elapsed <= 0 || read <= 0 {
		return "?"
	}
	left := time.Duration(float64(p.size-offset) / float64(read) * float64(elapsed))
	return formatClock(left)
}

// formatClock renders a duration as m:ss or h:mm:ss.
func formatClock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s < 0 {
		s = 0
	}
	h, m, sec := s/3600, s/60%60, s%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}
