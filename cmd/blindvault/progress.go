package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// progressThreshold is the input size above which a terminal gets a progress bar.
const progressThreshold = 16 << 20

// progress counts bytes through a reader and redraws one line on stderr while the
// transfer runs. It draws nothing unless stderr is a terminal.
type progress struct {
	label string
	total int64 // -1 if unknown
	n     atomic.Int64
	start time.Time
	done  chan struct{}
	out   io.Writer
}

// startProgress returns nil (a no-op) when stderr is not a terminal or the
// transfer is small.
func startProgress(label string, total int64) *progress {
	if !term.IsTerminal(int(os.Stderr.Fd())) || (total >= 0 && total < progressThreshold) {
		return nil
	}
	p := &progress{label: label, total: total, start: time.Now(), done: make(chan struct{}), out: os.Stderr}
	go p.loop()
	return p
}

func (p *progress) loop() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.draw()
		case <-p.done:
			return
		}
	}
}

func (p *progress) draw() {
	n := p.n.Load()
	rate := float64(n) / time.Since(p.start).Seconds()
	if p.total > 0 {
		fmt.Fprintf(p.out, "\r%s %s / %s %3d%% %s/s ", p.label, size(n), size(p.total), n*100/p.total, size(int64(rate)))
	} else {
		fmt.Fprintf(p.out, "\r%s %s %s/s ", p.label, size(n), size(int64(rate)))
	}
}

// Reader wraps r so that reads advance the bar; a nil progress returns r.
func (p *progress) Reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &progressReader{r, p}
}

// Stop draws the final state and ends the line.
func (p *progress) Stop() {
	if p == nil {
		return
	}
	close(p.done)
	p.draw()
	fmt.Fprintln(p.out)
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.n.Add(int64(n))
	return n, err
}

func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
